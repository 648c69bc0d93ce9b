#!/usr/bin/env python3
"""/status latency while slow-loris clients hold connections (issue 25's target: within 50 ms).

    python3 Benchmarks/slowloris.py [VIVID] [MODEL_DIR]

Starts `vivid serve` on a free loopback port, opens 80 connections that send half a request's headers and then
one byte every half second, from one address (127.0.0.2) and then from 80 (127.0.1.1-80), and times 50
`GET /status` requests from 127.0.0.1 in each case, against the same without slow clients. Standard library only.
"""

import http.client
import re
import statistics
import subprocess
import sys
import threading
import time
import socket

VIVID = sys.argv[1] if len(sys.argv) > 1 else ".build/release/vivid"
MODEL = sys.argv[2] if len(sys.argv) > 2 else "Models/demo"


def start():
    process = subprocess.Popen([VIVID, "serve", "--model", MODEL, "--host", "127.0.0.1", "--port", "0"],
                               stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        match = re.search(r"port=(\d+)", line)
        if match:
            threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
            return process, int(match.group(1))
    raise SystemExit("vivid serve did not start")


def status_times(port, count=50):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/status")
        assert connection.getresponse().status == 200
        connection.close()
        times.append((time.perf_counter() - start) * 1000)
    return times


def slow_clients(port, sources, stop):
    sockets = []
    for source in sources:
        s = socket.socket()
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sockets.append(s)

    def trickle():
        while not stop.is_set():
            for s in sockets:
                try:
                    s.send(b"X")
                except OSError:
                    pass
            stop.wait(0.5)
        for s in sockets:
            s.close()
    threading.Thread(target=trickle, daemon=True).start()


def report(label, times):
    times = sorted(times)
    print(f"{label:<44} median {statistics.median(times):6.2f} ms  p95 {times[int(0.95 * len(times)) - 1]:6.2f} ms  max {times[-1]:6.2f} ms")


def main():
    process, port = start()
    try:
        report("no slow clients", status_times(port))
        for label, sources in (("80 slow clients from one address", ["127.0.0.2"] * 80),
                               ("80 slow clients from 80 addresses", [f"127.0.1.{i}" for i in range(1, 81)])):
            stop = threading.Event()
            slow_clients(port, sources, stop)
            time.sleep(1)
            report(label, status_times(port))
            stop.set()
            time.sleep(1)
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
