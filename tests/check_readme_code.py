#!/usr/bin/env python3
"""README's code is built: each C++ block of a README section appears verbatim
in one of the given source files, which the build compiles.

    check_readme_code.py README SECTION FILE...

Lines that only introduce a block (#include, a comment on the line before
it) are left out of the comparison; everything else must match exactly.
"""
import re
import sys

readme, section, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(readme, encoding="utf-8").read()
start = text.index(f"\n### {section}\n")
end = text.find("\n### ", start + 1)
blocks = re.findall(r"```cpp\n(.*?)```", text[start:end], re.S)
assert blocks, f"no C++ code in README section {section!r}"

bodies = [open(path, encoding="utf-8").read() for path in sources]
failed = False
for block in blocks:
    lines = block.splitlines(keepends=True)
    while lines and (lines[0].startswith("#include") or lines[0].startswith("//") or not lines[0].strip()):
        lines.pop(0)
    code = "".join(lines)
    if not any(code in body for body in bodies):
        print(f"README block not found verbatim in {', '.join(sources)}:\n{code}")
        failed = True
sys.exit(1 if failed else 0)
