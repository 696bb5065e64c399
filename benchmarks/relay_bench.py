#!/usr/bin/env python3
"""`lsock relay` against socat: one large transfer through each relay.

    benchmarks/relay_bench.py --lsock build-bench/src/lsock/lsock [--mib 1024] [--rounds 3]
                              [--report docs/performance.md]

A source process sends MiB mebibytes (1 MiB writes) to the relay's listening
end; the relay connects to a sink process, which reads everything (1 MiB
reads) and reports the time from its accept to the end of stream. The same
source and sink (Python, two processes) serve every contender, and a direct
transfer without a relay is the ceiling. Figures are the median of the
rounds, contenders interleaved round by round (one run, one machine: only
the ratios mean anything). With --report, the section between the markers
below in that file is replaced (benchmarks/run.py keeps it when it rewrites
the rest).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from report_section import replace_section

BEGIN, END = "<!-- relay-benchmark -->", "<!-- /relay-benchmark -->"

SINK = r"""
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
start = time.perf_counter()
buf = bytearray(1 << 20); view = memoryview(buf); total = 0
while True:
    n = c.recv_into(view)
    if n == 0:
        break
    total += n
print(json.dumps({"bytes": total, "seconds": time.perf_counter() - start}), flush=True)
"""

SOURCE = r"""
import socket, sys, time
total = int(sys.argv[2]) << 20
for attempt in range(200):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect("\0" + sys.argv[1]); break
    except (ConnectionRefusedError, FileNotFoundError):
        s.close(); time.sleep(0.01)
block = b"x" * (1 << 20)
for _ in range(total >> 20):
    s.sendall(block)
s.shutdown(socket.SHUT_WR)
s.recv(1)
"""


def run_once(relay_command, mib, tag):
    """Seconds for `mib` MiB through the relay (None: direct)."""
    sink_name = f"lsock-bench-sink-{os.getpid()}-{tag}"
    front_name = f"lsock-bench-front-{os.getpid()}-{tag}"
    sink = subprocess.Popen([sys.executable, "-c", SINK, sink_name], stdout=subprocess.PIPE, text=True)
    if sink.stdout.readline().strip() != "ready":
        sys.exit("sink did not start")
    relay = None
    target = sink_name
    if relay_command is not None:
        relay = subprocess.Popen(relay_command(front_name, sink_name), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        target = front_name
    source = subprocess.Popen([sys.executable, "-c", SOURCE, target, str(mib)])
    result = json.loads(sink.stdout.readline())
    source.wait(timeout=120)
    sink.wait(timeout=30)
    if relay is not None:
        try:
            relay.wait(timeout=10)
        except subprocess.TimeoutExpired:
            relay.kill()
            relay.wait()
    if result["bytes"] != mib << 20:
        sys.exit(f"{tag}: {result['bytes']} bytes arrived, not {mib << 20}")
    return result["seconds"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lsock", required=True)
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--report")
    args = parser.parse_args()

    contenders = {
        "direct (no relay): the ceiling": None,
        "lsock relay": lambda front, back: [args.lsock, "relay", f"listen:@{front}", f"@{back}"],
    }
    socat = shutil.which("socat")
    if socat:
        contenders["socat (default 8 KiB buffer)"] = lambda front, back: [
            socat, f"ABSTRACT-LISTEN:{front}", f"ABSTRACT-CONNECT:{back}"]
        contenders["socat -b 262144 (lsock's buffer size)"] = lambda front, back: [
            socat, "-b", "262144", f"ABSTRACT-LISTEN:{front}", f"ABSTRACT-CONNECT:{back}"]
    times = {name: [] for name in contenders}
    for round_number in range(args.rounds):
        for index, (name, command) in enumerate(contenders.items()):
            times[name].append(run_once(command, args.mib, f"{round_number}-{index}"))
    rates = {name: args.mib / statistics.median(values) for name, values in times.items()}
    lsock_rate = rates["lsock relay"]
    lines = [f"| relay | MiB/s (median of {args.rounds}) | seconds for {args.mib} MiB | lsock relay is |",
             "|---|---|---|---|"]
    for name, rate in rates.items():
        ratio = "" if name == "lsock relay" else f"{lsock_rate / rate:.2f}× this"
        lines.append(f"| {name} | {rate:,.0f} | {args.mib / rate:.2f} | {ratio} |")
    table = "\n".join(lines)
    print(table)
    if args.report:
        section = (f"{BEGIN}\n## lsock relay against socat\n\n"
                   f"`benchmarks/relay_bench.py`: {args.mib} MiB from one process to another through a relay "
                   "that listens on a namespaced name and connects to the receiver's (1 MiB writes and reads "
                   "at the ends, the same Python source and sink for every contender; contenders interleaved "
                   "round by round). `lsock relay` forwards with the library's `receive`/`send` (256 KiB "
                   "reads, handles forwarded too: none here), one thread per direction; socat copies through "
                   "its select loop.\n\n" + table + f"\n{END}\n")
        replace_section(args.report, BEGIN, END, section)


if __name__ == "__main__":
    main()
