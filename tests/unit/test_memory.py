"""chipao.cli.memory: the dashboard's request threads share 2 malloc arenas."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# 8 threads allocate (as 8 request threads do), then glibc's malloc_stats (on stderr)
# lists one "Arena N:" per arena in use
THREADS = """
import ctypes, sys, threading
from chipao.cli.memory import limit_malloc_arenas
limited = limit_malloc_arenas() if sys.argv[1] == "limit" else None
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    keep = [bytearray(4096) for _ in range(200)]
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(limited)
ctypes.CDLL("libc.so.6").malloc_stats()
"""


def _arenas(mode: str, env: dict | None = None) -> tuple[str, int]:
    done = subprocess.run([sys.executable, "-c", THREADS, mode], cwd=ROOT, check=True,
                          capture_output=True, text=True, env=env)
    return done.stdout.strip(), done.stderr.count("Arena ")


def test_request_threads_share_two_arenas():
    base = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _arenas("limit", base) == ("True", 2)
    _, unlimited = _arenas("none", base)
    assert unlimited > 2  # what the limit saves: an arena per thread


def test_an_operators_setting_holds():
    env = {**os.environ, "MALLOC_ARENA_MAX": "4"}
    assert _arenas("limit", env)[0] == "False"
