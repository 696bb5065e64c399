#!/usr/bin/env python3
"""examples/shm_producer and shm_consumer: frames through the buffer pool.

    run_shm_frames.py PRODUCER CONSUMER [FRAMES]

The producer listens on a fresh name, the consumer checks every pixel of
every frame; both must say so and exit 0. Exits non-zero on failure.
"""
import os
import subprocess
import sys

PRODUCER, CONSUMER = sys.argv[1], sys.argv[2]
FRAMES = sys.argv[3] if len(sys.argv) > 3 else "120"
name = f"@localsock-shm-frames-{os.getpid()}"
producer = subprocess.Popen([PRODUCER, name, FRAMES], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
try:
    line = producer.stdout.readline()
    if line.strip() != f"shm_producer: listening on {name}":
        sys.exit(f"producer said {line!r}")
    consumer = subprocess.run([CONSUMER, name], capture_output=True, text=True, timeout=60)
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
