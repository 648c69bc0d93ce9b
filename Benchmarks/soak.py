#!/usr/bin/python3
"""Soak test of `vivid serve` (issue 25): a long mixed load, then checks for leaks and lost requests.

    /usr/bin/python3 Benchmarks/soak.py [VIVID] [MODEL_DIR]      (or bash Benchmarks/soak.sh [VIVID] [MODEL_DIR])
    DURATION=1800  seconds of load (default 1800)
    RATE=4         requests started per second, all clients together (default 4)
    CLIENTS=4      concurrent clients (default 4)
    SAMPLE=60      seconds between samples (default 60)

Not run in CI: it takes DURATION seconds. Python 3 standard library only.

Starts `vivid serve --model MODEL_DIR --host 127.0.0.1 --port 0 --max-upload-mb 8 --header-timeout 2
--min-body-rate 2000` with its own TMPDIR, warms it up with one classification of each video, then for DURATION
seconds runs CLIENTS threads, each starting a request every CLIENTS / RATE seconds (no catching up when one takes
longer), each request of a kind drawn from a shuffled deck in which every kind has a fixed share:

    good uploads       the demo's examples (MODEL_DIR/examples/*.mp4) and ../shared/videos/*.mp4 if present, as
                       multipart, raw video/mp4, raw chunked, and raw then /status on one kept-alive connection: 200
    bad uploads        random bytes 415; a PNG (raw image/png, raw video/mp4, multipart) 415; text 415;
                       an unknown model 404; a bad query (top_k=0, views=0x1, ...) 400; over --max-upload-mb,
                       declared or chunked, 413
    slow clients       a body trickled at 1000 B/s, which the server closes (counted 408 and slow_body); headers
                       trickled a byte every 0.25 s, which it closes at the header deadline (header_timeout)
    aborted uploads    half the body, then close (counted 499)
    /status, /metrics  200

Every SAMPLE seconds it records the server's RSS (VmRSS), its open fds (/proc/PID/fd), what is under its TMPDIR
besides the uploads folder and its lock file, and the answers by status so far. At the start (after the warm-up),
the middle and the end it stops the load, waits for requests in flight to end and the server to settle
(header timeout + 1 s), and takes a quiet sample, at which it also reads /metrics and compares
vivid_requests_total{route,status} with what the client expects it to count: every answer it got, each slow
body as 408 and each aborted upload as 499 (and vivid_connections_closed_total with the slow bodies and header
trickles). Then it stops the server with SIGTERM and checks that it exits 0 and leaves nothing under TMPDIR.

It prints one line per sample and a summary, and exits 1 if anything was unexpected: an answer not expected for
its kind, any 5xx, a connection error, a request the client completed that the server did not count (lost) or
one it counted that the client did not send (extra), files left under TMPDIR at a quiet sample or after exit,
more open fds at the end than at the start, RSS at the end more than 10% (and 16 MB) above the middle, the
server dying, or an exit status other than 0. The server's log is kept (its path printed) when it fails.
"""

import collections
import glob
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HOST = "127.0.0.1"
MAX_UPLOAD_MB = 8
HEADER_TIMEOUT = 2          # --header-timeout, seconds
MIN_BODY_RATE = 2000        # --min-body-rate, bytes per second
SLOW_BODY_RATE = 1000       # what the slow client sends, bytes per second: half the minimum
ANSWER_TIMEOUT = 120        # seconds a client waits for an answer
RSS_TOLERANCE = 0.10        # RSS at the end may exceed the middle by this fraction (and 16 MB) before it counts
CLOSED, ABORTED = "closed", "aborted"   # outcomes without an HTTP status


# ---------------------------------------------------------------------------------------------------- the server

