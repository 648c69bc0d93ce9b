#!/usr/bin/env python3
"""Checks of the real `vivid serve` process: load against a small queue, and draining on SIGTERM.

    python3 Tests/server_checks.py VIVID MODEL_DIR VIDEO [LONG_VIDEO]

load   32 concurrent uploads against --queue 4: every one is answered 200 or 503 BUSY (with Retry-After),
       none is lost, nothing else is answered, no upload is left on disk, and the server's RSS comes back
       near where it was after a first warm-up request.
drain  SIGTERM while a classification of LONG_VIDEO (default VIDEO) runs: readiness turns 503 at once, new
       work gets DRAINING, the running request completes with 200, and the process exits 0. The demo model
       classifies its 4-second example's 32×3 views in about 0.17 s, too short a window to check in; a
       longer video gives one.

Python 3 standard library only. Prints one line per check; exits 1 if any failed.
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time


class Server:
    """`vivid serve` on a free loopback port, with its own temp folder so leftover uploads can be counted."""

    def __init__(self, vivid, model, *flags):
        self.temp = tempfile.mkdtemp(prefix="vivid-checks-")
        env = dict(os.environ, TMPDIR=self.temp)
        self.process = subprocess.Popen([vivid, "serve", "--model", model, "--host", "127.0.0.1", "--port", "0", *flags],
                                        stderr=subprocess.PIPE, text=True, env=env)
        self.log = []
        deadline = time.time() + 60
        self.port = None
        while self.port is None and time.time() < deadline:
            line = self.process.stderr.readline()
            if not line:
                raise RuntimeError("the server exited: " + "".join(self.log))
            self.log.append(line)
            found = re.search(r"port=(\d+)", line)
            if found and "listening" in line:
                self.port = int(found.group(1))
        threading.Thread(target=self._drain_log, daemon=True).start()

    def _drain_log(self):
        for line in self.process.stderr:
            self.log.append(line)

    def request(self, method, path, body=None, headers=None, timeout=120):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), data

    def classify(self, video, query=""):
        with open(video, "rb") as handle:
            body = handle.read()
        return self.request("POST", "/classify" + query, body, {"Content-Type": "video/mp4"})

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as handle:
            return int(re.search(r"VmRSS:\s+(\d+)", handle.read()).group(1)) / 1024

    def uploads_left(self):
        # Everything under the server's TMPDIR but the store's own folder and its lock file.
        return sum(len(files) + len(folders) for _, folders, files in os.walk(self.temp)) - 2

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def check_load(vivid, model, video):
    server = Server(vivid, model, "--queue", "4", "--workers", "1")
    try:
        status, _, _ = server.classify(video)
        assert status == 200, f"warm-up answered {status}"
        warm = server.rss_mb()
        answers = [None] * 32

        def upload(index):
            try:
                status, headers, data = server.classify(video)
                answers[index] = (status, headers, json.loads(data))
            except Exception as error:  # noqa: BLE001 - a lost request is what this check looks for
                answers[index] = (0, {}, {"error": repr(error)})

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = [a[0] for a in answers]
        ok, busy = statuses.count(200), statuses.count(503)
        assert ok + busy == 32, f"answers other than 200/503: {sorted(set(statuses))} {[a for a in answers if a[0] not in (200, 503)][:2]}"
        assert ok >= 5, f"only {ok} classified"
        for status, headers, body in answers:
            if status == 503:
                assert body["code"] == "BUSY" and int(headers["Retry-After"]) >= 1, body
        time.sleep(0.5)
        left = server.uploads_left()
        assert left == 0, f"{left} upload files left"
        after = server.rss_mb()
        assert after < warm * 1.5 + 64, f"RSS {after:.0f} MB after the load, {warm:.0f} MB before"
        return f"{ok} answered 200, {busy} answered 503 BUSY; RSS {warm:.0f} MB before, {after:.0f} MB after"
    finally:
        server.stop()


def start_long_classification(server, video):
    """Starts a 32×3-view classification on a thread (long enough to be running when a signal comes) and returns
    once the server reports it running: (the thread, a dict that gets its "answer")."""
    result = {}
    running = threading.Thread(target=lambda: result.setdefault("answer", server.classify(video, "?views=32x3&per_view=false")))
    running.start()
    deadline = time.time() + 30
    while time.time() < deadline:
        if json.loads(server.request("GET", "/status")[2])["queue"]["running"] == 1:
            return running, result
        time.sleep(0.01)
    raise AssertionError("the request never started running")


def check_drain(vivid, model, video, long_video):
    server = Server(vivid, model, "--exit-timeout", "60")
    try:
        running, result = start_long_classification(server, long_video)
        server.process.send_signal(signal.SIGTERM)
        deadline = time.time() + 5
        ready = server.request("GET", "/v2/health/ready")[0]
        while ready != 503 and time.time() < deadline:  # until the signal has been handled
            time.sleep(0.005)
            ready = server.request("GET", "/v2/health/ready")[0]
        status, _, data = server.classify(video)
        running.join(120)
        code = server.process.wait(120)
        answer = result.get("answer")
        assert ready == 503, f"readiness answered {ready} while draining"
        assert status == 503 and json.loads(data)["code"] == "DRAINING", (status, data)
        assert answer and answer[0] == 200, f"the running request got {answer and answer[0]}"
        assert code == 0, f"exit status {code}"
        assert server.uploads_left() <= 0, "uploads left after exit"
        return "running request answered 200, new work DRAINING, readiness 503, exit 0"
    finally:
        server.stop()


def check_exit_timeout(vivid, model, long_video):
    """Work still running when the exit timeout passes: its client is answered DRAINING, the process exits 0."""
    server = Server(vivid, model, "--exit-timeout", "0.1")
    try:
        running, result = start_long_classification(server, long_video)
        signalled = time.time()
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(30)
        running.join(30)
        answer = result.get("answer")
        assert code == 0, f"exit status {code}"
        assert answer and answer[0] == 503 and json.loads(answer[2])["code"] == "DRAINING", f"the running request got {answer}"
        assert server.uploads_left() <= 0, "uploads left after exit"
        return f"running request answered 503 DRAINING, exit 0 {time.time() - signalled:.1f} s after the signal"
    finally:
        server.stop()


def check_log(vivid, model, video):
    """One log line per request, written once the answer is sent: id, route, status, timings, video seconds."""
    server = Server(vivid, model)
    try:
        status, headers, _ = server.classify(video)
        assert status == 200, status
        request_id = {k.lower(): v for k, v in headers.items()}["x-request-id"]
        deadline = time.time() + 5
        while time.time() < deadline and not any(f"request_id={request_id}" in line for line in server.log):
            time.sleep(0.05)
        lines = [line for line in server.log if f"request_id={request_id}" in line]
        assert len(lines) == 1, f"{len(lines)} log lines for {request_id}: {server.log[-5:]}"
        fields = dict(re.findall(r"(\w+)=(\S+)", lines[0]))
        for key in ("method", "path", "status", "ms", "video_s", "decode_ms", "forward_ms", "upload_bytes"):
            assert key in fields, f"{key} missing from {lines[0]}"
        assert fields["status"] == "200" and fields["path"] == "/classify" and float(fields["video_s"]) > 0, lines[0]
        return f"one line: {lines[0].split(' request_id')[0].split('vivid: ')[-1]} …"
    finally:
        server.stop()


def main():
    vivid, model, video = sys.argv[1:4]
    long_video = sys.argv[4] if len(sys.argv) > 4 else video
    failed = 0
    checks = (("log", lambda: check_log(vivid, model, video)), ("load", lambda: check_load(vivid, model, video)),
              ("drain", lambda: check_drain(vivid, model, video, long_video)),
              ("exit timeout", lambda: check_exit_timeout(vivid, model, long_video)))
    for name, check in checks:
        try:
            print(f"ok   server {name}: {check()}")
        except Exception as error:  # noqa: BLE001
            failed += 1
            print(f"FAIL server {name}: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
