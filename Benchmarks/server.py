#!/usr/bin/env python3
"""Server overhead and /status latency (a measurement, not a test).

    python3 Benchmarks/server.py VIVID MODEL_DIR VIDEO [RUNS] [BLOCKS]

1. The server's overhead on one video: the mean wall time per file of `vivid classify --json` (one process
   given the file RUNS + 1 times, less one process given it once: warm files only, with answer and JSON) against
   the mean wall time of RUNS sequential raw `POST /classify` uploads of it, measured by the client (upload,
   queue, HTTP, JSON included). The two alternate in BLOCKS blocks so that both see the same machine; the
   overhead is taken per block and its median reported, since a short clip's forward time drifts between
   blocks by more than what serving adds. So also, paired inside each request: client wall time less the
   classification time the server reports in its `Server-Timing` header (decode, forward, aggregation and
   JSON, to 0.1 ms), against that classification time: what serving adds (upload, queue hand-off, HTTP,
   the client), free of the drift; on a fresh connection per upload, and on one kept-alive connection. Of
   that, the server's own share: its `server` duration (headers in to answer queued) less the
   classification; the rest is the kernel's loopback, libmicrohttpd's reading and sending, and the client. The
   client is a plain socket sending a prebuilt request and reading the answer by its Content-Length, so that
   the figure is the server's and the kernel's, not http.client's (whose header parsing adds about 0.15 ms).
2. `/status` latency while a classification runs: sequential GETs on a fresh connection each, for the
   length of one long classification (32×3 views); p50 and p99.

Python 3 standard library only; prints JSON.
"""

import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests"))
from server_checks import Server  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    vivid, model, video = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    block_count = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    server = Server(vivid, model)
    try:
        with open(video, "rb") as handle:
            body = handle.read()
        server.request("POST", "/classify", body, {"Content-Type": "video/mp4"})  # warm-up
        paired, blocks = [], []  # (added, classification, server's share) ms per fresh-connection upload; (offline, served) per block

        def offline_ms():
            def wall(count):
                began = time.perf_counter()
                subprocess.run([vivid, "classify", "--model", model, "--json"] + [video] * count,
                               check=True, capture_output=True)
                return time.perf_counter() - began
            return (wall(runs + 1) - wall(1)) * 1000 / runs

        request = (f"POST /classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: video/mp4\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body

        def connect():
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=120)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return connection

        def post(connection=None):
            """One raw upload, on a new connection unless one is given: (client wall ms, the server's
            classification ms, the server's whole time in ms)."""
            sent = time.perf_counter()
            fresh = connection is None
            if fresh:
                connection = connect()
            connection.sendall(request)
            answer = connection.recv(65536)
            while b"\r\n\r\n" not in answer:
                answer += connection.recv(65536)
            head, content = answer.split(b"\r\n\r\n", 1)
            length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
            while len(content) < length:
                content += connection.recv(65536)
            wall = (time.perf_counter() - sent) * 1000
            if fresh:
                connection.close()
            assert head.startswith(b"HTTP/1.1 200"), head
            return (wall, float(re.search(rb"classify;dur=([\d.]+)", head).group(1)),
                    float(re.search(rb"server;dur=([\d.]+)", head).group(1)))

        def served_ms():
            """RUNS uploads, each on a fresh connection (as curl sends them); the mean wall time per upload."""
            began = time.perf_counter()
            for _ in range(runs):
                wall, classify, in_server = post()
                paired.append((wall - classify, classify, in_server - classify))
            return (time.perf_counter() - began) * 1000 / runs

        for _ in range(block_count):
            offline = offline_ms()
            blocks.append((offline, served_ms()))
        overheads = [100 * (served - offline) / offline for offline, served in blocks]
        # A pipeline that keeps its connection open pays no connection set-up or thread start per request.
        connection = connect()
        kept = [post(connection) for _ in range(runs)]
        connection.close()

        latencies = []
        done = threading.Event()

        def long_classification():
            server.request("POST", "/classify?views=32x3&per_view=false", body, {"Content-Type": "video/mp4"})
            done.set()

        worker = threading.Thread(target=long_classification)
        worker.start()
        while not done.is_set():
            began = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            connection.request("GET", "/status")
            connection.getresponse().read()
            connection.close()
            latencies.append((time.perf_counter() - began) * 1000)
        worker.join()
        print(json.dumps({
            "video": os.path.basename(video), "runs_per_block": runs,
            "blocks_ms_offline_served": [[round(offline, 2), round(served, 2)] for offline, served in blocks],
            "server_overhead_percent_per_block": [round(value, 2) for value in overheads],
            "server_overhead_percent_median": round(statistics.median(overheads), 2),
            "served_added_ms_median": round(statistics.median(a for a, _, _ in paired), 2),
            "served_classify_ms_median": round(statistics.median(c for _, c, _ in paired), 2),
            "served_added_percent": round(100 * statistics.median(a for a, _, _ in paired) / statistics.median(c for _, c, _ in paired), 2),
            "served_in_server_ms_median": round(statistics.median(s for _, _, s in paired), 2),
            "keep_alive_added_ms_median": round(statistics.median(w - c for w, c, _ in kept), 2),
            "keep_alive_added_percent": round(100 * statistics.median(w - c for w, c, _ in kept) / statistics.median(c for _, c, _ in kept), 2),
            "keep_alive_in_server_ms_median": round(statistics.median(s - c for _, c, s in kept), 2),
            "status_requests_during_classification": len(latencies),
            "status_ms_p50": round(percentile(latencies, 0.5), 2), "status_ms_p99": round(percentile(latencies, 0.99), 2),
        }, indent=1))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