class Server:
    """`vivid serve` on a free loopback port with its own TMPDIR, its log in a file beside that."""

    def __init__(self, vivid, model):
        self.work = tempfile.mkdtemp(prefix="vivid-soak-")
        self.temp = os.path.join(self.work, "tmp")
        os.mkdir(self.temp)
        self.log_path = os.path.join(self.work, "server.log")
        self.log = open(self.log_path, "w")
        flags = ["--model", model, "--host", HOST, "--port", "0", "--max-upload-mb", str(MAX_UPLOAD_MB),
                 "--header-timeout", str(HEADER_TIMEOUT), "--min-body-rate", str(MIN_BODY_RATE)]
        self.process = subprocess.Popen([vivid, "serve", *flags], stdout=self.log, stderr=subprocess.STDOUT,
                                        env=dict(os.environ, TMPDIR=self.temp))
        self.port = None
        deadline = time.time() + 60
        while self.port is None:
            if self.process.poll() is not None or time.time() > deadline:
                raise SystemExit("vivid serve did not start:\n" + self.log_text())
            found = re.search(r"port=(\d+).*listening", self.log_text())
            if found:
                self.port = int(found.group(1))
            else:
                time.sleep(0.1)

    def log_text(self):
        with open(self.log_path, errors="replace") as handle:
            return handle.read()

    def alive(self):
        return self.process.poll() is None

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as handle:
            return int(re.search(r"VmRSS:\s+(\d+)", handle.read()).group(1)) / 1024

    def fds(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def temp_left(self):
        """Everything under TMPDIR but one vivid-uploads-* folder and its lock file (.owner)."""
        paths = []
        for root, folders, files in os.walk(self.temp):
            paths += [os.path.join(root, name) for name in folders + files]
        stores = sorted(path for path in paths if re.fullmatch(r"vivid-uploads-[^/]+", os.path.relpath(path, self.temp)))
        if stores:
            paths.remove(stores[0])
            if os.path.join(stores[0], ".owner") in paths:
                paths.remove(os.path.join(stores[0], ".owner"))
        return sorted(os.path.relpath(path, self.temp) for path in paths)

    def stop(self):
        """SIGTERM, then the exit status (None when it did not exit within 90 s, and was killed)."""
        if not self.alive():
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


# ------------------------------------------------------------------------------------------------- raw HTTP

def connect(port, timeout=ANSWER_TIMEOUT):
    connection = socket.create_connection((HOST, port), timeout=timeout)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def head(method, path, headers=()):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_answer(connection):
    """One answer: (status, body). The server closing before a whole answer raises ConnectionError."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = connection.recv(65536)
        if not piece:
            if data:
                raise ConnectionError(f"closed mid-answer after {len(data)} bytes")
            raise ConnectionError("closed without an answer")
        data += piece
    header, body = data.split(b"\r\n\r\n", 1)
    status = int(header.split(b" ", 2)[1])
    length = re.search(rb"(?im)^content-length: *(\d+)", header)
    if length is None:  # no length: the body runs to the close
        while True:
            piece = connection.recv(65536)
            if not piece:
                return status, body
            body += piece
    while len(body) < int(length.group(1)):
        piece = connection.recv(65536)
        if not piece:
            raise ConnectionError("closed mid-body")
        body += piece
    return status, body


def exchange(port, request, body=b"", pieces=None):
    """Send a request (its head, then its body, or the given pieces of it), watching for an early answer
    between pieces as a careful client does, and read the answer: (status, body)."""
    connection = connect(port)
    try:
        connection.sendall(request)
        try:
            for piece in pieces if pieces is not None else [body]:
                if select.select([connection], [], [], 0)[0]:
                    break  # answered before the whole body: stop sending and read it
                connection.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed after answering early: the answer is still to be read
        return read_answer(connection)
    finally:
        connection.close()


def multipart(name, content, content_type):
    boundary = "soak" + "%016x" % random.getrandbits(64)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"{name}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def chunked(body, size=65536):
    return [b"%x\r\n" % len(body[i:i + size]) + body[i:i + size] + b"\r\n" for i in range(0, len(body), size)] + [b"0\r\n\r\n"]


def png_bytes(width=64, height=48):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\0" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 128)) for x in range(width))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# --------------------------------------------------------------------------------------- the kinds of request
# Each takes the Load and returns a list of (route, outcome): an HTTP status, CLOSED (the server closed without
# an answer) or ABORTED (the client left on purpose). A connection error on the client's side raises.

def good_multipart(load):
    name, content = load.video()
    content_type, body = multipart(os.path.basename(name), content, "video/mp4")
    status, _ = exchange(load.port, head("POST", "/classify" + load.good_query(),
                                         [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]), body)
    return [("/classify", status)]


def good_raw(load):
    _, content = load.video()
    status, _ = exchange(load.port, head("POST", "/classify" + load.good_query(),
                                         ["Content-Type: video/mp4", f"Content-Length: {len(content)}"]), content)
    return [("/classify", status)]


def good_chunked(load):
    _, content = load.video()
    status, _ = exchange(load.port, head("POST", "/classify" + load.good_query(),
                                         ["Content-Type: video/mp4", "Transfer-Encoding: chunked"]),
                         pieces=chunked(content))
    return [("/classify", status)]


def good_kept_alive(load):
    """A raw upload and then /status on the same connection."""
    _, content = load.video()
    connection = connect(load.port)
    try:
        connection.sendall(head("POST", "/classify" + load.good_query(),
                                ["Content-Type: video/mp4", f"Content-Length: {len(content)}"]) + content)
        first, _ = read_answer(connection)
        connection.sendall(head("GET", "/status"))
        second, _ = read_answer(connection)
    finally:
        connection.close()
    return [("/classify", first), ("/status", second)]


def get_status(load):
    return [("/status", exchange(load.port, head("GET", "/status"))[0])]


def get_metrics(load):
    return [("/metrics", exchange(load.port, head("GET", "/metrics"))[0])]


def garbage(load):
    """Random bytes (from a fixed seed, so a body FFmpeg happens to recognise can be found again), raw."""
    seed = load.pick(range(16))
    content = random.Random(seed).randbytes(1000 + 997 * seed)
    content_type = load.pick(["video/mp4", "application/octet-stream"])
    status, _ = exchange(load.port, head("POST", "/classify", [f"Content-Type: {content_type}",
                                                                f"Content-Length: {len(content)}"]), content)
    return [("/classify", status)]


def image(load):
    """A PNG, raw as image/png (refused on its type), raw as video/mp4 and in a form (refused as png_pipe)."""
    how = load.pick(["raw image/png", "raw video/mp4", "multipart"])
    if how == "multipart":
        content_type, body = multipart("frame.png", load.png, "image/png")
    else:
        content_type, body = how.split()[1], load.png
    status, _ = exchange(load.port, head("POST", "/classify", [f"Content-Type: {content_type}",
                                                                f"Content-Length: {len(body)}"]), body)
    return [("/classify", status)]


def text(load):
    content = b"not a video, just some words\n" * load.pick([1, 10, 100])
    if load.pick([True, False]):
        content_type, body = multipart("notes.txt", content, "text/plain")
    else:
        content_type, body = "text/plain", content
    status, _ = exchange(load.port, head("POST", "/classify", [f"Content-Type: {content_type}",
                                                                f"Content-Length: {len(body)}"]), body)
    return [("/classify", status)]


def unknown_model(load):
    _, content = load.video()
    status, _ = exchange(load.port, head("POST", "/classify?model=no-such-model",
                                         ["Content-Type: video/mp4", f"Content-Length: {len(content)}"]), content)
    return [("/classify", status)]


def bad_query(load):
    query = load.pick(["top_k=0", "top_k=101", "top_k=x", "views=0x1", "views=abc", "aggregate=bogus",
                       "per_view=maybe", "start=3&end=1", "timeout_ms=-5", "start=-1"])
    _, content = load.video()
    status, _ = exchange(load.port, head("POST", "/classify?" + query,
                                         ["Content-Type: video/mp4", f"Content-Length: {len(content)}"]), content)
    return [("/classify", status)]


def too_large(load):
    """A declared Content-Length over --max-upload-mb: refused on the headers; the body is sent in 64 KiB pieces
    until the answer comes."""
    size = MAX_UPLOAD_MB * 1024 * 1024 + 65536
    status, _ = exchange(load.port, head("POST", "/classify", ["Content-Type: video/mp4", f"Content-Length: {size}"]),
                         pieces=(load.zeros for _ in range(size // len(load.zeros))))
    return [("/classify", status)]


def too_large_chunked(load):
    """A chunked body that passes --max-upload-mb by 64 KiB: the server reads on and answers 413."""
    pieces = [b"%x\r\n" % len(load.zeros) + load.zeros + b"\r\n"] * (MAX_UPLOAD_MB * 16 + 1) + [b"0\r\n\r\n"]
    status, _ = exchange(load.port, head("POST", "/classify", ["Content-Type: video/mp4", "Transfer-Encoding: chunked"]),
                         pieces=pieces)
    return [("/classify", status)]


def slow_body(load):
    """A video trickled at SLOW_BODY_RATE (100 bytes every 0.1 s), below --min-body-rate: the server closes it."""
    _, content = load.video()
    connection = connect(load.port, timeout=10 * HEADER_TIMEOUT)
    try:
        connection.sendall(head("POST", "/classify", ["Content-Type: video/mp4", f"Content-Length: {len(content)}"]))
        deadline = time.time() + 10 * HEADER_TIMEOUT
        for offset in range(0, len(content), SLOW_BODY_RATE // 10):
            if time.time() > deadline:
                raise ConnectionError(f"slow body not closed within {10 * HEADER_TIMEOUT} s")
            if select.select([connection], [], [], 0.1)[0]:
                break
            try:
                connection.sendall(content[offset:offset + SLOW_BODY_RATE // 10])
            except (BrokenPipeError, ConnectionResetError):
                break
        else:
            raise ConnectionError(f"slow body of {len(content)} bytes was sent whole: never closed")
        try:
            return [("/classify", read_answer(connection)[0])]
        except ConnectionError:
            return [("/classify", CLOSED)]
    finally:
        connection.close()


def header_trickle(load):
    """Half a request's headers, then a byte every 0.25 s: the server closes it at the header deadline."""
    connection = connect(load.port, timeout=10 * HEADER_TIMEOUT)
    try:
        connection.sendall(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: ")
        deadline = time.time() + 10 * HEADER_TIMEOUT
        while time.time() < deadline:
            if select.select([connection], [], [], 0.25)[0]:
                break
            try:
                connection.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                break
        else:
            raise ConnectionError(f"header trickle not closed within {10 * HEADER_TIMEOUT} s")
        try:
            return [("/status", read_answer(connection)[0])]
        except ConnectionError:
            return [("/status", CLOSED)]
    finally:
        connection.close()


def aborted(load):
    """Half of a raw or multipart upload, then close."""
    name, content = load.video()
    if load.pick([True, False]):
        content_type, body = multipart(os.path.basename(name), content, "video/mp4")
    else:
        content_type, body = "video/mp4", content
    connection = connect(load.port)
    try:
        connection.sendall(head("POST", "/classify" + load.good_query(),
                                [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]) + body[:len(body) // 2])
        time.sleep(0.05)
    finally:
        connection.close()
    return [("/classify", ABORTED)]


def warm_up(load):
    """Each video once, raw (before the load, so that the start sample is taken warm)."""
    results = []
    for _, content in load.videos:
        status, _ = exchange(load.port, head("POST", "/classify", ["Content-Type: video/mp4",
                                                                    f"Content-Length: {len(content)}"]), content)
        results.append(("/classify", status))
    return results


# kind: (function, share of the deck, outcomes expected); a share of 0 is not in the deck
KINDS = {
    "good_multipart": (good_multipart, 10, {200}),
    "good_raw": (good_raw, 10, {200}),
    "good_chunked": (good_chunked, 4, {200}),
    "good_kept_alive": (good_kept_alive, 3, {200}),
    "status": (get_status, 5, {200}),
    "metrics": (get_metrics, 3, {200}),
    "garbage": (garbage, 3, {415}),
    "image": (image, 3, {415}),
    "text": (text, 2, {415}),
    "unknown_model": (unknown_model, 3, {404}),
    "bad_query": (bad_query, 3, {400}),
    "too_large": (too_large, 2, {413}),
    "too_large_chunked": (too_large_chunked, 1, {413}),
    "slow_body": (slow_body, 2, {CLOSED, 408}),
    "header_trickle": (header_trickle, 2, {CLOSED}),
    "aborted": (aborted, 4, {ABORTED}),
    "warm_up": (warm_up, 0, {200}),
    "metrics_sampler": (None, 0, {200}),  # the quiet samples' /metrics
    "first_status": (get_status, 0, {200}),  # before the warm-up
}


# -------------------------------------------------------------------------------------------------- the load

class Load:
    """The clients, what they sent and got, and the pauses for quiet samples."""

    def __init__(self, server, videos, model_name):
        self.server, self.port = server, server.port
        self.videos = [(path, open(path, "rb").read()) for path in videos]
        self.model_name = model_name
        self.png = png_bytes()
        self.zeros = bytes(65536)
        self.random = random.Random(25)
        self.lock = threading.Condition()
        self.deck = []
        self.sent = collections.Counter()          # kind -> requests
        self.outcomes = collections.Counter()      # outcome -> count, over every kind
        self.by_kind = collections.defaultdict(collections.Counter)  # kind -> outcome -> count
        self.expected_server = collections.Counter()  # (route, status) the server should count
        self.unexpected = []                       # (seconds, kind, what)
        self.good_ms = []                          # (wall ms, kind, seconds in, video) of each good request
        self.current = threading.local()           # the video a client's request took
        self.paused, self.in_flight, self.stopping = False, 0, False
        self.began = time.time()

    def pick(self, choices):
        with self.lock:
            return self.random.choice(list(choices))

    def video(self):
        self.current.video = self.pick(self.videos)
        return self.current.video

    def good_query(self):
        return self.pick(["", "", "?top_k=3", "?per_view=false", "?views=2x1", "?aggregate=marginal&top_k=1",
                          f"?model={self.model_name}"])

    def next_kind(self):
        with self.lock:
            if not self.deck:
                self.deck = [kind for kind, (_, share, _) in KINDS.items() for _ in range(share)]
                self.random.shuffle(self.deck)
            return self.deck.pop()

    def run(self, kind):
        """One request (or two, kept alive) of a kind, recorded."""
        started = time.time()
        self.current.video = None
        try:
            results = KINDS[kind][0](self)
        except Exception as error:  # a connection error, a timeout
            results = [(None, f"error: {type(error).__name__}: {error}")]
        self.record(kind, results, started)

    def record(self, kind, results, started):
        expected = KINDS[kind][2]
        with self.lock:
            self.sent[kind] += len(results)  # requests: a kept-alive pair is two, the warm-up one per video
            for route, outcome in results:
                self.outcomes[outcome] += 1
                self.by_kind[kind][outcome] += 1
                if isinstance(outcome, int):
                    self.expected_server[(route, str(outcome))] += 1
                elif outcome == CLOSED and kind == "slow_body":
                    self.expected_server[("/classify", "408")] += 1
                elif outcome == ABORTED:
                    self.expected_server[("/classify", "499")] += 1
                if outcome not in expected or (isinstance(outcome, int) and outcome >= 500):
                    self.unexpected.append((round(started - self.began, 1), kind, outcome))
            if kind.startswith("good") and all(outcome == 200 for _, outcome in results):
                video = getattr(self.current, "video", None)
                self.good_ms.append(((time.time() - started) * 1000, kind, round(started - self.began, 1),
                                     os.path.basename(video[0]) if video else None))

    def client(self, interval, until):
        next_start = time.time() + self.pick(range(100)) / 100 * interval  # the clients out of step
        while True:
            time.sleep(max(0.0, next_start - time.time()))
            with self.lock:
                while self.paused and not self.stopping:
                    self.lock.wait()
                if self.stopping or time.time() >= until:
                    return
                self.in_flight += 1
            try:
                self.run(self.next_kind())
            finally:
                with self.lock:
                    self.in_flight -= 1
                    self.lock.notify_all()
            next_start = max(next_start + interval, time.time())  # bounded: no burst to catch up

    def pause(self):
        """Hold new requests and wait for those in flight, then for the server's deadlines to pass."""
        with self.lock:
            self.paused = True
            while self.in_flight:
                self.lock.wait()
        time.sleep(HEADER_TIMEOUT + 1)

    def resume(self):
        with self.lock:
            self.paused = False
            self.lock.notify_all()


# ------------------------------------------------------------------------------------------- samples and checks

def server_counts(load):
    """/metrics, recorded as a request like any other: requests by (route, status), connections closed by reason.
    The client's expectation is to be read before this: the server counts this request after answering it."""
    started = time.time()
    try:
        status_code, body = exchange(load.port, head("GET", "/metrics"))
    except Exception as error:
        load.record("metrics_sampler", [(None, f"error: {type(error).__name__}: {error}")], started)
        return None, None
    load.record("metrics_sampler", [("/metrics", status_code)], started)
    text_body = body.decode()
    requests = collections.Counter({(route, code): int(float(value)) for route, code, value in re.findall(
        r'(?m)^vivid_requests_total\{route="([^"]*)",status="(\d+)"\} (\S+)$', text_body)})
    closed = collections.Counter({reason: int(float(value)) for reason, value in re.findall(
        r'(?m)^vivid_connections_closed_total\{reason="([^"]*)"\} (\S+)$', text_body)})
    return requests, closed


def compare(expected, closed_expected, requests, closed):
    """The client's expectation against the server's counters: (lost, extra, differences)."""
    lost = sum(max(0, count - requests.get(key, 0)) for key, count in expected.items())
    extra = sum(max(0, count - expected.get(key, 0)) for key, count in requests.items())
    differences = {f"{route} {code}": (expected.get((route, code), 0), requests.get((route, code), 0))
                   for route, code in sorted(set(expected) | set(requests))
                   if expected.get((route, code), 0) != requests.get((route, code), 0)}
    for reason, count in closed_expected.items():
        if closed.get(reason, 0) != count:
            differences[f"connections closed {reason}"] = (count, closed.get(reason, 0))
    return lost, extra, differences


def by_name(item):
    return str(item[0])


def sample(load, label, quiet=False):
    server = load.server
    record = {"label": label, "t": round(time.time() - load.began), "rss_mb": round(server.rss_mb(), 1),
              "fds": server.fds(), "temp_left": server.temp_left()}
    if quiet:
        with load.lock:
            expected = collections.Counter(load.expected_server)
            closed_expected = {"slow_body": load.by_kind["slow_body"][CLOSED],
                               "header_timeout": load.by_kind["header_trickle"][CLOSED]}
        requests, closed = server_counts(load)
        if requests is not None:
            record["lost"], record["extra"], record["differences"] = compare(expected, closed_expected, requests, closed)
    with load.lock:
        record["answers"] = {str(key): value for key, value in sorted(load.outcomes.items(), key=by_name)}
        record["sent"] = sum(load.sent.values())
    line = (f"[{record['t']:5d} s] {label:<7} RSS {record['rss_mb']:7.1f} MB  fds {record['fds']:3d}  "
            f"temp left {len(record['temp_left'])}  sent {record['sent']}  answers {record['answers']}")
    if "lost" in record:
        line += f"  lost {record['lost']} extra {record['extra']}"
        if record["differences"]:
            line += f" differences (client, server) {record['differences']}"
    print(line, flush=True)
    return record


def main():
    vivid = sys.argv[1] if len(sys.argv) > 1 else ".build/release/vivid"
    model = sys.argv[2] if len(sys.argv) > 2 else "Models/demo"
    duration = float(os.environ.get("DURATION", 1800))
    rate = float(os.environ.get("RATE", 4))
    clients = int(os.environ.get("CLIENTS", 4))
    every = float(os.environ.get("SAMPLE", 60))
    here = os.path.dirname(os.path.abspath(__file__))
    videos = sorted(glob.glob(os.path.join(model, "examples", "*.mp4"))) + \
        sorted(glob.glob(os.path.join(here, "..", "..", "shared", "videos", "*.mp4")))
    if not videos:
        raise SystemExit(f"no videos: {model}/examples/*.mp4 and ../shared/videos/*.mp4 are both empty")

    server = Server(vivid, model)
    problems = []
    try:
        print(f"vivid serve pid {server.process.pid} port {server.port} TMPDIR {server.temp}; {duration:.0f} s at "
              f"{rate:g} req/s from {clients} clients; {len(videos)} videos: "
              + ", ".join(os.path.basename(video) for video in videos), flush=True)
        load = Load(server, videos, model_name=os.path.basename(os.path.normpath(model)))
        started = time.time()
        status_code, body = exchange(server.port, head("GET", "/status"))
        load.record("first_status", [("/status", status_code)], started)
        found = re.search(rb'"name":"([^"]+)"', body)
        if found:
            load.model_name = found.group(1).decode()
        load.run("warm_up")
        time.sleep(1)
        samples = [sample(load, "start", quiet=True)]
        load_began = time.time()
        until = load_began + duration
        middle_at = time.time() + duration / 2
        threads = [threading.Thread(target=load.client, args=(clients / rate, until), daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        next_sample, middle_done = time.time() + every, False
        while time.time() < until and server.alive():
            time.sleep(max(0.0, min(next_sample, until, middle_at if not middle_done else until) - time.time()))
            if not server.alive():
                break
            if not middle_done and time.time() >= middle_at:
                load.pause()
                samples.append(sample(load, "middle", quiet=True))
                load.resume()
                middle_done = True
                next_sample = time.time() + every
            elif time.time() >= next_sample and time.time() < until:
                samples.append(sample(load, "load"))
                next_sample += every
        with load.lock:
            load.stopping = True
            load.lock.notify_all()
        for thread in threads:
            thread.join(timeout=ANSWER_TIMEOUT + 30)
        load_seconds = time.time() - load_began
        if not server.alive():
            problems.append(f"the server died (status {server.process.returncode}) during the load")
        else:
            time.sleep(HEADER_TIMEOUT + 1)
            samples.append(sample(load, "end", quiet=True))
        exit_status = server.stop()
        temp_after_exit = sorted(os.listdir(server.temp))
    except BaseException:
        server.stop()
        print(f"server log: {server.log_path}")
        raise

    # ---- the summary
    quiet = {record["label"]: record for record in samples if record["label"] in ("start", "middle", "end")}
    load_samples = [record for record in samples if record["label"] == "load"]
    elapsed = (samples[-1]["t"] if samples else 0)
    print("\n==== soak summary ====")
    in_load = sum(count for kind, count in load.sent.items() if KINDS[kind][1])
    print(f"{load_seconds:.0f} s of load (the middle sample's pause included): {in_load} requests "
          f"({in_load / max(1.0, load_seconds):.2f}/s), {sum(load.sent.values())} with the warm-up and the samplers'; "
          f"{len(samples)} samples")
    print("requests sent by kind (answers):")
    for kind in sorted(load.sent):
        answers = ", ".join(f"{outcome}: {count}" for outcome, count in sorted(load.by_kind[kind].items(), key=by_name))
        print(f"  {kind:<20} {load.sent[kind]:6d}   {answers}")
    print("answers by status: " + ", ".join(f"{outcome}: {count}" for outcome, count in sorted(load.outcomes.items(), key=by_name)))
    if load.good_ms:
        ordered = sorted(load.good_ms)
        slowest = ordered[-1]
        print(f"good requests' wall time: median {statistics.median(ms for ms, *_ in ordered):.0f} ms, "
              f"p99 {ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))][0]:.0f} ms, max {slowest[0]:.0f} ms "
              f"({slowest[1]}, {slowest[3]}, started at {slowest[2]} s)")
    for label in ("start", "middle", "end"):
        record = quiet.get(label)
        if record:
            print(f"{label:<6} (quiet, t={record['t']} s): RSS {record['rss_mb']} MB, fds {record['fds']}, "
                  f"temp left {len(record['temp_left'])} {record['temp_left'] or ''}, "
                  f"lost {record.get('lost')}, extra {record.get('extra')} {record.get('differences') or ''}")
    if load_samples:
        print("under load, every sample: RSS " + " ".join(str(record["rss_mb"]) for record in load_samples)
              + " MB; fds " + " ".join(str(record["fds"]) for record in load_samples)
              + "; temp entries " + " ".join(str(len(record["temp_left"])) for record in load_samples))
    print(f"server exit status on SIGTERM: {exit_status}; left under TMPDIR after exit: {temp_after_exit or 'nothing'}")
    levels = collections.Counter(re.findall(r"(?m)^\S+ (trace|debug|info|notice|warning|error|critical) ", server.log_text()))
    print("server log lines by level: " + ", ".join(f"{level}: {count}" for level, count in sorted(levels.items())))

    # ---- the verdict
    for seconds, kind, outcome in load.unexpected:
        problems.append(f"unexpected at {seconds} s: {kind} -> {outcome}")
    for label, record in quiet.items():
        if record["temp_left"]:
            problems.append(f"{label}: left under TMPDIR: {record['temp_left']}")
        if record.get("lost"):
            problems.append(f"{label}: {record['lost']} requests lost (client, server): {record['differences']}")
        elif record.get("differences"):
            problems.append(f"{label}: counts differ (client, server): {record['differences']}")
        if "lost" not in record:
            problems.append(f"{label}: /metrics could not be read")
    if "start" in quiet and "end" in quiet and quiet["end"]["fds"] > quiet["start"]["fds"]:
        problems.append(f"open fds grew: {quiet['start']['fds']} at the start, {quiet['end']['fds']} at the end")
    if "middle" in quiet and "end" in quiet:
        middle_rss, end_rss = quiet["middle"]["rss_mb"], quiet["end"]["rss_mb"]
        if end_rss > middle_rss * (1 + RSS_TOLERANCE) and end_rss > middle_rss + 16:
            problems.append(f"RSS grew in the second half: {middle_rss} MB at the middle, {end_rss} MB at the end")
    if exit_status != 0:
        problems.append(f"exit status on SIGTERM: {exit_status}")
    if temp_after_exit:
        problems.append(f"left under TMPDIR after exit: {temp_after_exit}")
    unique = list(dict.fromkeys(problems))
    if unique:
        print(f"\nFAILED: {len(unique)} problems (server log kept: {server.log_path})")
        for problem in unique[:50]:
            print("  " + problem)
        if len(unique) > 50:
            print(f"  ... and {len(unique) - 50} more")
        sys.exit(1)
    print(f"\nOK: every answer as expected, nothing lost, nothing left, fds and RSS level (t={elapsed} s)")
    shutil.rmtree(server.work, ignore_errors=True)


if __name__ == "__main__":
    main()
