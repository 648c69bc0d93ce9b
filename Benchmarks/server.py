#!/usr/bin/env python3
"""Server overhead and /status latency (a measurement, not a test).

    python3 Benchmarks/server.py VIVID MODEL_DIR VIDEO [RUNS]

1. The server's overhead on one video: the median wall time of `POST /classify` (a raw upload, measured by
   the client, with upload, queue, HTTP and JSON) against the median `timing_ms.total` that one `vivid
   classify --json` process reports for the same file given RUNS + 1 times (decode, sampling, forward passes,
   aggregation; the first, cold, is dropped as the server's warm-up request is). Both run the same views.
   Medians of separate runs move by tens of percent on a busy 2-core machine for a clip this short, so the
   overhead is also taken inside each request: client wall time less the decode and forward time the server
   reports in that same answer (what serving adds: upload, multipart, queue, HTTP, JSON).
2. `/status` latency while a classification runs: sequential GETs on a fresh connection each, for the
   length of one long classification (32×3 views); p50 and p99.

Python 3 standard library only; prints JSON.
"""

import http.client
import json
import os
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
    server = Server(vivid, model)
    try:
        with open(video, "rb") as handle:
            body = handle.read()
        server.request("POST", "/classify", body, {"Content-Type": "video/mp4"})  # warm-up
        served, work = [], []
        for _ in range(runs):
            began = time.perf_counter()
            status, _, data = server.request("POST", "/classify", body, {"Content-Type": "video/mp4"})
            served.append((time.perf_counter() - began) * 1000)
            assert status == 200
            timing = json.loads(data)["timing_ms"]
            work.append(timing["decode"] + timing["forward"])
        added = [wall - spent for wall, spent in zip(served, work)]
        answers = json.loads(subprocess.run([vivid, "classify", "--model", model, "--json"] + [video] * (runs + 1),
                                            check=True, capture_output=True, text=True).stdout)
        offline = [answer["timing_ms"]["total"] for answer in answers[1:]]
        served_ms, offline_ms = statistics.median(served), statistics.median(offline)

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
            "video": os.path.basename(video), "runs": runs,
            "classify_http_ms_median": round(served_ms, 1), "classify_offline_total_ms_median": round(offline_ms, 1),
            "server_overhead_percent": round(100 * (served_ms - offline_ms) / offline_ms, 2),
            "served_work_ms_median": statistics.median(work), "served_added_ms_median": round(statistics.median(added), 2),
            "served_added_percent": round(100 * statistics.median(added) / statistics.median(work), 2),
            "status_requests_during_classification": len(latencies),
            "status_ms_p50": round(percentile(latencies, 0.5), 2), "status_ms_p99": round(percentile(latencies, 0.99), 2),
        }, indent=1))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
