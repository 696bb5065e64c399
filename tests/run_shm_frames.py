#!/usr/bin/env python3
"""examples/shm_producer and shm_consumer: frames through the buffer pool.

    run_shm_frames.py PRODUCER CONSUMER [FRAMES] [--wine CXX]

The producer listens on a fresh name, the consumer checks every pixel of
every frame; both must say so and exit 0. Exits non-zero on failure. With
--wine, both run under Wine (CXX, the MinGW compiler, says where its
runtime DLLs are).
"""
import os
import subprocess
import sys

args = sys.argv[1:]
prefix, env = [], dict(os.environ)
if "--wine" in args:
    cxx = args[args.index("--wine") + 1]
    del args[args.index("--wine"):args.index("--wine") + 2]
    dirs = [os.path.dirname(os.path.abspath(args[0])), os.path.dirname(os.path.dirname(os.path.abspath(args[0])))]
    for dll in ("libstdc++-6.dll", "libgcc_s_seh-1.dll", "libwinpthread-1.dll"):
        found = subprocess.run([cxx, f"-print-file-name={dll}"], capture_output=True, text=True).stdout.strip()
        if os.path.isabs(found):
            dirs.append(os.path.dirname(found))
    prefix = ["wine"]
    env.update(WINEPATH=";".join("Z:" + d for d in dirs), WINEDEBUG="-all")
PRODUCER, CONSUMER = args[0], args[1]
FRAMES = args[2] if len(args) > 2 else "120"
name = f"@localsock-shm-frames-{os.getpid()}"
producer = subprocess.Popen(prefix + [PRODUCER, name, FRAMES], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
try:
    line = producer.stdout.readline()
    if line.strip() != f"shm_producer: listening on {name}":
        sys.exit(f"producer said {line!r}")
    consumer = subprocess.run(prefix + [CONSUMER, name], capture_output=True, text=True, timeout=60, env=env)
    out, err = producer.communicate(timeout=60)
finally:
    if producer.poll() is None:
        producer.kill()
        producer.wait()
if consumer.returncode != 0 or consumer.stdout.strip() != f"shm_consumer: {FRAMES} frames received, 0 damaged":
    sys.exit(f"consumer: status {consumer.returncode}, {consumer.stdout!r} {consumer.stderr!r}")
if producer.returncode != 0 or f"sent {FRAMES} frames of 1048592 bytes" not in out:
    sys.exit(f"producer: status {producer.returncode}, {out!r} {err!r}")
print(consumer.stdout.strip())
print(out.strip())
