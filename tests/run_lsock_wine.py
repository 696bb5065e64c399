#!/usr/bin/env python3
"""lsock on Windows, under Wine: the same commands over named pipes.

    run_lsock_wine.py LSOCK.exe CXX

Bytes both ways, handles out (--send-memfd: a read-only section,
--send-file) and in (described, --json, --save-fds, --exec with
LSOCK_HANDLES), relay with handles both ways, seqpacket boundaries, info,
pair, usage and errors. CXX (the MinGW compiler) says where its runtime DLLs
are, for WINEPATH. Exits non-zero on the first failure.

Handle counts: lsock checks its own with LSOCK_CHECK_HANDLES=1, which under
Wine counts nothing (GetProcessHandleCount is 0 there); the library's handle
accounting under Wine is the unit tests' (they count in the system table).
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

LSOCK, CXX = sys.argv[1], sys.argv[2]
TIMEOUT = 60
PREFIX = f"@lsock-wine-{os.getpid()}"


def wine_path():
    dirs = [os.path.dirname(os.path.abspath(LSOCK)), os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(LSOCK))))]
    for dll in ("libstdc++-6.dll", "libgcc_s_seh-1.dll", "libwinpthread-1.dll"):
        found = subprocess.run([CXX, f"-print-file-name={dll}"], capture_output=True, text=True).stdout.strip()
        if os.path.isabs(found):
            dirs.append(os.path.dirname(found))
    return ";".join("Z:" + d for d in dirs)


ENV = dict(os.environ, WINEPATH=wine_path(), WINEDEBUG="-all", LSOCK_CHECK_HANDLES="1")


def fail(message):
    sys.exit(f"FAIL: {message}")


def windows_path(path):
    return "Z:" + path.replace("/", "\\")


def lsock(*args, stdin=b"", expect=0):
    result = subprocess.run(["wine", LSOCK, *args], input=stdin, capture_output=True, env=ENV, timeout=TIMEOUT)
    if expect is not None and result.returncode != expect:
        fail(f"lsock {' '.join(args)}: status {result.returncode} (wanted {expect}), "
             f"stdout {result.stdout!r}, stderr {result.stderr!r}")
    return result


class Listener:
    """`lsock listen ...` in the background, ready once it said so."""

    def __init__(self, *args):
        self.process = subprocess.Popen(["wine", LSOCK, "listen", *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
        line = self.process.stderr.readline().decode()
        if "listening" not in line:
            self.process.kill()
            fail(f"listen {args}: said {line!r}")

    def finish(self, send=None, expect=0):
        if self.process.stdin is not None and self.process.stdin.closed:
            self.process.stdin = None
        out, err = self.process.communicate(send, timeout=TIMEOUT)
        if self.process.returncode != expect:
            fail(f"listener: status {self.process.returncode}, stdout {out!r}, stderr {err!r}")
        return out, err.decode()


def check(condition, what, detail=""):
    if not condition:
        fail(f"{what}: {detail}")
    print(f"ok: {what}")


def usage_and_errors(work):
    # Usage and errors.
    check("relay A B" in lsock("--help").stdout.decode(), "--help names the commands")
    bad = lsock("connect", expect=2)
    check(b"takes one NAME" in bad.stderr, "a missing NAME is a usage error (2)", bad.stderr)
    nothing = lsock("connect", f"{PREFIX}-nobody", expect=1)
    check(nothing.stderr.decode().startswith(f"lsock: connect '{PREFIX}-nobody': "), "a refused connect names the pipe",
          nothing.stderr)
    info = lsock("info", f"{PREFIX}-nobody", expect=1)
    check(b"listening: no" in info.stdout, "info on nothing", info.stdout)


def handles_out_and_saved(work):
    # Bytes both ways, handles out: a section with text, a file.
    path = os.path.join(work, "sent.txt")
    with open(path, "wb") as f:
        f.write(b"file content\n")
    name = f"{PREFIX}-a"
    listener = Listener(name, "--json", "--save-fds", windows_path(work))
    client = lsock("connect", name, "--send-memfd", "section text", "--send-file", windows_path(path),
                   stdin=b"from the client", expect=None)
    out, err = listener.finish(b"")
    check(client.returncode == 0, "connect sends", client.stderr)
    check(out == b"from the client", "the listener's stdout has the client's bytes", out)
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    handles = [e for e in events if e.get("event") == "handle"]
    check(len(handles) == 2, "two handles arrive, one JSON line each", err)
    check(handles[0]["kind"] == "section" and handles[0]["size"] >= len("section text"), "the section is described",
          handles[0])
    check(handles[1]["kind"] == "file" and handles[1]["path"].lower().endswith("sent.txt") and handles[1]["size"] == 13,
          "the file is described with its path and size", handles[1])
    with open(os.path.join(work, "handle-2"), "rb") as f:
        check(f.read() == b"file content\n", "--save-fds saved the file's contents")
    check(not os.path.exists(os.path.join(work, "handle-1")) and "handle-1 not saved" in err,
          "a section is not saved, and lsock says so", err)


def exec_command(work):
    # The listener answers; --exec gets the handles (LSOCK_HANDLES).
    name = f"{PREFIX}-b"
    listener = Listener(name, "--exec", "echo exec got %LISTEN_FDS% handles: %LSOCK_HANDLES%")
    client = lsock("connect", name, "--send-memfd", "x", expect=None, stdin=b"hi")
    out, err = listener.finish(b"")
    check(client.returncode == 0, "connect with --send-memfd", client.stderr)
    check(b"exec got 1 handles: 0x" in out, "--exec ran with LISTEN_FDS and LSOCK_HANDLES", out)


def seqpacket(work):
    # Seqpacket (message-mode pipes): each read of stdin is one message.
    name = f"{PREFIX}-c"
    listener = Listener("--seqpacket", name)
    listener.process.stdin.write(b"reply message")
    listener.process.stdin.close()
    client = lsock("connect", "--seqpacket", name, stdin=b"one message")
    out, _ = listener.finish()
    check(out == b"one message" and client.stdout == b"reply message", "seqpacket both ways", (out, client.stdout))


def relay(work):
    # Relay: bytes and handles both ways.
    back, front = f"{PREFIX}-back", f"{PREFIX}-front"
    server = Listener(back, "--send-memfd", "from the back")
    server.process.stdin.write(b"back reply")
    server.process.stdin.close()
    relay = subprocess.Popen(["wine", LSOCK, "relay", f"listen:{front}", back], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=ENV)
    line = relay.stderr.readline().decode()
    check("listening on" in line, "relay listens", line)
    client = subprocess.run(["wine", LSOCK, "connect", front, "--send-memfd", "from the front"],
                            input=b"request", capture_output=True, env=ENV, timeout=TIMEOUT)
    out, err = server.finish()
    relay_out, relay_err = relay.communicate(timeout=TIMEOUT)
    check(client.returncode == 0 and relay.returncode == 0, "relay ends cleanly",
          (client.returncode, client.stderr, relay.returncode, relay_err))
    check(out == b"request" and "section" in err, "the back server got the bytes and the front's handle", (out, err))
    check(client.stdout == b"back reply" and b"received handle 1/1" in client.stderr and b"section" in client.stderr,
          "the client got the back's bytes and handle", (client.stdout, client.stderr))
    relay_err = relay_err.decode()
    check("A -> B: received handle 1/1" in relay_err and "B -> A: received handle 1/1" in relay_err,
          "relay describes what it forwards both ways", relay_err)


def info(work):
    # info on a live pipe: pid and program of the server.
    name = f"{PREFIX}-d"
    listener = Listener(name, "--keep")
    info = lsock("info", name)
    text = info.stdout.decode()
    check("listening: yes (stream)" in text and "(lsock.exe)" in text, "info names the server's program", text)
    info = json.loads(lsock("info", "--json", name).stdout)
    check(info["listening"] and info["admits_us"] and info["server"]["pid"] > 0
          and info["server"]["user_sid"].startswith("S-1-5-"), "info --json: admitted, pid and user SID", info)
    listener.process.kill()
    listener.process.wait()


def pair(work):
    # pair: the child inherits one end (LISTEN_FDS=1, its value in LSOCK_HANDLES).
    pair = lsock("pair", "--", "cmd", "/c", "echo LISTEN_FDS=%LISTEN_FDS% LSOCK_HANDLES=%LSOCK_HANDLES%")
    check(b"LISTEN_FDS=1 LSOCK_HANDLES=0x" in pair.stdout, "pair gives the child one end", pair.stdout)
    status = lsock("pair", "--", "cmd", "/c", "exit 3", expect=1)
    check(b"exited with status 3" in status.stderr, "pair reports the child's failure", status.stderr)


def main():
    # Independent groups, three at a time: each waits mostly for Wine
    # starting programs. A failure (SystemExit in its thread) ends the run.
    work = tempfile.mkdtemp(prefix="lsock-wine-")
    groups = [usage_and_errors, handles_out_and_saved, exec_command, seqpacket, relay, info, pair]
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        for future in [pool.submit(group, work) for group in groups]:
            future.result()
    print("lsock under Wine: all checks passed")


if __name__ == "__main__":
    main()
