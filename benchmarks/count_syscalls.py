#!/usr/bin/env python3
"""Counts system calls per operation, localsock against hand-written code.

Each workload runs twice under `strace -f -c`, with N and with 2N operations;
the difference divided by N is the per-operation count, free of start-up and
tear-down. localsock must make no more system calls per operation than the
hand-written floor on either side. (Names differ where localsock uses
send/recv for no-SIGPIPE writes and the floor uses write/read; the counts
are compared.) Then the async servers, server side only (their client is one
program for all): localsock's against the hand-written epoll server and
Asio's own (see compare_async_servers for the rules); with --rivals, the
coroutine variant and libuv's shown too (slow under strace: libuv opens a
handle object for every descriptor it receives).

    benchmarks/count_syscalls.py --build build [--part sync|async] [--rivals]
"""
import argparse
import os
import subprocess
import sys
import tempfile

# (workload, size, N, sides): throughput reads depend on timing (how much
# each read finds), so only the writing side is compared there.
WORKLOADS = [
    ("pingpong", 0, 1000, ("client", "server")),
    ("handles1", 0, 1000, ("client", "server")),
    ("handles64", 0, 200, ("client", "server")),
    ("throughput", 65536, 1000 * 65536, ("client",)),
    ("connect", 0, 500, ("client", "server")),
    ("seqpacket", 0, 1000, ("client", "server")),
]
# (workload, N) for the async servers. The fan-in is left out: how many
# events one epoll_wait returns depends on timing, not on the server.
ASYNC_WORKLOADS = [
    ("pingpong", 500),
    ("handles1", 500),
    ("handles64", 100),
]
ASYNC_FLOOR = "async-epoll"
ASYNC_CHECKED = ["async-localsock", "async-localsock-immediate"]
ASYNC_SHOWN = ["async-localsock-coro", "async-libuv", "async-asio"]  # the same operations; the rivals


def strace_counts(program, side, workload, size, count, directory):
    name = os.path.join(directory, f"{os.path.basename(program)}-{workload}-{count}.sock")
    args = [workload, name, "--size", str(size), "--count", str(count)]
    out = os.path.join(directory, f"strace-{side}.txt")
    traced = ["strace", "-f", "-c", "-o", out, program, side] + args
    other = [program, "client" if side == "server" else "server"] + args
    if side == "server":
        server = subprocess.Popen(traced, stdout=subprocess.DEVNULL)
        subprocess.run(other, stdout=subprocess.DEVNULL, check=True, timeout=120)
    else:
        server = subprocess.Popen(other, stdout=subprocess.DEVNULL)
        subprocess.run(traced, stdout=subprocess.DEVNULL, check=True, timeout=120)
    server.wait(timeout=120)
    counts = {}
    for line in open(out):
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            counts[fields[-1]] = int(fields[3])
    return counts


def per_operation(program, side, workload, size, count, directory):
    once = strace_counts(program, side, workload, size, count, directory)
    twice = strace_counts(program, side, workload, size, 2 * count, directory)
    operations = count // size if workload == "throughput" else count
    result = {}
    for name in set(once) | set(twice):
        extra = twice.get(name, 0) - once.get(name, 0)
        if extra > operations // 100:  # ignore calls that do not grow with the work
            result[name] = extra / operations
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True)
    parser.add_argument("--part", choices=("sync", "async"), help="only the sync comparison, or only the async one")
    parser.add_argument("--rivals", action="store_true", help="also count the coroutine and libuv async servers")
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="localsock-strace-") as directory:
        if args.part != "async":
            failures += compare_sync(args.build, directory)
        if args.part is None:
            print()
        if args.part != "sync":
            failures += compare_async_servers(args.build, directory, args.rivals)
    print()
    print("localsock keeps to the system calls it must (above)."
          if not failures else f"{failures} comparison(s) where localsock makes more system calls than it must.")
    return 1 if failures else 0


