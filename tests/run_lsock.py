#!/usr/bin/env python3
"""lsock, the command-line tool, driven against real peers on Linux.

    run_lsock.py LSOCK

Every lsock runs with LSOCK_CHECK_HANDLES=1 (it exits 1 if it ends holding
more descriptors than it started with) and under a timeout. The peers are
Python sockets (socket.send_fds / socket.recv_fds), other lsock processes
and socat. Prints one line per check; exits 1 on the first failure with the
command, its exit status, stdout and stderr.

Session semantics the checks rely on: a session ends when its socket reaches
end of stream (stdin then has half a second to finish), and the end of stdin
shuts the socket's writing side. So no check lets a peer end its sending
side before lsock has delivered what it had to send (the half second is not
relied on): a listener that must keep sending gets a stdin pipe that stays
open until its client has everything. No sleeps: a check waits for the line
or the bytes it needs ("lsock: listening on NAME" before connecting).
"""
import fcntl
import itertools
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback

if len(sys.argv) != 2:
    sys.exit("usage: run_lsock.py LSOCK")
LSOCK = os.path.abspath(sys.argv[1])
TIMEOUT = 20  # seconds, for every process and every socket operation
PID = os.getpid()
ENV = {key: value for key, value in os.environ.items() if not key.startswith("LISTEN_")}
ENV["LSOCK_CHECK_HANDLES"] = "1"
ALL_SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE  # 0xf


def noexec_seal():
    """F_SEAL_EXEC (0x20) where the kernel makes memfds non-executable
    (MFD_NOEXEC_SEAL, Linux 6.3): SharedMemory asks for that, and the kernel
    adds the seal."""
    try:
        os.close(os.memfd_create("probe", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING | 0x8))
        return 0x20
    except OSError:
        return 0


# The seals of lsock's --send-memfd: immutable, and not executable.
SENT_MEMFD_SEALS = ALL_SEALS | noexec_seal()
WORKDIR = None  # tempfile.mkdtemp(), made in main()
_numbers = itertools.count(1)


# --- reporting ---------------------------------------------------------------

class CheckFailed(Exception):
    pass


class Run:
    """A finished (or, for a snapshot, still running) process."""

    def __init__(self, argv, status, stdout, stderr):
        self.argv, self.status, self.stdout, self.stderr = argv, status, stdout, stderr

    def __str__(self):
        return (f"  command: {shlex.join(self.argv)}\n  status:  {self.status}\n"
                f"  stdout:  {show(self.stdout)}\n  stderr:  {show(self.stderr)}")


def show(value, limit=600):
    text = repr(value)
    if len(text) > limit:
        unit = "items" if isinstance(value, (list, tuple)) else "bytes"
        text = f"{text[:limit]}... ({len(value)} {unit})"
    return text


def fail(message, *runs):
    raise CheckFailed("\n".join([message] + [str(run) for run in runs]))


def expect(condition, message, *runs):
    if not condition:
        fail(message, *runs)


def expect_equal(actual, expected, what, *runs):
    if actual == expected:
        return
    if isinstance(actual, list) and isinstance(expected, list):
        for index, (got, wanted) in enumerate(zip(actual, expected)):
            if got != wanted:
                fail(f"{what}, item {index}:\n  expected {show(wanted)}\n  got      {show(got)}", *runs)
        fail(f"{what}: {len(actual)} items, expected {len(expected)}\n  expected {show(expected, 2000)}\n"
             f"  got      {show(actual, 2000)}", *runs)
    fail(f"{what}:\n  expected {show(expected)}\n  got      {show(actual)}", *runs)


def expect_run(run, status, stdout=None, stderr=None, what="lsock"):
    """Exit status, and stdout / stderr exactly (bytes, or str compared as UTF-8)."""
    if run.status != status:
        fail(f"{what}: exit status {run.status}, expected {status}", run)
    for name, wanted, got in (("stdout", stdout, run.stdout), ("stderr", stderr, run.stderr)):
        if wanted is None:
            continue
        if isinstance(wanted, str):
            wanted = wanted.encode()
        if got != wanted:
            fail(f"{what}: {name} differs\n  expected {show(wanted)}\n  got      {show(got)}", run)


def ok(text):
    print(f"ok   {text}", flush=True)


def fds_normalised(text):
    """stderr with each handle line's '(fd N)' as '(fd #)': descriptor numbers are lsock's business."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return re.sub(r"^(lsock: (?:[AB] -> [AB]: )?received handle \d+/\d+ )\(fd \d+\)", r"\1(fd #)", text,
                  flags=re.MULTILINE)


# --- names and sockets -------------------------------------------------------

def abstract_name():
    return f"@lsock-test-{PID}-{next(_numbers)}"


def socket_path(label):
    return os.path.join(WORKDIR, f"{label}-{next(_numbers)}.sock")


def address(name):
    return "\0" + name[1:] if name.startswith("@") else name


def server_socket(name, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_UNIX, kind)
    s.settimeout(TIMEOUT)
    s.bind(address(name))
    if kind != socket.SOCK_DGRAM:
        s.listen(8)
    return s


def client_socket(name, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_UNIX, kind)
    s.settimeout(TIMEOUT)
    s.connect(address(name))
    return s


def accept(server):
    connection, _ = server.accept()
    connection.settimeout(TIMEOUT)
    return connection


def receive_stream(connection):
    """Bytes up to end of stream, and the received descriptors as (byte offset, [fds])."""
    data = b""
    arrivals = []
    while True:
        chunk, fds, flags, _ = socket.recv_fds(connection, 1 << 16, 16)
        expect(flags & socket.MSG_CTRUNC == 0, "control data truncated (MSG_CTRUNC)")
        if fds:
            arrivals.append((len(data), fds))
        if not chunk:
            expect(not fds, "descriptors with no bytes")
            return data, arrivals
        data += chunk


def read_fd(fd):
    """Everything a descriptor reads from its current offset to its end."""
    data = b""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return data
        data += chunk


def close_fds(fds):
    for fd in fds:
        os.close(fd)


def sealed_memfd(name, content, seals=ALL_SEALS):
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, content)
    os.lseek(fd, 0, os.SEEK_SET)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    return fd


def pipe_with(content):
    """A pipe's read end holding `content`, its write end already closed."""
    r, w = os.pipe()
    os.write(w, content)
    os.close(w)
    return r


def write_file(path, content):
    with open(path, "wb") as f:
        f.write(content)
    return path


# --- processes ----------------------------------------------------------------

