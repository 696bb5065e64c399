#!/usr/bin/env python3
"""examples/activated_echo as a test, under the real systemd-socket-activate.

    run_activated_echo.py ACTIVATED_ECHO

Started without activation it exits 2 with a message. Under
systemd-socket-activate with an abstract name and a socket file, named by
--fdname, it prints "NAME: listening on SOCKET" for each, echoes for
several clients at once on both listeners, and SIGTERM ends it. With -a
(Accept=yes) it echoes the one connection it was given. Exits non-zero on
the first failure.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ECHO = sys.argv[1]
TIMEOUT = 10.0


def address(name):
    return "\0" + name[1:] if name.startswith("@") else name


def connect(name):
    """Connects once the launcher has bound the name (it does so after it started)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        try:
            s.connect(address(name))
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def round_trip(s, payload):
    s.sendall(payload)
    got = b""
    while len(got) < len(payload):
        data = s.recv(65536)
        assert data, f"the echo server closed after {len(got)} of {len(payload)} bytes"
        got += data
    assert got == payload, f"echoed {got[:40]!r}..., sent {payload[:40]!r}..."


def read_lines(stream, count):
    lines = []
    deadline = time.monotonic() + TIMEOUT
    while len(lines) < count:
        assert time.monotonic() < deadline, f"printed only {lines}"
        line = stream.readline()
        assert line, f"activated_echo's output ended after {lines}"
        lines.append(line.decode().rstrip("\n"))
    return lines


def not_activated():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")}
    result = subprocess.run([ECHO], env=env, capture_output=True, timeout=TIMEOUT)
    assert result.returncode == 2, f"without activation: exit status {result.returncode}"
    assert b"not socket-activated" in result.stderr, result.stderr


def listeners(directory):
    abstract = f"@localsock-activated-echo-{os.getpid()}"
    path = os.path.join(directory, "echo.sock")
    server = subprocess.Popen(
        ["systemd-socket-activate", "-l", abstract, "-l", path, "--fdname=abstract:file", ECHO],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        first = connect(abstract)  # starts activated_echo
        lines = read_lines(server.stdout, 2)
        assert lines == [f"abstract: listening on {abstract}", f"file: listening on {path}"], lines
        clients = [first] + [connect(name) for name in (abstract, path, path)]
        for i, client in enumerate(clients):
            round_trip(client, bytes([65 + i]) * (1 + 70000 * i))
        for client in clients:
            round_trip(client, b"again")
            client.close()
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=TIMEOUT)
        assert status == -signal.SIGTERM, f"after SIGTERM: status {status}"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def accept_mode():
    name = f"@localsock-activated-echo-a-{os.getpid()}"
    server = subprocess.Popen(["systemd-socket-activate", "-a", "-l", name, ECHO],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        client = connect(name)
        round_trip(client, b"one connection")
        line = read_lines(server.stdout, 1)[0]
        assert line in ("connection: echoing one connection", "unknown: echoing one connection"), line
        client.close()
    finally:
        server.kill()
        server.wait()


not_activated()
with tempfile.TemporaryDirectory() as directory:
    listeners(directory)
accept_mode()
print("activated_echo: OK")
