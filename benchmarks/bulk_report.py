#!/usr/bin/env python3
"""Bulk transfer (issue 14): runs bench-bulk and writes its report section.

    benchmarks/bulk_report.py --bench build-bench/benchmarks/bench-bulk [--rounds 3] [--mib 1024]
                              [--wine build-windows/benchmarks/bench-bulk.exe] [--report docs/performance.md]

bench-bulk runs every contender round by round (a producer process and the
consumer, steady state only) and prints medians and ratios of one run; this
script turns them into the tables between the markers below (run.py keeps
that section when it rewrites the rest of the report). Under Wine the
figures are relative only: Wine is not Windows.
"""
import argparse
import json
import subprocess

from report_section import replace_section

BEGIN, END = "<!-- bulk-benchmark -->", "<!-- /bulk-benchmark -->"
CONTENDERS = ["memcpy", "raw-stream", "stream", "fresh-region", "pool"]
LABELS = {
    "memcpy": "memcpy in one process (the floor)",
    "raw-stream": "raw stream (read/write on the descriptor)",
    "stream": "localsock LocalStream",
    "fresh-region": "a fresh sealed region per message",
    "pool": "buffer pool (4 slots)",
}


def run(command):
    lines = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()
    rates, ratios = {}, {}
    for line in lines:
        record = json.loads(line)
        if "contender" in record:
            rates[(record["contender"], record["size"])] = record["mib_per_s"]
        else:
            ratios[(record["ratio"], record["size"])] = record["value"]
    return rates, ratios


def human(size):
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"


def table(rates, ratios, relative):
    sizes = sorted({size for _, size in rates})
    lines = ["| contender | " + " | ".join(human(s) for s in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for contender in CONTENDERS:
        if not any((contender, s) in rates for s in sizes):
            continue
        cells = []
        for s in sizes:
            rate = rates.get((contender, s))
            if rate is None:
                cells.append("")
            elif relative:
                cells.append(f"{rate / rates[('stream', s)]:.2f}× stream")
            else:
                cells.append(f"{rate:,.0f} MiB/s")
        lines.append(f"| {LABELS[contender]} | " + " | ".join(cells) + " |")
    for ratio in ["pool/stream", "pool/raw-stream", "pool/memcpy"]:
        cells = [f"**{ratios[(ratio, s)]:.3g}×**" if (ratio, s) in ratios else "" for s in sizes]
        lines.append(f"| {ratio} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", required=True)
    parser.add_argument("--wine")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--report")
    args = parser.parse_args()

    options = ["--rounds", str(args.rounds), "--mib-per-size", str(args.mib)]
    rates, ratios = run([args.bench] + options)
    linux = table(rates, ratios, relative=False)
    print(linux)
    verdict = []
    for size in (1 << 20, 16 << 20):
        over_stream = ratios.get(("pool/stream", size), 0)
        over_memcpy = ratios.get(("pool/memcpy", size), 0)
        met = over_stream >= 3 and over_memcpy >= 0.5
        verdict.append(f"{human(size)}: pool {over_stream:.2f}× the stream (target ≥ 3×), "
                       f"{over_memcpy:.2f}× memcpy (target ≥ 0.5×): {'met' if met else '**missed**'}")
    print("\n".join(verdict))
    wine = ""
    if args.wine:
        wine_rates, wine_ratios = run(["wine", args.wine, "--rounds", "1", "--mib-per-size", str(min(args.mib, 256))])
        wine = table(wine_rates, wine_ratios, relative=True)
        print(wine)
    if not args.report:
        return
    section = (f"{BEGIN}\n## Bulk transfer: the buffer pool against copies\n\n"
               f"`benchmarks/bulk_report.py` runs `bench-bulk`: {args.mib} MiB per message size from a producer "
               "process to a consumer, each message fully written (memset) and fully read (a sum of every byte "
               "at memory speed); only the steady state is timed (after a warm-up of an eighth of the messages, "
               "at least 8: regions mapped, pages faulted in), contenders interleaved, median of "
               f"{args.rounds} rounds. The stream contenders copy through the kernel twice; a fresh region is "
               "created, written, sealed `immutable`, sent, adopted and mapped per message; the pool sends a "
               "24-byte descriptor per message and one back per release.\n\n" + linux + "\n\n"
               + "\n".join(f"- {line}" for line in verdict) + "\n")
    if wine:
        section += ("\nUnder Wine (one round, 256 MiB per size, relative to localsock's stream in the same run: "
                    "Wine is not Windows; a "
                    "section is a pagefile-backed mapping, a frame or release a message on a message-mode "
                    "pipe):\n\n" + wine + "\n")
    section += END + "\n"
    replace_section(args.report, BEGIN, END, section)


if __name__ == "__main__":
    main()
