#!/usr/bin/env python3
"""Runs a command several times and prints its median wall time and peak RSS as one JSON line.

Usage: measure.py RUNS COMMAND [ARG...]
Each run is its own child process; its peak RSS comes from wait4's rusage (ru_maxrss, KiB on Linux).
"""
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(command):
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"command failed: {' '.join(command)}\n{child.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def main():
    runs = int(sys.argv[1])
    command = sys.argv[2:]
    results = [run_once(command) for _ in range(runs)]
    print(json.dumps({
        "seconds_median": round(statistics.median(r[0] for r in results), 3),
        "seconds_min": round(min(r[0] for r in results), 3),
        "peak_rss_mb": round(max(r[1] for r in results), 1),
        "runs": runs,
    }))


if __name__ == "__main__":
    main()
