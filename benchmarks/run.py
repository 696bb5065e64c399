#!/usr/bin/env python3
"""Runs every benchmark contender side by side and reports ratios.

Contenders run interleaved (a fresh random order for every round), several
rounds each; the median of the rounds is reported, with each contender's ratio
to the hand-written floor. Two tables: the sync contenders (client and server
both the contender's) against `raw`, and the async servers (`bench-async-*`,
all measured with the one hand-written client) against `async-epoll`; under
Wine against `async-win32`, with localsock's sync streams as a contender too.
Writes a markdown report and an SVG plot of throughput against write size.

    benchmarks/run.py --build build-bench [--rounds 5] [--pin 0] [--report docs/performance.md]
    benchmarks/run.py --build build-windows --wine [--report ...]   # Wine-relative figures only
"""
import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MiB = 1 << 20
GiB = 1 << 30

# (workload, write size, count): count is bytes for throughput, operations otherwise.
TABLE_CONFIGS = [
    ("throughput", 65536, GiB),
    ("throughput", 4096, GiB),
    ("pingpong", 0, 20000),
    ("handles1", 0, 20000),
    ("handles64", 0, 2000),
    ("connect", 0, 5000),
    ("seqpacket", 0, 20000),
]
PLOT_ONLY_CONFIGS = [
    ("throughput", 1024, 256 * MiB),
    ("throughput", 16384, GiB),
]
# The async servers: (workload, concurrent clients, count).
ASYNC_CONFIGS = [
    ("pingpong", 1, 20000),
    ("handles1", 1, 20000),
    ("handles64", 1, 2000),
    ("fanin", 1, 50000),
    ("fanin", 64, 50000),
    ("fanin", 512, 50000),
]
ASYNC_FLOOR = "async-epoll"
# async-epoll-eagain: the floor reading until EAGAIN every time (no short-read rule).
ASYNC_CONTENDERS = [ASYNC_FLOOR, "async-epoll-eagain", "async-localsock", "async-localsock-immediate",
                    "async-localsock-coro", "async-libuv",
                    "async-asio"]
ASYNC_TARGET = 0.95  # localsock's async servers against the epoll floor
# Under Wine: the overlapped Win32 floor, localsock's async server, and
# localsock's sync streams with a thread per client.
WINE_ASYNC_FLOOR = "async-win32"
WINE_ASYNC_CONTENDERS = [WINE_ASYNC_FLOOR, "async-localsock", "localsock-sync"]
LABELS = {
    "throughput": "stream throughput, {size} writes (MiB/s)",
    "pingpong": "ping-pong, 64 bytes (round trips/s)",
    "handles1": "handle passing, 1 handle + 8 bytes (messages/s)",
    "handles64": "handle passing, 64 handles (messages/s)",
    "connect": "connect/accept/close, filesystem name (cycles/s)",
    "seqpacket": "seqpacket round trip, 64 B + 1 handle out, 64 B back (round trips/s)",
    "fanin": "fan-in, {clients}, 64-byte round trips (round trips/s)",
}


def human_size(n):
    return f"{n // 1024} KiB" if n >= 1024 else f"{n} B"


def label(workload, size):
    return LABELS[workload].format(size=human_size(size))


def async_label(workload, clients):
    return LABELS[workload].format(clients=f"{clients} client" + ("s" if clients > 1 else ""))


