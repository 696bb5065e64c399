#!/usr/bin/env python3
"""examples/async_server on Windows, under Wine: the same behaviour as on Linux.

    run_async_server_wine.py ASYNC_SERVER.exe ECHO_CLIENT.exe CXX

The server listens on a pipe name (`@name`); several clients at once
(tests/win32/echo_client.cpp) each send a message with the write end of an
anonymous pipe and get the same bytes and a working handle back; then the
server is stopped (killed: Wine cannot deliver SIGTERM to it). CXX (the MinGW
compiler) says where its runtime DLLs are, for WINEPATH. Exits non-zero on
the first failure.
"""
import os
import subprocess
import sys
import time

SERVER, CLIENT, CXX = sys.argv[1], sys.argv[2], sys.argv[3]
TIMEOUT = 60


def wine_path():
    dirs = [os.path.dirname(os.path.abspath(SERVER)), os.path.dirname(os.path.dirname(os.path.abspath(SERVER)))]
    for dll in ("libstdc++-6.dll", "libgcc_s_seh-1.dll", "libwinpthread-1.dll"):
        found = subprocess.run([CXX, f"-print-file-name={dll}"], capture_output=True, text=True).stdout.strip()
        if os.path.isabs(found):
            dirs.append(os.path.dirname(found))
    return ";".join("Z:" + d for d in dirs)


def main():
    env = dict(os.environ, WINEPATH=wine_path(), WINEDEBUG="-all")
    name = f"@localsock-async-server-wine-{os.getpid()}"
    server = subprocess.Popen(["wine", SERVER, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env)
    try:
        line = server.stdout.readline()
        if line.strip() != f"listening on {name}":
            sys.exit(f"server said {line!r}, stderr: {server.stderr.read() if server.poll() is not None else ''}")
        clients = [subprocess.Popen(["wine", CLIENT, name, f"message {i}"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=env) for i in range(4)]
        for i, client in enumerate(clients):
            out, err = client.communicate(timeout=TIMEOUT)
            expected = f'echoed "message {i}" with a working handle (ok through it)'
            if client.returncode != 0 or out.strip() != expected:
                sys.exit(f"client {i}: status {client.returncode}, out {out!r}, err {err!r}")
        # A second round on the same server: it serves every client in turn.
        again = subprocess.run(["wine", CLIENT, name, "again"], capture_output=True, text=True, env=env,
                               timeout=TIMEOUT)
        if again.returncode != 0 or "working handle" not in again.stdout:
            sys.exit(f"second round: {again.returncode} {again.stdout!r} {again.stderr!r}")
        if server.poll() is not None:
            sys.exit(f"server exited early with {server.returncode}")
    finally:
        server.kill()  # Windows has no SIGTERM to deliver through Wine
        server.wait()
    print("async_server under Wine: 5 clients echoed with working handles")


if __name__ == "__main__":
    main()
