"""A report's own section, between two markers, replaced in place (or
appended): how relay_bench.py and bulk_report.py write into
docs/performance.md, which run.py rewrites around them."""


def replace_section(path, begin, end, section):
    """`section` includes both markers and ends with a newline."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