def compare_sync(build, directory):
    programs = {n: os.path.join(build, "benchmarks", f"bench-{n}") for n in ("raw", "localsock")}
    failures = 0
    print("| workload | side | hand-written (calls/op) | localsock (calls/op) |")
    print("|---|---|---|---|")
    for workload, size, count, sides in WORKLOADS:
        for side in sides:
            raw = per_operation(programs["raw"], side, workload, size, count, directory)
            ours = per_operation(programs["localsock"], side, workload, size, count, directory)
            show = lambda c: ", ".join(f"{n} {v:.2f}" for n, v in sorted(c.items())) + f" = {sum(c.values()):.2f}"
            verdict = "" if sum(ours.values()) <= sum(raw.values()) + 0.01 else "  **MORE**"
            failures += bool(verdict)
            print(f"| {workload} | {side} | {show(raw)} | {show(ours)}{verdict} |")
    return failures


# What the async check holds localsock to, per operation (server side):
# - no epoll_ctl: the descriptor is registered once and waits are reactor
#   operations, as Asio's own socket operations are;
# - the floor's writes: one send/sendmsg per reply, exactly;
# - no more calls than Asio's own sockets make for the same work (within
#   0.3 per operation: reads that find nothing vary with timing), where
#   Asio takes part (it cannot pass handles);
# - with handlers bound to an immediate executor (async-localsock-immediate),
#   no epoll_wait beyond the floor's (within 0.2 per operation: one in
#   max_immediate_depth nested completions goes through the scheduler).
# Beyond the floor's, localsock (like Asio) may make one epoll_wait per
# operation that completes at once (Asio's scheduler polls its reactor before
# running a posted completion) and a read that finds nothing after a short
# one (a short read on a Unix stream does not always mean it is empty: a
# read stops after a message with handles, or between writers with
# SO_PASSCRED): docs/performance.md.
WRITES = ("send", "sendto", "sendmsg", "write", "writev")
ASYNC_ASIO = "async-asio"
ASYNC_IMMEDIATE = "async-localsock-immediate"


def compare_async_servers(build, directory, rivals):
    wanted = [ASYNC_FLOOR] + ASYNC_CHECKED + [ASYNC_ASIO] + (ASYNC_SHOWN if rivals else [])
    programs = {n: os.path.join(build, "benchmarks", f"bench-{n}") for n in dict.fromkeys(wanted)}
    programs = {n: p for n, p in programs.items() if os.path.exists(p)}
    if ASYNC_FLOOR not in programs:
        print(f"no bench-{ASYNC_FLOOR} in {build}/benchmarks")
        return 1
    checked = [n for n in ASYNC_CHECKED if n in programs]
    short = lambda n: n.removeprefix("async-")
    print("Async servers (server side, calls/op):")
    print()
    print("| workload | " + " | ".join(short(n) + (" (floor)" if n == ASYNC_FLOOR else "") for n in programs) + " |")
    print("|---|" + "---|" * len(programs))
    failures = 0 if checked else 1
    for workload, count in ASYNC_WORKLOADS:
        counts = {n: per_operation(p, "server", workload, 0, count, directory) for n, p in programs.items()}
        writes = lambda c: sum(v for k, v in c.items() if k in WRITES)
        asio = counts.get(ASYNC_ASIO) or None  # empty: Asio cannot do this workload
        cells = []
        for n, c in counts.items():
            problems = []
            if n in checked:
                if c.get("epoll_ctl", 0) > 0.01:
                    problems.append("epoll_ctl per operation")
                if abs(writes(c) - writes(counts[ASYNC_FLOOR])) > 0.01:
                    problems.append("writes differ from the floor's")
                # A read that finds nothing comes or not with timing, for
                # both: allow a fraction of one per operation.
                if asio and sum(c.values()) > sum(asio.values()) + 0.3:
                    problems.append("more than Asio's own")
                # With an immediate executor nothing that completes at once
                # goes through the scheduler: no epoll_wait beyond the
                # floor's, but one per max_immediate_depth nested completions.
                if n == ASYNC_IMMEDIATE and c.get("epoll_wait", 0) > counts[ASYNC_FLOOR].get("epoll_wait", 0) + 0.2:
                    problems.append("epoll_wait for completions that needed no wait")
            failures += bool(problems)
            cells.append("unsupported" if not c else  # nothing grew with the work
                         ", ".join(f"{k} {v:.2f}" for k, v in sorted(c.items())) + f" = {sum(c.values()):.2f}"
                         + (f"  **{'; '.join(problems)}**" if problems else ""))
        print(f"| {workload} | " + " | ".join(cells) + " |")
    if not checked:
        print("\nno localsock async server built")
    return failures


if __name__ == "__main__":
    sys.exit(main())
