#!/usr/bin/env python3
"""examples/async_server as a test: the real binary, driven over real sockets.

    run_async_server.py ASYNC_SERVER ASYNC_CLIENT

For a socket file and for an abstract name: several clients at once pass
pipes and get the same bytes and working descriptors back; clients that
vanish mid-message, reset the connection or send too many handles end only
themselves (and the server's descriptor count comes back); the C++
async_client (README's client) runs against it; SIGTERM or SIGINT stops it
with status 0, its socket file gone. Exits non-zero on the first failure.
"""
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SERVER, CLIENT = sys.argv[1], sys.argv[2]
HANDLE_LIMIT = 16  # async_server.cpp's handle_limit (dbus_max_handles)
TIMEOUT = 10.0


def open_fds(pid="self"):
    return len(os.listdir(f"/proc/{pid}/fd"))


def address(name):
    return "\0" + name[1:] if name.startswith("@") else name


def connect(name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(address(name))
    return s


def echo(s, payload, fds):
    """Sends payload with fds; returns the echoed bytes and the descriptors that came with them."""
    socket.send_fds(s, [payload], fds)
    got, received = b"", []
    while len(got) < len(payload):
        data, new_fds, flags, _ = socket.recv_fds(s, 65536, 64)
        received += new_fds
        assert not flags & socket.MSG_CTRUNC, "control data truncated at the client"
        assert data, f"end of stream after {len(got)} of {len(payload)} echoed bytes"
        got += data
    return got, received


def pipe_with(text):
    """The read end of a pipe that holds text (the write end closed)."""
    r, w = os.pipe()
    os.write(w, text)
    os.close(w)
    return r


def check_round(s, text, pipes):
    """One message carrying `pipes` pipes: same bytes back, and each returned descriptor reads its pipe."""
    lent = [pipe_with(b"%s/pipe %d" % (text, i)) for i in range(pipes)]
    got, fds = echo(s, text, lent)
    for fd in lent:
        os.close(fd)
    try:
        assert got == text, f"echoed {got!r} for {text!r}"
        assert len(fds) == pipes, f"{len(fds)} descriptors came back for {pipes}"
        for i, fd in enumerate(fds):
            assert os.read(fd, 100) == b"%s/pipe %d" % (text, i), "a returned descriptor reads something else"
    finally:
        for fd in fds:
            os.close(fd)


def concurrent_clients(name, count=8, rounds=3):
    # Every client connects, then all talk at once and stay connected until
    # all are done: a server that served one client at a time would hang here.
    barrier = threading.Barrier(count, timeout=TIMEOUT)
    errors = []

    def client(index):
        try:
            with connect(name) as s:
                barrier.wait()
                for r in range(rounds):
                    check_round(s, b"client %d round %d" % (index, r), pipes=1 + (index + r) % 3)
                    got, fds = echo(s, b"bytes alone", [])
                    assert got == b"bytes alone" and not fds
                barrier.wait()
        except Exception as e:  # reported by the main thread
            errors.append(f"client {index}: {e!r}")
            barrier.abort()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def misbehaving_clients(name):
    # Too many handles: the bytes come back without them; the connection goes on.
    with connect(name) as s:
        r = pipe_with(b"x")
        got, fds = echo(s, b"too many", [r] * (HANDLE_LIMIT + 1))
        os.close(r)
        for fd in fds:
            os.close(fd)
        assert got == b"too many" and not fds, f"{len(fds)} handles came back over the limit"
        check_round(s, b"after too many", pipes=HANDLE_LIMIT)

    # Vanishes right after sending bytes with a handle: the echo finds it gone.
    s = connect(name)
    r = pipe_with(b"x")
    socket.send_fds(s, [b"gone"], [r])
    os.close(r)
    s.close()

    # Vanishes mid-message: sends until both directions are full (the server
    # waits to write its echo), then leaves.
    s = connect(name)
    s.setblocking(False)
    chunk = b"m" * 65536
    try:
        while True:
            s.send(chunk)
    except BlockingIOError:
        pass
    s.close()

    # Resets the connection: leaves with the echo unread in its queue, so the
    # server's next receive fails with ECONNRESET.
    s = connect(name)
    s.sendall(b"reset")
    assert select.select([s], [], [], TIMEOUT)[0], "no echo"
    s.close()

    # Connects and leaves at once.
    connect(name).close()


def wait_for_fds(pid, expected):
    deadline = time.monotonic() + TIMEOUT
    while open_fds(pid) != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert open_fds(pid) == expected, f"server holds {open_fds(pid)} descriptors, {expected} when idle"


def readline(pipe):
    assert select.select([pipe], [], [], TIMEOUT)[0], "the server printed nothing"
    return pipe.readline().decode().rstrip("\n")


def cpp_clients(name, count=3):
    runs = [subprocess.Popen([CLIENT, name, f"hello {i}"], stdout=subprocess.PIPE, text=True) for i in range(count)]
    for i, run in enumerate(runs):
        out, _ = run.communicate(timeout=TIMEOUT)
        assert run.returncode == 0, f"async_client exited with {run.returncode}"
        assert f'echoed "hello {i}" with a working descriptor' in out, out


def run(name, stop_signal):
    server = subprocess.Popen([SERVER, name], stdout=subprocess.PIPE)
    try:
        line = readline(server.stdout)
        assert line == f"listening on {name}", line
        idle = open_fds(server.pid)

        concurrent_clients(name)
        misbehaving_clients(name)
        with connect(name) as s:
            check_round(s, b"still serving", pipes=2)
        cpp_clients(name)
        wait_for_fds(server.pid, idle)

        # Stops with a client connected: the client sees the end of the stream.
        with connect(name) as s:
            check_round(s, b"last", pipes=1)
            server.send_signal(stop_signal)
            assert server.wait(TIMEOUT) == 0, f"exit status {server.returncode}"
            assert s.recv(1) == b"", "the connected client was not closed"
        if name.startswith("@"):
            try:
                connect(name).close()
                raise AssertionError("the name still accepts connections")
            except ConnectionRefusedError:
                pass
        else:
            assert not os.path.lexists(name), "the socket file is still there"
        print(f"ok: {name} (stopped by {signal.Signals(stop_signal).name})")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server.stdout.close()


def main():
    fds_before = open_fds()
    with tempfile.TemporaryDirectory() as directory:
        run(os.path.join(directory, "async.sock"), signal.SIGTERM)
    run(f"@localsock-async-server-test-{os.getpid()}", signal.SIGINT)
    assert open_fds() == fds_before, "the test leaked descriptors"


if __name__ == "__main__":
    main()
