"""Peak memory of a command's whole process tree, as the benchmarks measure it."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.1


def run_sampled(command: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
    """Peak memory (bytes) of the whole process tree, sampled (in a run of its own: sampling costs CPU).

    Memory is the sum of PSS (proportional set size): pages shared between the processes (the
    forkserver's children, git's mapped pack) count once in the sum, not once per process.
    """
    process = psutil.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                tree = [process, *process.children(recursive=True)]
                peak = max(peak, sum(p.memory_full_info().pss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    done.set()
    sampler.join()
    if code != 0:
        sys.exit(f"{' '.join(command)} exited {code}")
    return peak