def lsock(*args, input=b"", pass_fds=(), timeout=TIMEOUT):
    """Runs lsock to its end; `input` is its whole stdin."""
    argv = [LSOCK, *args]
    try:
        done = subprocess.run(argv, input=input, capture_output=True, env=ENV, pass_fds=pass_fds,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        fail(f"did not end within {timeout} s", Run(argv, "killed (timeout)", e.stdout or b"", e.stderr or b""))
    return Run(argv, done.returncode, done.stdout, done.stderr)


def lsock_as_nobody(*args):
    """lsock run as the user nobody (the test runs as root)."""
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", LSOCK, *args]
    done = subprocess.run(argv, capture_output=True, env=ENV, timeout=TIMEOUT)
    return Run(argv, done.returncode, done.stdout, done.stderr)


class Proc:
    """A process in the background whose stdout and stderr are collected as they
    come (threads), so that a check can wait for a line without a sleep."""

    live = []

    def __init__(self, argv, stdin_pipe=False, pass_fds=()):
        self.argv = list(argv)
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
                                      pass_fds=pass_fds)
        self.pid = self.popen.pid
        self.output = {"stdout": bytearray(), "stderr": bytearray()}
        self.ended = {"stdout": False, "stderr": False}
        self.changed = threading.Condition()
        self.pumps = [threading.Thread(target=self._pump, args=(stream,), daemon=True)
                      for stream in ("stdout", "stderr")]
        for pump in self.pumps:
            pump.start()
        self.feeders = []
        self.feed_errors = []
        Proc.live.append(self)

    def _pump(self, stream):
        fd = getattr(self.popen, stream).fileno()
        while True:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                data = b""
            with self.changed:
                if data:
                    self.output[stream] += data
                else:
                    self.ended[stream] = True
                self.changed.notify_all()
            if not data:
                return

    def snapshot(self):
        with self.changed:
            return Run(self.argv, self.popen.poll(), bytes(self.output["stdout"]), bytes(self.output["stderr"]))

    def wait_output(self, stream, predicate, what, timeout=TIMEOUT):
        """Until predicate(bytes so far on `stream`) holds; fails if the stream ends or time runs out."""
        with self.changed:
            self.changed.wait_for(lambda: predicate(self.output[stream]) or self.ended[stream], timeout)
            satisfied = predicate(self.output[stream])
            ended = self.ended[stream]
        if not satisfied:
            fail(f"{what}: not on {stream} ({'it ended' if ended else f'waited {timeout} s'})", self.snapshot())

    def wait_stdout(self, expected, what):
        """Until stdout holds exactly `expected` (fails at once on anything else)."""
        self.wait_output("stdout", lambda out: len(out) >= len(expected) or not expected.startswith(out), what)
        got = self.snapshot().stdout
        if got != expected:
            fail(f"{what}: stdout differs\n  expected {show(expected)}\n  got      {show(got)}", self.snapshot())

    def wait_stderr_lines(self, count, what):
        self.wait_output("stderr", lambda err: err.count(b"\n") >= count, what)

    def wait_listening(self, name, as_json=False):
        line = (json.dumps({"event": "listening", "name": name}, separators=(",", ":")) if as_json
                else f"lsock: listening on {name}")
        self.wait_output("stderr", lambda err: b"\n" in err, "the listening line")
        first = self.snapshot().stderr.split(b"\n")[0].decode()
        expect_equal(first, line, "the first line on stderr", self.snapshot())

    def feed(self, data):
        """Writes `data` to stdin from a thread; stdin stays open."""
        def run():
            try:
                self.popen.stdin.write(data)
                self.popen.stdin.flush()
            except OSError as e:
                self.feed_errors.append(e)
        feeder = threading.Thread(target=run, daemon=True)
        feeder.start()
        self.feeders.append(feeder)

    def close_stdin(self):
        for feeder in self.feeders:
            feeder.join(TIMEOUT)
        self.feeders = []
        if self.popen.stdin is not None and not self.popen.stdin.closed:
            try:
                self.popen.stdin.close()
            except OSError:
                pass

    def finish(self, timeout=TIMEOUT):
        """Closes stdin, waits for the end; the Run (status -N: killed by signal N)."""
        self.close_stdin()
        try:
            status = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            fail(f"did not end within {timeout} s", self.snapshot())
        for pump in self.pumps:
            pump.join(TIMEOUT)
        self._close_pipes()
        Proc.live.remove(self)
        expect(not self.feed_errors, f"writing its stdin failed: {self.feed_errors}", self.snapshot())
        with self.changed:
            return Run(self.argv, status, bytes(self.output["stdout"]), bytes(self.output["stderr"]))

    def terminate(self):
        """SIGTERM, then finish()."""
        self.popen.send_signal(signal.SIGTERM)
        return self.finish()

    def kill(self):
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        for pump in self.pumps:
            pump.join(2)
        self.close_stdin()
        self._close_pipes()
        if self in Proc.live:
            Proc.live.remove(self)

    def _close_pipes(self):
        for pipe in (self.popen.stdout, self.popen.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()


def start_lsock(*args, stdin_pipe=False, pass_fds=()):
    return Proc([LSOCK, *args], stdin_pipe=stdin_pipe, pass_fds=pass_fds)


def listen(*args, name, stdin_pipe=False, as_json=False):
    """`lsock listen NAME args...`, once it said it is listening."""
    proc = start_lsock("listen", name, *args, stdin_pipe=stdin_pipe)
    proc.wait_listening(name, as_json)
    return proc


def connection_line(pid):
    return f"lsock: connection from pid {pid}, uid {os.getuid()}\n"


USAGE_HINT = "(lsock --help tells how to use it)\n"


# --- 1. usage -----------------------------------------------------------------

def check_usage():
    long_name = "@" + "n" * 200
    longest = "@" + "n" * 107    # sun_path holds 108 bytes: the leading NUL and 107
    too_long = "@" + "n" * 108
    cases = [
        ([], "no command given"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["connect", "--frobnicate", "@x"], "unknown option '--frobnicate'"),
        (["connect"], "'lsock connect' takes one NAME"),
        (["connect", "@a", "@b"], "'lsock connect' takes one NAME"),
        (["listen", "@x", "--mode", "999"], "--mode wants octal permissions such as 600 or 0660, not '999'"),
        (["listen", "@x", "--mode"], "--mode needs a value"),
        (["connect", "@x", "--keep"], "'lsock connect' takes no --keep"),
        (["connect", "@x", "--send-fd", "three"], "--send-fd wants a descriptor number, not 'three'"),
        (["connect", "@x", "--seqpacket", "--datagram"], "choose one of --stream, --seqpacket, --datagram"),
        (["listen", "@x", "--datagram", "--keep"],
         "a datagram listener serves every sender anyway: --keep is for stream and seqpacket"),
        (["relay", "@a", "@b", "--keep"], "--keep needs an end that listens (listen:NAME)"),
        (["relay", "@a"], "'lsock relay' takes two ends, A and B"),
        (["info", "@x", "--send-memfd", "t"], "'lsock info' takes no --send-memfd"),
        (["pair", "sh"], "'lsock pair' takes a command after --: lsock pair -- CMD [ARG...]"),
        (["connect", long_name], f"NAME '{long_name}': the local socket name is too long for this platform"),
        (["connect", too_long], f"NAME '{too_long}': the local socket name is too long for this platform"),
        (["connect", "@"], "NAME '@': a local socket name must not be empty"),
    ]
    for args, message in cases:
        run = lsock(*args)
        expect_run(run, 2, b"", f"lsock: {message}\n{USAGE_HINT}")
        shown = " ".join(f"@{'n' * 3}...({len(a) - 1} bytes)" if len(a) > 40 else a for a in args)
        ok(f"usage: lsock {shown} -> status 2, {message[:60]!r}")
    # The longest name that fits is a name: nobody listens there (status 1).
    run = lsock("connect", longest)
    expect_run(run, 1, b"", f"lsock: connect '{longest}': Connection refused\n")
    ok("usage: a 107-byte abstract name is accepted, 108 bytes are refused")

    run = lsock("--help")
    expect_run(run, 0, stderr=b"")
    for command in ("connect NAME", "listen NAME", "relay A B", "info NAME", "pair [options] -- CMD",
                    "--send-fd", "--send-file", "--send-memfd", "--save-fds", "--exec", "--keep", "--mode",
                    "--json", "--seqpacket", "--datagram"):
        expect(f"lsock {command}".encode() in run.stdout or command.encode() in run.stdout,
               f"--help does not mention {command}", run)
    for alias in (["help"], ["-h"], ["connect", "--help"]):
        other = lsock(*alias)
        expect_run(other, 0, run.stdout, b"", what=f"lsock {' '.join(alias)}")
    ok("usage: --help (and help, -h, connect --help) exits 0 and names every command and option")
    run = lsock("--version")
    expect_run(run, 0, stderr=b"")
    expect(re.fullmatch(rb"lsock \(localsock\) \d+\.\d+\.\d+\n", run.stdout), "--version output", run)
    ok(f"usage: --version prints {run.stdout.decode().strip()!r}")


# --- 2. stream: lsock listen <-> lsock connect --------------------------------

def check_stream():
    name = abstract_name()
    to_client = os.urandom(1 << 20)
    to_listener = os.urandom(1 << 20)
    listener = listen(name=name, stdin_pipe=True)
    client = start_lsock("connect", name, stdin_pipe=True)
    listener.feed(to_client)
    client.feed(to_listener)
    # Both directions complete while both sending sides are still open ...
    client.wait_stdout(to_client, "1 MiB listener -> client")
    listener.wait_stdout(to_listener, "1 MiB client -> listener")
    # ... then the client's stdin ends: its write side shuts down, the
    # listener's session ends (its own stdin still open) and its exit ends
    # the client's.
    client.close_stdin()
    listener_run = listener.finish()
    client_run = client.finish()
    expect_run(listener_run, 0, to_listener, f"lsock: listening on {name}\n" + connection_line(client.pid),
               "lsock listen")
    expect_run(client_run, 0, to_client, b"", "lsock connect")
    ok("stream: 1 MiB of random bytes each way between lsock listen and lsock connect, byte-exact")

    # Every client in turn with --keep, each with handles of its own (the
    # listener's stdin is empty: they ride on a zero byte, then each client
    # reads end of stream, after it has sent its bytes). Each reads the
    # memfd and the file from their start: not one offset for all clients.
    name = abstract_name()
    file_content = b"the file every client reads\n"
    path = write_file(os.path.join(WORKDIR, "keep.txt"), file_content)
    listener = listen("--keep", "--send-memfd", "for every client", "--send-file", path, name=name)
    for index, text in enumerate((b"first client\n", b"second client\n")):
        with client_socket(name) as c:
            # The handles first: once the client's end of stream is in, the
            # listener's stdin has only half a second more.
            first, fds, _, _ = socket.recv_fds(c, 1 << 16, 16)
            c.sendall(text)
            c.shutdown(socket.SHUT_WR)
            data, arrivals = receive_stream(c)
            data, arrivals = first + data, [(0, fds)] + arrivals
        try:
            expect_equal((data, [(offset, len(fds)) for offset, fds in arrivals]), (b"\0", [(0, 2)]),
                         f"client {index + 1} of the --keep listener reads (bytes, [(offset, handles)])",
                         listener.snapshot())
            memfd, file_fd = arrivals[0][1]
            expect_equal(read_fd(memfd), b"for every client", f"client {index + 1}'s memfd, read from its offset",
                         listener.snapshot())
            expect_equal(read_fd(file_fd), file_content, f"client {index + 1}'s file, read from its offset",
                         listener.snapshot())
        finally:
            close_fds(arrivals[0][1])
        listener.wait_stderr_lines(2 + index, "the connection line")
    listener.wait_stdout(b"first client\nsecond client\n", "both clients' bytes")
    run = listener.terminate()
    expect_run(run, -signal.SIGTERM, b"first client\nsecond client\n",
               f"lsock: listening on {name}\n" + connection_line(PID) * 2, "lsock listen --keep")
    ok("stream: listen --keep serves two clients in turn, each gets the --send-memfd/--send-file handles "
       "at offset 0; SIGTERM ends it")


# --- 3. handles out -------------------------------------------------------------

def check_handles_out():
    text = "sealed text \u00e9 for the memfd"
    file_content = b"the file sent with --send-file\n" * 3
    path = write_file(os.path.join(WORKDIR, "send-file.txt"), file_content)
    for stdin in (b"bytes the handles ride on", b""):
        pipe_content = os.urandom(1000)
        r = pipe_with(pipe_content)
        name = abstract_name()
        with server_socket(name) as server:
            client = start_lsock("connect", name, "--send-memfd", text, "--send-file", path,
                                 "--send-fd", str(r), stdin_pipe=True, pass_fds=(r,))
            os.close(r)  # lsock has its own copy
            if stdin:
                client.feed(stdin)
            client.close_stdin()
            with accept(server) as connection:
                data, arrivals = receive_stream(connection)
                connection.sendall(b"the server's answer\n")
        run = client.finish()
        expect_run(run, 0, b"the server's answer\n", b"", "lsock connect --send-...")
        expected = stdin if stdin else b"\0"
        expect_equal(data, expected, "the bytes the server received", run)
        expect_equal([(offset, len(fds)) for offset, fds in arrivals], [(0, 3)],
                     "where descriptors arrived (offset, count)", run)
        memfd, file_fd, pipe_fd = arrivals[0][1]
        try:
            expect(os.readlink(f"/proc/self/fd/{memfd}").startswith("/memfd:lsock"), "the first handle is a memfd",
                   run)
            expect_equal(read_fd(memfd), text.encode(), "the memfd's content (read from its offset)", run)
            expect_equal(fcntl.fcntl(memfd, fcntl.F_GET_SEALS), SENT_MEMFD_SEALS, "the memfd's seals", run)
            try:
                os.write(memfd, b"x")
                fail("the sealed memfd took a write", run)
            except PermissionError:
                pass
            expect(os.path.samestat(os.fstat(file_fd), os.stat(path)), "the file handle is PATH's file", run)
            expect_equal(fcntl.fcntl(file_fd, fcntl.F_GETFL) & os.O_ACCMODE, os.O_RDONLY, "the file's access", run)
            expect_equal(read_fd(file_fd), file_content, "the file's content", run)
            expect_equal(read_fd(pipe_fd), pipe_content, "the pipe's bytes", run)
        finally:
            close_fds(arrivals[0][1])
        how = "with stdin's bytes" if stdin else "on a single zero byte (empty stdin)"
        ok(f"handles out: --send-memfd (sealed 0xf), --send-file, --send-fd arrive {how}, contents right")


# --- 4. handles in --------------------------------------------------------------

def incoming_handles():
    """What a Python client sends: [(fd, expected text, expected JSON without native)], and what to close."""
    file_content = b"twelve bytes"
    path = os.path.realpath(write_file(os.path.join(WORKDIR, "handle-in.txt"), file_content))
    file_fd = os.open(path, os.O_RDONLY)
    memfd = sealed_memfd("lsock-test-memfd", b"memfd bytes")
    r, w = os.pipe()
    listening_name = abstract_name()
    listening = server_socket(listening_name, socket.SOCK_SEQPACKET)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    event = os.eventfd(0)
    directory = os.open(WORKDIR, os.O_RDONLY | os.O_DIRECTORY)
    forged = 'a "name"\nlsock: received handle 9/9 (fd 99): file'  # must not make a line of its own
    forger = sealed_memfd(forged, b"", fcntl.F_SEAL_SEAL)
    handles = [
        (file_fd, f'file "{path}", 12 bytes, read-only',
         {"kind": "file", "path": path, "size": 12, "access": "read-only"}),
        (memfd, 'memfd "lsock-test-memfd", 11 bytes, read-write, seals seal,shrink,grow,write',
         {"kind": "memfd", "path": "lsock-test-memfd", "size": 11, "access": "read-write",
          "seals": ["seal", "shrink", "grow", "write"]}),
        (r, "pipe, read end", {"kind": "pipe", "access": "read end"}),
        (listening.fileno(), f'socket seqpacket, listening, name "{listening_name}"',
         {"kind": "socket", "socket_family": "local", "socket_type": "seqpacket", "local_name": listening_name,
          "listening": True}),
        (a.fileno(), 'socket stream, peer "(unnamed)"',
         {"kind": "socket", "socket_family": "local", "socket_type": "stream", "peer_name": "(unnamed)",
          "listening": False}),
        (event, "eventfd", {"kind": "eventfd"}),
        (directory, f'directory "{os.path.realpath(WORKDIR)}"',
         {"kind": "directory", "path": os.path.realpath(WORKDIR)}),
        (forger, r'memfd "a \"name\"\nlsock: received handle 9/9 (fd 99): file", 0 bytes, read-write, seals seal',
         {"kind": "memfd", "path": forged, "size": 0, "access": "read-write", "seals": ["seal"]}),
    ]

    def close():
        close_fds([file_fd, memfd, r, w, event, directory, forger])
        for s in (listening, a, b):
            s.close()
    return handles, close


def check_handles_in():
    payload = b"bytes with eight handles"
    for as_json in (False, True):
        handles, close = incoming_handles()
        name = abstract_name()
        listener = listen(*(["--json"] if as_json else []), name=name, as_json=as_json)
        with client_socket(name) as c:
            socket.send_fds(c, [payload], [fd for fd, _, _ in handles])
            c.shutdown(socket.SHUT_WR)
            expect_equal(receive_stream(c), (b"", []), "what the client reads")
        run = listener.finish()
        close()
        expect_run(run, 0, payload, what="lsock listen")
        lines = run.stderr.decode().splitlines()
        count = len(handles)
        if not as_json:
            expected = [f"lsock: listening on {name}", connection_line(PID).rstrip("\n")]
            expected += [f"lsock: received handle {i + 1}/{count} (fd #): {line}"
                         for i, (_, line, _) in enumerate(handles)]
            expect_equal(fds_normalised(run.stderr).splitlines(), expected, "stderr lines", run)
        else:
            try:
                objects = [json.loads(line) for line in lines]
            except ValueError as e:
                fail(f"stderr is not one JSON object per line: {e}", run)
            expected = [{"event": "listening", "name": name},
                        {"event": "connected", "pid": PID, "uid": os.getuid()}]
            expected += [{"event": "handle", "index": i, "count": count, **fields}
                         for i, (_, _, fields) in enumerate(handles)]
            natives = [o.pop("native", None) for o in objects[2:]]
            expect(all(isinstance(n, str) and re.fullmatch(r"fd \d+", n) for n in natives),
                   f"'native' members: {natives}", run)
            expect(len(set(natives)) == len(natives), f"the handles share descriptors: {natives}", run)
            expect_equal(objects, expected, "the JSON objects on stderr", run)
        form = "--json objects" if as_json else "text lines"
        ok(f"handles in: file, sealed memfd, pipe, listening seqpacket socket, socketpair end, eventfd, "
           f"directory, a memfd named with a quote and a newline (escaped) described as {form}")


# --- 5. --save-fds ---------------------------------------------------------------

def check_save_fds():
    file_content = os.urandom(70000)  # more than one 64 KiB copy step
    memfd_content = b"memfd content to save"
    pipe_content = b"pipe bytes to save\n" * 100
    path = write_file(os.path.join(WORKDIR, "save-me.bin"), file_content)

    def send(name, offset=3):
        """A file (its offset moved to `offset`), a memfd, a pipe and a socket; returns the file's offset after."""
        file_fd = os.open(path, os.O_RDONLY)
        os.lseek(file_fd, offset, os.SEEK_SET)
        memfd = sealed_memfd("save", memfd_content)
        r = pipe_with(pipe_content)
        a, b = socket.socketpair()
        try:
            with client_socket(name) as c:
                socket.send_fds(c, [b"x"], [file_fd, memfd, r, a.fileno()])
                c.shutdown(socket.SHUT_WR)
                receive_stream(c)
            return file_fd
        finally:
            close_fds([memfd, r])
            a.close()
            b.close()

    directory = os.path.join(WORKDIR, "saved")
    os.mkdir(directory)
    name = abstract_name()
    listener = listen("--save-fds", directory, name=name)
    file_fd = send(name)
    run = listener.finish()
    offset = os.lseek(file_fd, 0, os.SEEK_CUR)
    os.close(file_fd)
    expect_run(run, 0, b"x", what="lsock listen --save-fds")
    saved = [line for line in run.stderr.decode().splitlines() if "saved" in line]
    expect_equal(saved, [f"lsock: saved {len(file_content)} bytes to {directory}/handle-1",
                         f"lsock: saved {len(memfd_content)} bytes to {directory}/handle-2",
                         f"lsock: saved {len(pipe_content)} bytes to {directory}/handle-3",
                         "lsock: --save-fds: handle-4 not saved: Operation not supported"],
                 "the --save-fds lines", run)
    expect_equal(sorted(os.listdir(directory)), ["handle-1", "handle-2", "handle-3"], "files in DIR", run)
    for index, content in ((1, file_content), (2, memfd_content), (3, pipe_content)):
        with open(os.path.join(directory, f"handle-{index}"), "rb") as f:
            expect_equal(f.read(), content, f"DIR/handle-{index}", run)
        expect_equal(stat.S_IMODE(os.stat(os.path.join(directory, f"handle-{index}")).st_mode), 0o600,
                     f"DIR/handle-{index}'s mode", run)
    expect_equal(offset, 3, "the sender's file offset after saving (pread)", run)
    ok("--save-fds: a file (whole, offset untouched), a memfd and a pipe saved to DIR/handle-1..3; "
       "a socket is skipped")

    # An existing DIR/handle-1 stays as it was: an error, status 1.
    directory = os.path.join(WORKDIR, "occupied")
    os.mkdir(directory)
    write_file(os.path.join(directory, "handle-1"), b"precious")
    name = abstract_name()
    listener = listen("--save-fds", directory, name=name)
    os.close(send(name))
    run = listener.finish()
    expect_run(run, 1, b"x", what="lsock listen --save-fds (handle-1 exists)")
    expect("lsock: --save-fds: handle-1 not saved: File exists\n" in run.stderr.decode(),
           "no 'handle-1 not saved: File exists' on stderr", run)
    with open(os.path.join(directory, "handle-1"), "rb") as f:
        expect_equal(f.read(), b"precious", "the existing DIR/handle-1", run)
    with open(os.path.join(directory, "handle-2"), "rb") as f:
        expect_equal(f.read(), memfd_content, "DIR/handle-2", run)
    ok("--save-fds: an existing DIR/handle-1 is not overwritten (status 1, 'File exists')")

    # A DIR that is a symbolic link (to a directory) is refused before listening.
    link = os.path.join(WORKDIR, "saved-link")
    os.symlink(os.path.join(WORKDIR, "saved"), link)
    name = abstract_name()
    run = lsock("listen", name, "--save-fds", link)
    expect_run(run, 1, b"", f"lsock: --save-fds: open directory '{link}': Not a directory\n",
               "lsock listen --save-fds SYMLINK")
    missing = os.path.join(WORKDIR, "no-such-directory")
    run = lsock("listen", name, "--save-fds", missing)
    expect_run(run, 1, b"", f"lsock: --save-fds: open directory '{missing}': No such file or directory\n",
               "lsock listen --save-fds MISSING")
    ok("--save-fds: a DIR that is a symbolic link, or missing, is refused (status 1)")


# --- 6. --exec -------------------------------------------------------------------

def check_exec():
    file_content = b"read through descriptor 3\n"
    path = write_file(os.path.join(WORKDIR, "exec.txt"), file_content)
    memfd_content = b"and descriptor 4\n"
    command = ('echo "$LISTEN_FDS $LISTEN_PID $$"; cat <&3; cat <&4; '
               'ls /proc/self/fd | tr "\\n" " "; echo')
    name = abstract_name()
    listener = listen("--exec", command, name=name)
    with open(path, "rb") as f:
        memfd = sealed_memfd("exec", memfd_content)
        with client_socket(name) as c:
            socket.send_fds(c, [b"the message's bytes\n"], [f.fileno(), memfd])
            c.shutdown(socket.SHUT_WR)
            receive_stream(c)
        os.close(memfd)
    run = listener.finish()
    expect_run(run, 0, what="lsock listen --exec")
    lines = run.stdout.split(b"\n", 1)
    fields = lines[0].decode().split()
    expect(len(fields) == 3 and fields[0] == "2" and fields[1] == fields[2] and fields[1].isdigit(),
           "the command's 'LISTEN_FDS LISTEN_PID $$' line (LISTEN_FDS=2, LISTEN_PID = its pid)", run)
    # ls's own descriptors: 0 1 2, the two handles, and its directory (one past them).
    expect_equal(lines[1], file_content + memfd_content + b"0 1 2 3 4 5 \n" + b"the message's bytes\n",
                 "the command's output, then the message's bytes", run)
    expect_equal(fds_normalised(run.stderr).splitlines()[2:],
                 [f'lsock: received handle 1/2 (fd #): file "{os.path.realpath(path)}", '
                  f'{len(file_content)} bytes, read-only',
                  f'lsock: received handle 2/2 (fd #): memfd "exec", {len(memfd_content)} bytes, read-write, '
                  'seals seal,shrink,grow,write'],
                 "the handle lines", run)
    ok("--exec: CMD gets LISTEN_FDS=2, LISTEN_PID=$$, reads the handles as fds 3 and 4, inherits nothing else")

    name = abstract_name()
    listener = listen("--exec", "exit 5", name=name)
    with client_socket(name) as c:
        r = pipe_with(b"")
        socket.send_fds(c, [b"y"], [r])
        os.close(r)
        c.shutdown(socket.SHUT_WR)
        receive_stream(c)
    run = listener.finish()
    expect_run(run, 1, b"y", what="lsock listen --exec 'exit 5'")
    expect_equal(run.stderr.decode().splitlines()[-1], "lsock: --exec 'exit 5' exited with status 5",
                 "the last stderr line", run)
    ok("--exec: a command that exits 5 makes lsock exit 1, naming the status")


# --- 7. relay ----------------------------------------------------------------------

def check_relay():
    front, back = abstract_name(), abstract_name()
    with server_socket(back) as server:
        relay = start_lsock("relay", f"listen:{front}", back)
        relay.wait_listening(front)
        with client_socket(front) as c:
            to_server_pipe = os.urandom(3000)
            r = pipe_with(to_server_pipe)
            socket.send_fds(c, [b"client to server"], [r])
            os.close(r)
            c.shutdown(socket.SHUT_WR)
            with accept(server) as s:
                data, arrivals = receive_stream(s)
                expect_equal(data, b"client to server", "what the server got", relay.snapshot())
                expect_equal([(o, len(f)) for o, f in arrivals], [(0, 1)], "the server's descriptors",
                             relay.snapshot())
                expect_equal(read_fd(arrivals[0][1][0]), to_server_pipe, "the pipe the server got",
                             relay.snapshot())
                close_fds(arrivals[0][1])
                memfd = sealed_memfd("answer", b"the server's memfd")
                socket.send_fds(s, [b"server to client"], [memfd])
                os.close(memfd)
            data, arrivals = receive_stream(c)
        run = relay.finish()
    expect_run(run, 0, b"", what="lsock relay")
    expect_equal(data, b"server to client", "what the client got", run)
    expect_equal([(o, len(f)) for o, f in arrivals], [(0, 1)], "the client's descriptors", run)
    try:
        expect_equal(read_fd(arrivals[0][1][0]), b"the server's memfd", "the memfd the client got", run)
        expect_equal(fcntl.fcntl(arrivals[0][1][0], fcntl.F_GET_SEALS), ALL_SEALS, "its seals", run)
    finally:
        close_fds(arrivals[0][1])
    expect_equal(fds_normalised(run.stderr).splitlines(),
                 [f"lsock: listening on {front}",
                  "lsock: A -> B: received handle 1/1 (fd #): pipe, read end",
                  'lsock: B -> A: received handle 1/1 (fd #): memfd "answer", 18 bytes, read-write, '
                  'seals seal,shrink,grow,write'],
                 "relay's stderr", run)
    ok("relay: bytes and a descriptor each way through listen:@front -> @back, both described")

    # seqpacket: message boundaries kept both ways.
    front, back = abstract_name(), abstract_name()
    sizes = [1, 70000, 300]
    messages = [os.urandom(size) for size in sizes]
    answers = [b"a", b"answer number two" * 1000]
    with server_socket(back, socket.SOCK_SEQPACKET) as server:
        relay = start_lsock("relay", "--seqpacket", f"listen:{front}", back)
        relay.wait_listening(front)
        with client_socket(front, socket.SOCK_SEQPACKET) as c:
            for message in messages:
                c.send(message)
            c.shutdown(socket.SHUT_WR)
            with accept(server) as s:
                got = []
                while (message := s.recv(1 << 20)) != b"":
                    got.append(message)
                expect_equal([len(m) for m in got], sizes, "the server's message sizes", relay.snapshot())
                expect_equal(got, messages, "the server's messages", relay.snapshot())
                for answer in answers:
                    s.send(answer)
            got = []
            while (message := c.recv(1 << 20)) != b"":
                got.append(message)
        run = relay.finish()
    expect_run(run, 0, b"", f"lsock: listening on {front}\n", "lsock relay --seqpacket")
    expect_equal(got, answers, "the client's messages", run)
    ok("relay --seqpacket: 3 messages (1, 70000, 300 bytes) and 2 answers keep their boundaries")

    # --keep: two clients in turn, each to a new connection at the back.
    front, back = abstract_name(), abstract_name()
    with server_socket(back) as server:
        relay = start_lsock("relay", "--keep", f"listen:{front}", back)
        relay.wait_listening(front)
        for text in (b"first", b"second"):
            with client_socket(front) as c:
                c.sendall(text)
                c.shutdown(socket.SHUT_WR)
                with accept(server) as s:
                    expect_equal(receive_stream(s), (text, []), "the server's bytes", relay.snapshot())
                    s.sendall(text.upper())
                expect_equal(receive_stream(c), (text.upper(), []), "the client's answer", relay.snapshot())
        run = relay.terminate()
    expect_run(run, -signal.SIGTERM, b"", f"lsock: listening on {front}\n", "lsock relay --keep")
    ok("relay --keep: two clients in turn, each answered")

    # --json: the listening line and each forwarded handle, with its direction, as objects.
    front, back = abstract_name(), abstract_name()
    with server_socket(back) as server:
        relay = start_lsock("relay", "--json", f"listen:{front}", back)
        relay.wait_listening(front, as_json=True)
        with client_socket(front) as c:
            memfd = sealed_memfd("relayed", b"12345")
            socket.send_fds(c, [b"j"], [memfd])
            os.close(memfd)
            c.shutdown(socket.SHUT_WR)
            with accept(server) as s:
                data, arrivals = receive_stream(s)
                for _, fds in arrivals:
                    close_fds(fds)
            expect_equal(receive_stream(c), (b"", []), "the client reads", relay.snapshot())
        run = relay.finish()
    expect_run(run, 0, b"", what="lsock relay --json")
    expect_equal((data, [len(fds) for _, fds in arrivals]), (b"j", [1]), "the server's bytes and handles", run)
    objects = [json.loads(line) for line in run.stderr.decode().splitlines()]
    for o in objects[1:]:
        expect(re.fullmatch(r"fd \d+", o.pop("native", "")), "a handle object's 'native'", run)
    expect_equal(objects, [{"event": "listening", "name": front},
                           {"event": "handle", "direction": "A -> B", "index": 0, "count": 1, "kind": "memfd",
                            "path": "relayed", "size": 5, "access": "read-write",
                            "seals": ["seal", "shrink", "grow", "write"]}], "relay --json's objects", run)
    ok("relay --json: the listening line and the forwarded handle (with its direction) as JSON objects")

    # A socket file end with --mode; a back end nobody listens on.
    front, nobody = socket_path("relay"), abstract_name()
    relay = start_lsock("relay", "--keep", "--mode", "600", f"listen:{front}", nobody)
    relay.wait_listening(front)
    expect_equal(f"{stat.S_IMODE(os.lstat(front).st_mode):04o}", "0600", "relay's socket file mode",
                 relay.snapshot())
    for attempt in (1, 2):
        with client_socket(front) as c:
            expect_equal(receive_stream(c), (b"", []), "a client of a relay whose back end refuses",
                         relay.snapshot())
        relay.wait_stderr_lines(1 + attempt, "the relay's error line")
    run = relay.terminate()
    expect_run(run, -signal.SIGTERM, b"", f"lsock: listening on {front}\n"
               + f"lsock: connect '{nobody}': Connection refused\n" * 2, "lsock relay --keep (back refuses)")
    expect(not os.path.lexists(front), "relay's socket file is still there after SIGTERM", run)
    front = abstract_name()
    relay = start_lsock("relay", f"listen:{front}", nobody)
    relay.wait_listening(front)
    with client_socket(front) as c:
        expect_equal(receive_stream(c), (b"", []), "the client of a relay whose back end refuses",
                     relay.snapshot())
    run = relay.finish()
    expect_run(run, 1, b"", f"lsock: listening on {front}\nlsock: connect '{nobody}': Connection refused\n",
               "lsock relay (back refuses)")
    ok("relay: a back end that refuses is reported (status 1; --keep goes on); listen:PATH --mode 600, "
       "SIGTERM removes the file")


# --- 8. info ------------------------------------------------------------------------

def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return ""


def with_name(number, name):
    return f"{number} ({name})" if name else f"{number}"


def check_info():
    uid, gid, user = os.getuid(), os.getgid(), user_name(os.getuid())
    with open("/proc/self/comm") as f:
        comm = f.read().strip()
    path = socket_path("info")
    with server_socket(path) as server:
        facts = os.stat(path)
        mode = f"{stat.S_IMODE(facts.st_mode):04o}"
        run = lsock("info", path)
        expect_run(run, 0, (f"name:      {path} (socket file)\n"
                            f"file:      socket, owner uid {with_name(facts.st_uid, user_name(facts.st_uid))}, "
                            f"gid {facts.st_gid}, mode {mode}\n"
                            f"listening: yes (stream)\n"
                            f"access:    this user may connect\n"
                            f"server:    pid {PID} ({comm})\n"
                            f"user:      uid {with_name(uid, user)}, gid {os.getegid()}\n"), b"", "lsock info")
        ok("info: a Python stream listener's socket file, text: listening, server pid and program, mode")
        run = lsock("info", "--json", path)
        expect_run(run, 0, stderr=b"", what="lsock info --json")
        file_facts = {"exists": True, "type": "socket", "owner_uid": facts.st_uid, "owner_gid": facts.st_gid,
                      "mode": mode}
        if user_name(facts.st_uid):
            file_facts["owner"] = user_name(facts.st_uid)
        server_facts = {"pid": PID, "program": comm, "uid": uid, "gid": os.getegid()}
        if user:
            server_facts["user"] = user
        expect_equal(json.loads(run.stdout), {"event": "info", "name": path, "kind": "filesystem",
                                              "file": file_facts, "stale": False, "listening": True,
                                              "admits_us": True, "socket_type": "stream",
                                              "server": server_facts},
                     "info --json", run)
        expect_equal(run.stdout.count(b"\n"), 1, "lines of info --json", run)
        ok("info --json: listening true, socket_type, server pid/program/uid, file mode as os.stat says")
        # Another user, whom the socket's directory (mkdtemp: 0700) keeps
        # out: the access control says no, and info says so.
        if os.geteuid() == 0:
            run = lsock_as_nobody("info", "--json", path)
            expect_run(run, 1, stderr=b"", what="lsock info --json as nobody")
            got = json.loads(run.stdout)
            expect_equal((got["listening"], got["admits_us"], got["reason"]),
                         (False, False, "this user may not connect (the file's or a directory's permissions)"),
                         "info --json as a user the permissions keep out", run)
            run = lsock_as_nobody("info", path)
            expect(b"access:    denied to this user\n" in run.stdout, "info's access line as nobody", run)
            ok("info as another user: admits_us false, the reason, 'access: denied to this user'")
        else:
            print("SKIP info as another user: needs root to become one")

    # The listener closed, its file left behind: stale.
    expect(os.path.exists(path), "python removed its socket file")
    run = lsock("info", path)
    expect_run(run, 1, (f"name:      {path} (socket file)\n"
                        f"file:      socket, owner uid {with_name(facts.st_uid, user_name(facts.st_uid))}, "
                        f"gid {facts.st_gid}, mode {mode}, stale\n"
                        f"listening: no: nobody is listening: the socket file is stale\n"), b"", "lsock info (stale)")
    run = lsock("info", "--json", path)
    expect_run(run, 1, stderr=b"", what="lsock info --json (stale)")
    expect_equal(json.loads(run.stdout), {"event": "info", "name": path, "kind": "filesystem", "file": file_facts,
                                          "stale": True, "listening": False,
                                          "reason": "nobody is listening: the socket file is stale"},
                 "info --json (stale)", run)
    ok("info: a stale socket file -> status 1, stale true")

    missing = os.path.join(WORKDIR, "missing.sock")
    run = lsock("info", "--json", missing)
    expect_run(run, 1, stderr=b"", what="lsock info --json (no file)")
    expect_equal(json.loads(run.stdout), {"event": "info", "name": missing, "kind": "filesystem",
                                          "file": {"exists": False}, "stale": False, "listening": False,
                                          "reason": "nothing has that name"}, "info --json (no file)", run)
    nobody = abstract_name()
    run = lsock("info", "--json", nobody)
    expect_run(run, 1, stderr=b"", what="lsock info --json (abstract, nobody)")
    expect_equal(json.loads(run.stdout), {"event": "info", "name": nobody, "kind": "namespaced",
                                          "listening": False, "reason": "nobody is listening"},
                 "info --json (abstract, nobody)", run)
    run = lsock("info", nobody)
    expect_run(run, 1, f"name:      {nobody} (namespaced)\nlistening: no: nobody is listening\n", b"",
               "lsock info (abstract, nobody)")
    ok("info: a nonexistent file and an abstract name nobody holds -> status 1, listening false")

    # Other socket types, as socket files and as abstract names (Linux keeps
    # abstract names per socket type: a stream probe of a seqpacket name is
    # refused, not told the type is wrong).
    for kind, type_name in ((socket.SOCK_SEQPACKET, "seqpacket"), (socket.SOCK_DGRAM, "datagram")):
        for name in (socket_path(type_name), abstract_name()):
            with server_socket(name, kind):
                run = lsock("info", "--json", name)
            expect_run(run, 0, stderr=b"", what=f"lsock info --json ({type_name})")
            got = json.loads(run.stdout)
            expect_equal((got.get("listening"), got.get("socket_type")), (True, type_name),
                         f"info --json on a {type_name} socket: listening, socket_type", run)
            if type_name == "seqpacket":
                expect_equal(got.get("server", {}).get("pid"), PID, "server.pid", run)
            if not name.startswith("@"):
                os.unlink(name)
    ok("info: seqpacket and datagram sockets (files and abstract names) -> their socket_type")

    # An lsock listen --keep: the probe is one of its clients.
    name = abstract_name()
    listener = listen("--keep", name=name)
    probe = start_lsock("info", name)
    run = probe.finish()
    expect_run(run, 0, stderr=b"", what="lsock info (lsock listen --keep)")
    expect_equal(run.stdout.decode().splitlines()[1:4],
                 ["listening: yes (stream)", "access:    this user may connect", f"server:    pid {listener.pid} (lsock)"],
                 "info's lines", run)
    listener.wait_stderr_lines(2, "the probe's connection line")
    stopped = listener.terminate()
    expect_run(stopped, -signal.SIGTERM, b"", f"lsock: listening on {name}\n" + connection_line(probe.pid),
               "lsock listen --keep")
    ok("info: on an lsock listen --keep -> server pid is lsock's, program 'lsock'")

    regular = write_file(os.path.join(WORKDIR, "not-a-socket"), b"")
    run = lsock("info", "--json", regular)
    expect_run(run, 1, stderr=b"", what="lsock info --json (regular file)")
    got = json.loads(run.stdout)
    expect_equal((got["file"]["type"], got["stale"], got["listening"]), ("regular file", False, False),
                 "info on a regular file: file.type, stale, listening", run)
    ok("info: a regular file -> type 'regular file', not stale, not listening")


# --- 9. pair --------------------------------------------------------------------------

def check_pair():
    received = os.path.join(WORKDIR, "pair-received")
    data = os.urandom(300000)
    script = ('printf "LISTEN_FDS=%s LISTEN_PID=%s PID=%s\\n" "$LISTEN_FDS" "$LISTEN_PID" "$$" >&3; '
              'cat <&3 >"$1"; echo "the child ends" >&3')
    proc = start_lsock("pair", "--", "sh", "-c", script, "sh", received, stdin_pipe=True)
    proc.feed(data)
    run = proc.finish()
    expect_run(run, 0, stderr=b"", what="lsock pair")
    lines = run.stdout.decode().split("\n")
    match = re.fullmatch(r"LISTEN_FDS=1 LISTEN_PID=(\d+) PID=(\d+)", lines[0])
    expect(match and match.group(1) == match.group(2), "the child's first line (LISTEN_FDS=1, LISTEN_PID=$$)",
           run)
    expect_equal(lines[1:], ["the child ends", ""], "the rest of lsock's stdout", run)
    with open(received, "rb") as f:
        expect_equal(f.read(), data, "what the child read from descriptor 3", run)
    ok("pair: stdin reaches the child through fd 3 (300000 bytes), its fd 3 writes reach stdout, LISTEN_FDS=1")

    run = lsock("pair", "--", "sh", "-c", "exit 3")
    expect_run(run, 1, b"", "lsock: 'sh' exited with status 3\n", "lsock pair -- sh -c 'exit 3'")
    run = lsock("pair", "--", "/nonexistent/program")
    expect_run(run, 1, b"", "lsock: '/nonexistent/program' exited with status 127\n", "lsock pair -- missing")
    ok("pair: a child exiting 3 (or 127: not found) -> status 1 naming the child's status")

    proc = start_lsock("pair", "--seqpacket", "--", "sh", "-c", 'echo "one message" >&3; cat <&3 >&2',
                       stdin_pipe=True)
    proc.feed(b"to the child")
    run = proc.finish()
    expect_run(run, 0, b"one message\n", b"to the child", "lsock pair --seqpacket")
    ok("pair --seqpacket: one message each way")


# --- 10. seqpacket connect -----------------------------------------------------------------

def check_seqpacket():
    name = abstract_name()
    with server_socket(name, socket.SOCK_SEQPACKET) as server:
        client = start_lsock("connect", "--seqpacket", name, stdin_pipe=True)
        with accept(server) as s:
            messages = [b"the first message", os.urandom(5000), b"3"]
            for message in messages:
                # One read of stdin is one message: the next is written once
                # the last has arrived.
                client.feed(message)
                expect_equal(s.recv(1 << 20), message, "a message the server received", client.snapshot())
            s.send(b"answer one\n")
            s.send(b"answer two\n")
            client.wait_stdout(b"answer one\nanswer two\n", "the server's answers")
            client.close_stdin()
            expect_equal(s.recv(1 << 20), b"", "end of stream after stdin's end", client.snapshot())
        run = client.finish()
    expect_run(run, 0, b"answer one\nanswer two\n", b"", "lsock connect --seqpacket")
    ok("seqpacket: connect --seqpacket sends one message per stdin read, prints the server's messages")


# --- 11. datagram and --mode ----------------------------------------------------------------

def check_datagram():
    path = socket_path("datagram")
    listener = listen("--datagram", name=path, stdin_pipe=True)
    r = pipe_with(b"x")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as c:
        c.settimeout(TIMEOUT)
        c.bind("")  # an autobound name: the listener can answer
        c.connect(path)
        c.send(b"first datagram\n")
        socket.send_fds(c, [b"second datagram\n"], [r])
        os.close(r)
        listener.wait_stdout(b"first datagram\nsecond datagram\n", "both datagrams")
        listener.wait_stderr_lines(2, "the handle's line")
        listener.feed(b"the answer")
        expect_equal(c.recv(1 << 16), b"the answer", "the listener's answer", listener.snapshot())
    expect(stat.S_ISSOCK(os.lstat(path).st_mode), "the datagram socket file", listener.snapshot())
    run = listener.terminate()
    expect_run(run, -signal.SIGTERM, b"first datagram\nsecond datagram\n", what="lsock listen --datagram")
    expect_equal(fds_normalised(run.stderr),
                 f"lsock: listening on {path}\nlsock: received handle 1/1 (fd #): pipe, read end\n",
                 "stderr", run)
    expect(not os.path.lexists(path), "the socket file is still there after SIGTERM", run)
    ok("datagram: two datagrams (one with a pipe) printed and described, the answer goes to the sender, "
       "SIGTERM removes the socket file")

    name = abstract_name()
    with server_socket(name, socket.SOCK_DGRAM) as server:
        client = start_lsock("connect", "--datagram", name, stdin_pipe=True)
        client.feed(b"ping")
        data, sender = server.recvfrom(1 << 16)
        expect_equal(data, b"ping", "the datagram", client.snapshot())
        server.sendto(b"pong", sender)
        run = client.finish()
    expect_run(run, 0, b"pong", b"", "lsock connect --datagram")
    ok("datagram: connect --datagram sends stdin, prints the answer, ends after stdin and a quiet half second")

    for mode in (0o600, 0o640):
        path = socket_path("mode")
        listener = listen("--keep", "--mode", f"{mode:o}", name=path)
        facts = os.lstat(path)
        expect(stat.S_ISSOCK(facts.st_mode), "the socket file is a socket", listener.snapshot())
        expect_equal(f"{stat.S_IMODE(facts.st_mode):04o}", f"{mode:04o}", "the socket file's mode",
                     listener.snapshot())
        run = listener.terminate()
        expect_run(run, -signal.SIGTERM, b"", f"lsock: listening on {path}\n", "lsock listen --mode")
        expect(not os.path.lexists(path), "the socket file is still there after SIGTERM", run)
    ok("--mode 600 / 640: the socket file has that mode while listening; SIGTERM removes it")


# --- 12. socat ----------------------------------------------------------------------------------

def socat(*args, stdin_pipe=True):
    return Proc(["socat", *args], stdin_pipe=stdin_pipe)


def exchange(server, client, server_bytes, client_bytes):
    """Both sides send and see the other's bytes before either's stdin ends
    (then the client's, which ends both sessions)."""
    server.feed(server_bytes)
    client.feed(client_bytes)
    client.wait_stdout(server_bytes, "the server's bytes at the client")
    server.wait_stdout(client_bytes, "the client's bytes at the server")
    client.close_stdin()
    server_run = server.finish()
    client_run = client.finish()
    return server_run, client_run


def check_socat():
    if shutil.which("socat") is None:
        print("SKIP socat not installed", flush=True)
        return
    path = socket_path("socat")
    server = socat("-d", "-d", f"UNIX-LISTEN:{path}", "-")
    server.wait_output("stderr", lambda err: b"listening on" in err, "socat's 'listening on'")
    client = start_lsock("connect", path, stdin_pipe=True)
    server_bytes, client_bytes = os.urandom(200000), os.urandom(150000)
    server_run, client_run = exchange(server, client, server_bytes, client_bytes)
    expect_run(server_run, 0, client_bytes, what="socat UNIX-LISTEN")
    expect_run(client_run, 0, server_bytes, b"", "lsock connect")
    ok("socat: socat UNIX-LISTEN:path <-> lsock connect path, bytes both ways")

    name = abstract_name()
    server = listen(name=name, stdin_pipe=True)
    client = socat("-", f"ABSTRACT-CONNECT:{name[1:]}")
    server_run, client_run = exchange(server, client, server_bytes, client_bytes)
    expect_run(server_run, 0, client_bytes, f"lsock: listening on {name}\n" + connection_line(client.pid),
               "lsock listen")
    expect_run(client_run, 0, server_bytes, b"", "socat ABSTRACT-CONNECT")
    ok("socat: lsock listen @name <-> socat ABSTRACT-CONNECT, bytes both ways")

    path = socket_path("socat")
    server = listen(name=path, stdin_pipe=True)
    client = socat("-", f"UNIX-CONNECT:{path}")
    server_run, client_run = exchange(server, client, b"to socat\n", b"to lsock\n")
    expect_run(server_run, 0, b"to lsock\n", f"lsock: listening on {path}\n" + connection_line(client.pid),
               "lsock listen")
    expect_run(client_run, 0, b"to socat\n", b"", "socat UNIX-CONNECT")
    expect(not os.path.lexists(path), "lsock listen left its socket file", server_run)
    ok("socat: lsock listen path <-> socat UNIX-CONNECT, bytes both ways; the socket file is removed")


# --- 13. errors -------------------------------------------------------------------------------------

def check_errors():
    name = f"@nobody-listens-{PID}"
    run = lsock("connect", name)
    expect_run(run, 1, b"", f"lsock: connect '{name}': Connection refused\n", "lsock connect (nobody)")
    missing = os.path.join(WORKDIR, "nobody.sock")
    run = lsock("connect", missing)
    expect_run(run, 1, b"", f"lsock: connect '{missing}': No such file or directory\n", "lsock connect (no file)")
    ok("errors: connect to nobody -> status 1, 'lsock: connect 'NAME': Connection refused' / 'No such file'")

    run = lsock("connect", name, "--send-file", "/nonexistent/file")
    expect_run(run, 1, b"", "lsock: --send-file: open '/nonexistent/file': No such file or directory\n",
               "lsock connect --send-file /nonexistent/file")
    run = lsock("connect", name, "--send-fd", "99")
    expect_run(run, 1, b"", "lsock: --send-fd 99: Bad file descriptor\n", "lsock connect --send-fd 99")
    ok("errors: --send-file of a missing file, --send-fd of a closed descriptor -> status 1 naming them")

    taken = abstract_name()
    with server_socket(taken):
        run = lsock("listen", taken)
    expect_run(run, 1, b"", f"lsock: listen on '{taken}': Address already in use\n", "lsock listen (taken)")
    ok("errors: listen on a name in use -> status 1, 'Address already in use'")


# --- 14. closed standard descriptors ------------------------------------------------------------

def check_closed_standard_fds():
    """A caller may close lsock's stdin or stdout: the socket must not take its number."""
    wrapper = 'exec "$0" "$@" {}'
    name = abstract_name()
    with server_socket(name) as server:
        client = Proc(["sh", "-c", wrapper.format("<&-"), LSOCK, "connect", name])
        with accept(server) as s:
            # No stdin reads as an empty one: the write side shuts down at once
            # (a socket at descriptor 0 would be read as stdin instead).
            expect_equal(s.recv(100), b"", "the server reads end of stream", client.snapshot())
            s.sendall(b"to lsock\n")
        run = client.finish()
    expect_run(run, 0, b"to lsock\n", b"", "lsock connect <&-")
    ok("closed stdin (<&-): reads as empty, the socket does not become descriptor 0")

    name = abstract_name()
    with server_socket(name) as server:
        client = Proc(["sh", "-c", wrapper.format(">&-"), LSOCK, "connect", name], stdin_pipe=True)
        with accept(server) as s:
            s.sendall(b"not for the server\n")
            # Written to a closed stdout it is an error; a socket at
            # descriptor 1 would send it back instead.
            expect_equal(receive_stream(s), (b"", []), "what the server gets back", client.snapshot())
        run = client.finish()
    expect_run(run, 1, b"", b"lsock: write stdout: Bad file descriptor\n", "lsock connect >&-")
    ok("closed stdout (>&-): writing is an error (status 1), the socket does not become descriptor 1")


# --- main ---------------------------------------------------------------------------------------------

CHECKS = [check_usage, check_stream, check_handles_out, check_handles_in, check_save_fds, check_exec,
          check_relay, check_info, check_pair, check_seqpacket, check_datagram, check_socat, check_errors,
          check_closed_standard_fds]


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def main():
    global WORKDIR
    if not os.access(LSOCK, os.X_OK):
        sys.exit(f"run_lsock.py: {LSOCK} is not an executable")
    fds_at_start = open_fds()
    started = time.monotonic()
    WORKDIR = tempfile.mkdtemp(prefix="lsock-test-")
    status = 0
    try:
        for check in CHECKS:
            check()
        fds_at_end = open_fds()
        expect(fds_at_end == fds_at_start,
               f"this test holds {fds_at_end} descriptors at the end, {fds_at_start} at the start: "
               f"{sorted(os.listdir('/proc/self/fd'))}")
        ok(f"the test process holds as many descriptors as at its start ({fds_at_start})")
    except CheckFailed as failure:
        print(f"FAIL {failure}", flush=True)
        status = 1
    except Exception:  # a socket timeout, an unexpected answer: the processes tell more
        print(f"FAIL {traceback.format_exc()}", flush=True)
        for proc in Proc.live:
            print(f"running then:\n{proc.snapshot()}", flush=True)
        status = 1
    finally:
        for proc in list(Proc.live):
            proc.kill()
        shutil.rmtree(WORKDIR, ignore_errors=True)
    if status == 0:
        print(f"all checks passed in {time.monotonic() - started:.1f} s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