def run_pair(program, workload, size, count, name, pin, wine, clients=1, hang_seconds=None):
    """One server and its client: the client's JSON result, with the server's CPU time.

    With `hang_seconds`, a client or server that has not ended that long
    after it should have is killed and the round recorded as hung ("hung":
    "client", no figures; "server": the client's figures, no CPU time)
    instead of ending the run."""
    args = [workload, name, "--size", str(size), "--count", str(count)]
    if clients != 1:
        args += ["--clients", str(clients)]
    prefix = ["taskset", "-c", str(pin)] if pin is not None else []
    runner = ["wine"] if wine else []
    env = dict(os.environ)
    server = subprocess.Popen(prefix + runner + [program, "server"] + args, stdout=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, env=env)
    out = usage = None
    try:
        out = subprocess.run(prefix + runner + [program, "client"] + args, capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=hang_seconds or 120, env=env)
        usage = wait_with_usage(server, timeout=hang_seconds or 60)
    except subprocess.TimeoutExpired:
        if hang_seconds is None:
            raise
        if out is None:
            return {"hung": "client"}
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    if usage is None and out.returncode == 0:
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["hung"] = "server"
        return result
    if out.returncode != 0 or server.returncode != 0:
        sys.exit(f"{program} {workload}: failed ({out.returncode}/{server.returncode}): {out.stderr.strip()}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result.get("count"):  # the server's CPU time (user + system) per operation
        result["server_cpu_us"] = (usage.ru_utime + usage.ru_stime) / result["count"] * 1e6
    return result


def wait_with_usage(process, timeout):
    """Waits for `process` like Popen.wait, and returns its resource usage."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(process.args, timeout)
        time.sleep(0.001)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="a build directory with -Dbenchmarks=enabled")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pin", type=int, help="pin client and server to this CPU (steadier figures)")
    parser.add_argument("--wine", action="store_true", help="Windows binaries under Wine")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a measurement")
    parser.add_argument("--report", help="write the markdown report here")
    parser.add_argument("--plot", help="write the SVG plot here (needs gnuplot)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args()

    exe = ".exe" if args.wine else ""
    floor = "win32raw" if args.wine else "raw"
    names = [floor, "localsock"] + (["localsock-plain"] if args.wine else ["libuv", "asio"])
    programs = {n: os.path.join(args.build, "benchmarks", f"bench-{n}{exe}") for n in names}
    programs = {n: p for n, p in programs.items() if os.path.exists(p)}
    if floor not in programs or "localsock" not in programs:
        sys.exit(f"no benchmark programs in {args.build}/benchmarks (configure with -Dbenchmarks=enabled)")

    # The async servers: ratios to their own floor, in a table of their own.
    async_floor = WINE_ASYNC_FLOOR if args.wine else ASYNC_FLOOR
    async_names = WINE_ASYNC_CONTENDERS if args.wine else ASYNC_CONTENDERS
    async_programs = {n: os.path.join(args.build, "benchmarks", f"bench-{n}{exe}") for n in async_names}
    async_programs = {n: p for n, p in async_programs.items() if os.path.exists(p)}
    if async_programs and async_floor not in async_programs:
        sys.exit(f"no {async_floor} program in {args.build}/benchmarks")

    if args.wine and "WINEPATH" not in os.environ:
        # The DLL in the build tree and the MinGW C++ runtime it links.
        runtime = subprocess.run(["x86_64-w64-mingw32-g++-posix", "-print-file-name=libstdc++-6.dll"],
                                 capture_output=True, text=True).stdout.strip()
        dirs = [os.path.dirname(runtime), "/usr/x86_64-w64-mingw32/lib", os.path.abspath(args.build)]
        os.environ["WINEPATH"] = ";".join("Z:" + d for d in dirs)
        os.environ.setdefault("WINEDEBUG", "-all")

    # The seqpacket workload has no Win32 floor (raw_win32.cpp has no message-mode
    # pipe version), so under Wine there is nothing to compare localsock with.
    table_configs = [c for c in TABLE_CONFIGS if not (args.wine and c[0] == "seqpacket")]
    configs = table_configs + PLOT_ONLY_CONFIGS
    # Wine's pipes are an order of magnitude slower: 1/16 of the work keeps
    # its run to a minute or two.
    divisor = 256 if args.quick else 16 if args.wine else 1
    configs = [(w, s, max(s, c // divisor)) for w, s, c in configs]
    async_configs = [(w, n, max(1, c // divisor)) for w, n, c in ASYNC_CONFIGS] if async_programs else []
    # Under Wine a round that hangs is recorded and reported, not fatal: some
    # do, now and then (see the report's list).
    hang_seconds = 30 if args.wine else None
    results = {}  # (contender, workload, size, or clients for the async servers) -> list of JSON results
    started = time.time()
    load_at_start = os.getloadavg()[0]  # the machine's other work: say how busy it was
    socket_dir = tempfile.mkdtemp(prefix="localsock-bench-")
    try:
        for round_index in range(args.rounds):
            for workload, size, count in configs:
                order = list(programs)
                random.shuffle(order)
                for contender in order:
                    tag = f"lsb-{os.getpid()}-{round_index}-{workload}-{size}-{contender}"
                    name = f"@{tag}" if args.wine else os.path.join(socket_dir, tag + ".sock")
                    r = run_pair(programs[contender], workload, size, count, name, args.pin, args.wine,
                                 hang_seconds=hang_seconds)
                    results.setdefault((contender, workload, size), []).append(r)
            for workload, clients, count in async_configs:
                order = list(async_programs)
                random.shuffle(order)
                for contender in order:
                    tag = f"lsb-{os.getpid()}-{round_index}-{workload}-{clients}-{contender}"
                    name = f"@{tag}" if args.wine else os.path.join(socket_dir, tag + ".sock")
                    r = run_pair(async_programs[contender], workload, 0, count, name, args.pin, args.wine, clients,
                                 hang_seconds=hang_seconds)
                    results.setdefault((contender, workload, clients), []).append(r)
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)
    elapsed = time.time() - started

    def median(contender, workload, size, key="per_second"):
        rs = results.get((contender, workload, size), [])
        if not rs or rs[0].get("unsupported"):
            return None
        values = [r[key] for r in rs if key in r]  # a hung round has no figures, or no CPU time
        return statistics.median(values) if values else None

    lines = []
    misses = []
    head = f"| workload | {floor} (floor) | " + " | ".join(n for n in programs if n != floor) + " |"
    lines += [head, "|" + "---|" * (1 + len(programs))]
    for workload, size, _ in configs[:len(table_configs)]:
        base = median(floor, workload, size)
        scale = MiB if workload == "throughput" else 1
        row = [label(workload, size), f"{base / scale:,.0f}" if base else "unsupported"]
        for contender in programs:
            if contender == floor:
                continue
            value = median(contender, workload, size)
            if value is None:
                row.append("unsupported")
                continue
            ratio = value / base if base else float("nan")
            row.append(f"{value / scale:,.0f} ({ratio:.2f}×)")
        lines.append("| " + " | ".join(row) + " |")
        ours = median("localsock", workload, size)
        if base and ours is not None and ours / base < 0.97:
            misses.append(f"localsock {ours / base:.3f}× {floor} on {label(workload, size)}")
        for rival in ("libuv", "asio"):
            theirs = median(rival, workload, size)
            if ours is not None and theirs is not None and ours <= theirs:
                misses.append(f"localsock not ahead of {rival} on {label(workload, size)}")
    lines += ["", "Ping-pong latency, median of the rounds' medians and p99s (µs):", "",
              "| contender | median | p99 |", "|---|---|---|"]
    for contender in programs:
        m = median(contender, "pingpong", 0, "median_us")
        p = median(contender, "pingpong", 0, "p99_us")
        if m is not None:
            lines.append(f"| {contender} | {m:.1f} | {p:.1f} |")

    async_lines, async_misses = async_table(async_programs, async_configs, median, async_floor)
    def hangs(names, what_is):
        """Markdown lines listing the rounds of `names` that hung."""
        found = [f"- {contender}, {what_is(workload, n)}: "
                 + ", ".join(f"{end} hung in {sum(r.get('hung') == end for r in rs)} of {len(rs)} rounds"
                             for end in ("server", "client") if any(r.get("hung") == end for r in rs))
                 for (contender, workload, n), rs in results.items()
                 if contender in names and any(r.get("hung") for r in rs)]
        return ["", f"Rounds that hung (killed after {hang_seconds} s; a hung client's round has no figures; a"
                " server that did not end after its client had finished gives the client's figures, no CPU time):",
                ""] + found if found else []

    lines += hangs(programs, label)
    if async_lines:
        async_lines += hangs(async_programs, async_label)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    machine = (f"{cpu}, {os.cpu_count()} CPUs, Linux {platform.release()}"
               + (", under Wine" if args.wine else "")
               + (f", client and server pinned to CPU {args.pin}" if args.pin is not None else ", not pinned"))
    summary = (f"{args.rounds} rounds, contenders interleaved in random order, median reported"
               + (f", counts divided by {divisor}" if divisor > 1 else "")
               + f"; run took {elapsed:.0f} s on {machine}; load average {load_at_start:.1f} at the start,"
               + f" {os.getloadavg()[0]:.1f} at the end.")
    if args.wine:  # the targets are Linux targets; under Wine, say where localsock is below the floor
        verdict = ("At or above the Wine floor everywhere." if not misses else
                   "Below the Wine floor (0.97×):\n" + "\n".join(f"- {m}" for m in misses if "not ahead" not in m))
    else:
        verdict = "All targets met." if not misses else "Targets missed:\n" + "\n".join(f"- {m}" for m in misses)
    table = "\n".join(lines)
    print(table)
    print()
    print(summary)
    print(verdict)
    if async_lines:
        if args.wine:  # as above: where localsock's async server is below the Wine floor
            async_verdict = ("At or above the Wine floor everywhere." if not async_misses else
                             f"Below the Wine floor ({ASYNC_TARGET}×):\n" + "\n".join(f"- {m}" for m in async_misses))
        else:
            async_verdict = ("All targets met." if not async_misses else
                             "Targets missed:\n" + "\n".join(f"- {m}" for m in async_misses))
        async_report = "\n".join(async_lines) + "\n\n" + summary + "\n\n" + async_verdict + "\n"
        print()
        print(async_report, end="")

    if args.plot and shutil.which("gnuplot") and not args.wine:
        sizes = sorted({s for w, s, _ in configs if w == "throughput"})
        data = tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False)
        for size in sizes:
            values = [median(c, "throughput", size) for c in programs]
            data.write(f"{size} " + " ".join(f"{v / MiB:.1f}" if v else "?" for v in values) + "\n")
        data.close()
        plots = ", ".join(f"'{data.name}' using 1:{i + 2} with linespoints title '{c}'"
                          for i, c in enumerate(programs))
        script = (f"set terminal svg size 720,440 dynamic background '#ffffff'; set output '{args.plot}';"
                  "set logscale x 2; set xrange [768:90000]; set xlabel 'write size (bytes)'; set ylabel 'MiB/s';"
                  "set title 'Stream throughput against write size'; set key left top; set grid;"
                  f"set xtics ({', '.join(str(s) for s in sizes)}); plot {plots}")
        subprocess.run(["gnuplot", "-e", script], check=True)
        os.unlink(data.name)

    if args.report:
        # benchmarks/relay_bench.py and bulk_report.py write sections of
        # their own into the same report, between markers: kept as they are.
        kept = ""
        if os.path.exists(args.report):
            with open(args.report) as old:
                text = old.read()
            for section in ("relay", "bulk"):
                begin, end = f"<!-- {section}-benchmark -->", f"<!-- /{section}-benchmark -->"
                if begin in text and end in text:
                    kept += "\n" + text[text.index(begin):text.index(end) + len(end)] + "\n"
        with open(args.report, "w") as report:
            report.write(WINE_HEAD if args.wine else REPORT_HEAD)
            report.write(table + "\n\n" + summary + "\n\n" + verdict + "\n")
            if args.plot and not args.wine:
                report.write(f"\n![throughput against write size]({os.path.basename(args.plot)})\n")
            if async_lines:
                report.write((WINE_ASYNC_HEAD if args.wine else ASYNC_HEAD) + async_report
                             + (WINE_ASYNC_TAIL if args.wine else ASYNC_TAIL))
            report.write(WINE_TAIL if args.wine else REPORT_TAIL)
            report.write(kept)
    return 1 if (args.check and (misses or async_misses) and not args.wine) else 0


def async_table(programs, configs, median, floor):
    """The async servers' table (markdown lines) and the targets they miss."""
    if not programs:
        return [], []
    short = lambda contender: contender.removeprefix("async-")
    lines = [f"| workload | {short(floor)} (floor) | "
             + " | ".join(short(n) for n in programs if n != floor) + " |",
             "|" + "---|" * (1 + len(programs))]
    misses = [] if any(n.startswith("async-localsock") for n in programs) else ["no localsock async server built"]
    for workload, clients, _ in configs:
        what = async_label(workload, clients)
        base = median(floor, workload, clients)
        row = [what, f"{base:,.0f}" if base else "unsupported"]
        for contender in programs:
            if contender == floor:
                continue
            value = median(contender, workload, clients)
            row.append("unsupported" if value is None else
                       f"{value:,.0f} ({value / base:.2f}×)" if base else f"{value:,.0f}")
        lines.append("| " + " | ".join(row) + " |")
        for ours in (n for n in programs if n.startswith("async-localsock")):
            mine = median(ours, workload, clients)
            if mine is None:
                misses.append(f"{short(ours)} does not run {what}")
                continue
            if base and mine / base < ASYNC_TARGET:
                misses.append(f"{short(ours)} {mine / base:.3f}× {short(floor)} on {what}")
            for rival in ("async-libuv", "async-asio"):
                theirs = median(rival, workload, clients)
                if theirs is not None and mine <= theirs:
                    misses.append(f"{short(ours)} not ahead of {short(rival)} on {what}")
    # The same runs seen from the server's side: what each operation cost it,
    # in CPU time. Steadier than throughput on a shared machine.
    lines += ["", "The server's CPU time per operation, user + system (µs, median of the rounds; from wait4):", "",
              "| workload | " + " | ".join(short(n) for n in programs) + " |", "|" + "---|" * (1 + len(programs))]
    for workload, clients, _ in configs:
        cpu = [median(n, workload, clients, "server_cpu_us") for n in programs]
        lines.append(f"| {async_label(workload, clients).split(' (')[0]} | "
                     + " | ".join("unsupported" if c is None else f"{c:.2f}" for c in cpu) + " |")
    return lines, misses


REPORT_HEAD = """# localsock performance

Each contender is a small program with the same command line and one JSON line
of output (`benchmarks/harness.hpp`); client and server are two processes.
On Linux the floor, `raw`, is hand-written POSIX code (`read`/`write`/
`sendmsg`/`recvmsg`, `benchmarks/raw_posix.cpp`); `libuv` uses `uv_pipe_t`
(IPC mode for handle passing, which sends one handle per write, so 64 handles
in one message is unsupported); `asio` uses `local::stream_protocol`, which
cannot pass handles. The seqpacket workload (POSIX only, neither rival has
`SOCK_SEQPACKET`) sends 64 bytes with one handle and gets 64 bytes back; the
floor receives the reply with `recvmsg` and a control buffer, as a receiver
must to notice (and close) handles nobody asked for. Ratios are to the floor
from the same run: on a shared, noisy machine only ratios from one run mean
anything (the floor itself moves by ±4 % between rounds here).

Targets (Linux): localsock ≥ 0.97× the floor on every workload, and ahead of
libuv and Asio wherever they take part. The Wine figures
([performance-wine.md](performance-wine.md)) are Wine-relative only.

"""

REPORT_TAIL = """
## What the figures do not show, and is proved elsewhere

- **No heap allocation per message** in steady state, handle passing included:
  `tests/test_allocations.cpp` replaces `operator new` and counts zero
  allocations over 1000 rounds of every send/receive form of streams,
  seqpacket and datagram sockets, ancillary forms included (12,000 messages, up
  to 64 handles each); it also checks that it sees the library's own
  allocations.
- **The same system calls per operation as hand-written code**:
  `benchmarks/count_syscalls.py` runs each workload under `strace -f -c` with N
  and 2N operations and compares the difference per operation (meson test
  `syscalls-per-operation`). localsock makes the same number on both sides of
  every workload (`send`/`recv` where the floor uses `write`/`read`: no SIGPIPE
  without touching the process's signal handling).

## Reproduce

```sh
./dev bench    # release build in build-bench/, this report and performance.svg, then the Wine report
benchmarks/run.py --build build-bench --rounds 5 --pin 0 --report docs/performance.md --plot docs/performance.svg
```

`--pin CPU` runs client and server on one CPU (steadier, and every round trip
is a context switch); without it the scheduler decides, and ping-pong latency
is bimodal depending on whether the two processes share a CPU.
"""

ASYNC_HEAD = """
## Async servers

One single-threaded server per contender, serving any number of clients from
one event loop. Every contender is measured with the same hand-written client
(`benchmarks/posix_client.cpp`, the raw floor's): blocking calls on one
connection, and for the fan-in one thread driving every connection through
epoll, each with one 64-byte round trip in flight. Only the server differs.

The floor, `epoll`, is the best such server we know how to write by hand
(`benchmarks/async_epoll.cpp`): non-blocking sockets registered once with
epoll, edge-triggered; every `recv`/`send`/`recvmsg` tried first, `epoll_wait`
only when a call would block or a read came back short (for these workloads
a short read means the socket is empty; libuv skips the read that would say
so too; in general, with edge-triggered readiness, it is not safe: see below).
`epoll-eagain` is the same server reading until `EAGAIN` every time: the
correct edge-triggered server. Each server checks at exit that it
left no descriptor open: every handle it received was closed. `localsock` is
`AsyncListener`/`AsyncStream` with callbacks (`async_read_some` then
`asio::async_write` of what came; `async_receive`), written as Asio's echo
example is; `localsock-immediate` the same with every handler bound to the
io_context's executor as its immediate executor
(`localsock::bind_immediate_executor`: an operation that needs no wait runs
its handler at once, not through the scheduler); `localsock-coro` the same
server as coroutines; `libuv` is `uv_pipe_t`, each echo tried with
`uv_try_write` first, handles taken one by one with `uv_accept` (it receives
the 64 handles of one message, though it cannot send them); `asio` is
`local::stream_protocol` with callbacks, written as Asio's echo example (no
handle passing). The echo servers echo what they read, through a 4 KiB buffer
per connection. The handle workloads are those of the table above (8 bytes
with 1 or 64 handles, one way; the server closes every handle and acks the
last message). The fan-in splits its round trips over the clients, after one
untimed round trip on each: accepting is not timed.

Targets: localsock ≥ 0.95× the floor on every workload, ahead of libuv and
Asio wherever they take part.

"""

ASYNC_TAIL = """
System calls (and context switches) per operation, server side, counted with
`perf stat -e 'syscalls:sys_enter_*,context-switches'` on the pinned, untraced
server (strace slows the server so much that it seldom has to wait, which
hides the waiting path); one run each, ping-pong and handles 20,000
operations, fan-in 50,000. How many reads find nothing (EAGAIN) depends on
timing, from run to run. For example:

```sh
taskset -c 0 perf stat -e 'syscalls:sys_enter_*' build-bench/benchmarks/bench-async-localsock server fanin /tmp/f.sock --clients 64 &
sleep 0.3; taskset -c 0 build-bench/benchmarks/bench-async-localsock client fanin /tmp/f.sock --clients 64
```

| workload | epoll (floor) | localsock | localsock-immediate | libuv | asio |
|---|---|---|---|---|---|
| ping-pong | recv, send, epoll_wait = 3.00 | recv 1.08, send, epoll_wait 2.00 = 4.08 | recv 1.49, send, epoll_wait 0.50 = 3.99 | read, write, epoll_wait = 3.00 | recv 1.09, send, epoll_wait 2.00 = 4.09 |
| 1 handle + 8 bytes | recvmsg, close = 2.00 | recvmsg, close, epoll_wait = 3.00 | recvmsg, close, epoll_wait 0.06 = 2.06 | recvmsg, close, epoll_wait, epoll_ctl = 4.00 | unsupported |
| fan-in, 64 clients | recv, send, epoll_wait 0.02 = 2.02; 0.03 switches | recv 1.76, send, epoll_wait 0.05 = 2.81; 0.26 switches | recv 1.97, send, epoll_wait 0.02 = 2.99; 0.44 switches | read, write, epoll_wait 0.02 = 2.02; 0.07 switches | recv 1.78, send, epoll_wait 0.05 = 2.83; 0.23 switches |
| fan-in, 512 clients | recv 1.03, send 1.01, others 0.04 = 2.08 | recv 1.66, send 1.01, others 0.05 = 2.72 | recv 1.98, send 1.01, others 0.05 = 3.04 | read 1.02, write 1.01, others 0.03 = 2.06 | recv 1.63, send 1.01, others 0.05 = 2.69 |

localsock makes Asio's own calls; beyond the floor's, and why:

- **A read that finds nothing** (EAGAIN), on every workload where the server
  waits for its client: after a read comes back short of its buffer, the next
  read is tried, not skipped. The floor skips it (a short read is taken for an
  empty socket), which is what puts it ahead on ping-pong and the fan-in. With
  edge-triggered readiness that rule is not safe in general: a peer that
  writes and then closes before the loop looks gives one readiness report for
  both; the short read takes the bytes, and the end of the stream is never
  reported again, so a server that waits for it hangs (docs/design.md, "Why a
  short read is not taken for an empty socket", and the test "async peer
  close: ..."; a version of localsock that took the shortcut hung
  `net::async_read_until` that way). libuv skips the read safely because its
  epoll is level-triggered; Asio's reactor is edge-triggered only. The correct
  edge-triggered server is `epoll-eagain`: on the fan-in localsock runs at
  0.89× (64 clients) and 0.92× (512) of it. So ≥ 0.95× of the floor on
  ping-pong and the fan-in is out of reach for a correct server built on
  Asio's reactor.
- **One epoll_wait more per operation that completes at once** (a server its
  clients keep busy: ping-pong, handles): such a completion is posted (a
  handler never runs inside its initiating function), and Asio's scheduler
  polls its reactor (`epoll_wait` with timeout 0) whenever it reaches its task
  with handlers queued. Asio's own sockets pay the same. A handler bound to an
  immediate executor (`localsock-immediate`) runs at once instead: one poll
  per 16 nested completions (handles: 3.00 → 2.06 calls per message, 0.77× →
  0.91× of the floor; fan-in of one client 0.86× → 0.95×).
- **Answering at once is not always faster** with client and server on one
  CPU: `localsock-immediate` replies and tries the next read before the
  client has written it (fan-in: 1.97 reads per round trip against 1.76), and
  runs out of ready work more often (0.44 context switches per round trip
  against 0.26), where posting lets requests pile up per wakeup; on the
  fan-in of 64 and 512 clients it is slower than the plain server, and on
  ping-pong the poll it saves is spent on that read. Bind the immediate
  executor where operations tend to complete at once (a peer that streams
  messages), not for one request in flight.

There is no `epoll_ctl` per wait: localsock's operations are reactor
operations, queued on the registration made once, as Asio's own are.
`benchmarks/count_syscalls.py --part async` (meson test
`async-syscalls-per-operation`) checks under strace, server side, ping-pong
and handles, what localsock holds to: no `epoll_ctl` per operation, the
floor's writes exactly, no more calls than Asio's own sockets for the same
work, and for `localsock-immediate` no `epoll_wait` beyond the floor's.
"""

WINE_HEAD = """# localsock performance under Wine

These figures compare localsock's Windows backend with hand-written Win32
named-pipe code (`benchmarks/raw_win32.cpp`: synchronous `ReadFile`/`WriteFile`,
handles duplicated with `DuplicateHandle` and their values sent in-band), all
run under Wine on Linux. Every Win32 I/O call is a round trip to wineserver
there, so they are **Wine-relative only**: they say nothing about Linux, and
little about real Windows.

`localsock` streams pass handles (framed, see `docs/wire-format.md`);
`localsock-plain` is the same with `handle_passing = false`, a plain byte pipe.
The difference between the two is the price of framing under Wine: a write
becomes a header and a payload (one `WriteFile` when the frame fits 16 KiB, two
above); reads go through a read-ahead buffer, which is why framed small
messages can beat one-`ReadFile`-per-message code. Connecting costs more than
the hand-written floor because localsock's handles are overlapped (real
timeouts, concurrent reads and writes): an event and a wait per first read.

"""

WINE_ASYNC_HEAD = """
## Servers of many clients: async and sync

One server per contender serving any number of clients, measured with the
same hand-written client (`benchmarks/win32_client.cpp`): blocking calls on
one connection, and for the fan-in one thread driving every connection
through an I/O completion port, each with one 64-byte round trip in flight.
Only the server differs. The echo workloads are plain bytes (the localsock
servers listen with `handle_passing = false`); the handle workloads are
localsock frames (`docs/wire-format.md`) whose values the client pushes with
`DuplicateHandle`, as `win32raw` does, and the ack is a one-byte frame: every
server sees the same bytes.

The floor, `win32` (`benchmarks/async_win32.cpp`), is the overlapped server
one writes by hand: one thread, one completion port, a pool of 16 instances
in overlapped `ConnectNamedPipe`, one overlapped `ReadFile` or `WriteFile`
in flight per connection (the echo: read what came, write it, read again;
the handles: read one message, close its values), completions dequeued in
batches with `GetQueuedCompletionStatusEx`. `localsock` is
`benchmarks/async_localsock.cpp`, the server of the Linux async table built
for Windows: `AsyncListener`/`AsyncStream` with callbacks on one io_context
thread. `localsock-sync` is `LocalListener`/`LocalStream` with a thread per
client (`benchmarks/localsock_sync_server.cpp`), what a blocking server
does with several clients. Each server checks at exit that it left no handle
open (under Wine: its entries in the system handle table). The server CPU
time below is the server process's own; the wineserver's share of every call
is not in it.

"""

WINE_ASYNC_TAIL = """
What it costs localsock's async server, counted from the code
(`include/localsock/asio/detail/completion_port.hpp`, `src/win32/`), per
echo of a server that waits for its client (ping-pong, the fan-in): the
floor makes one `ReadFile` and one `WriteFile`, both overlapped, and takes
their two completions from the port. localsock's read first tries the sync
object's non-blocking read (`PeekNamedPipe`: nothing there yet), waits with a
zero-byte overlapped `ReadFile` on the port, then tries again: a
`PeekNamedPipe` and the `ReadFile` that takes the bytes. The write is the
floor's (one overlapped `WriteFile`, its completion through the port). So
two `PeekNamedPipe` and one `ReadFile` more per round trip, each a wineserver
round trip under Wine. The zero-byte read is what makes a cancelled read
take nothing (it never holds the caller's buffer in the kernel), as a
reactor's readiness wait does on POSIX; the floor's read owns its buffer
until it completes.
"""

WINE_TAIL = """
Reproduce: `./dev bench`, or `benchmarks/run.py --build build-windows --wine`.

## The cost of the version 2 trust model (issue 9)

The figures of the first table measure wire format version 2 (issue 9);
version 1, where the receiver believed the values it read, measured 1.07× the
floor with 1 handle and 0.94× with 64 (the floor, `win32raw`, pushes
unchecked as version 1 did). Version 2 (docs/wire-format.md,
"Handle values and trust") checks a pushing peer once per connection, and
makes the receiver *take* pulled handles out of the sender. System calls per
handle and per connection, counted from the code (each is a wineserver round
trip under Wine):

| | version 1 (push, unchecked) | version 2 pull | version 2 push (the default between processes of one user) |
|---|---|---|---|
| sender, per connection | `OpenProcess` | — | `OpenProcess`, `WaitForSingleObject`, `PeekNamedPipe` |
| sender, per handle | 1 `DuplicateHandle` (into the peer) | 1 `DuplicateHandle` (within itself) | 1 `DuplicateHandle` (into the peer) |
| receiver, per connection | — | `GetNamed…ProcessId`, `OpenProcess`, `WaitForSingleObject`, `PeekNamedPipe` | the check, once: server end `ImpersonateNamedPipeClient`, `OpenThreadToken`, `RevertToSelf`, `GetSecurityInfo`, `AccessCheck`, `CloseHandle`; client end `GetNamedPipeServerProcessId`, `OpenProcess`, `OpenProcessToken`, `DuplicateToken`, `GetSecurityInfo`, `AccessCheck`, 3 `CloseHandle` |
| receiver, per handle | 0 | 1 `DuplicateHandle` (`DUPLICATE_CLOSE_SOURCE`) | 0 |

So push, what `HandleTransfer::automatic` picks between processes of one
user (the benchmark's case), costs what version 1 cost per handle: the check
and the liveness test are once per connection, not per message. Pull costs
one more system call per handle on the receiving side (2 per handle in all
instead of 1): in the "handle passing, 1 handle" workload one more wineserver
round trip per message (~3 today), in "64 handles" 64 more per message.
The benchmark measures push (both ends one user): the run that introduced
version 2 measured 0.96× and 0.95× the floor, against 1.07× and 0.94× before
— within what Wine's unpinned rounds move between runs (±10 %), with the same
system calls per message.
"""

if __name__ == "__main__":
    sys.exit(main())
