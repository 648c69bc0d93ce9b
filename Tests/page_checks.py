#!/usr/bin/env python3
"""The page at `GET /` in a real browser: headless Chromium, driven over the DevTools protocol.

    python3 Tests/page_checks.py VIVID [OUTPUT_DIR]

Starts `vivid serve` (Models/demo, found from the repository) on a free loopback port and Chromium with
`--remote-debugging-pipe` (DevTools messages as NUL-terminated JSON on file descriptors 3 and 4, so no websocket
is needed), opens the page and uses it as a person would: the file goes into the form's file input
(DOM.setFileInputFiles, which fires its change event) or is dropped on it, the form is submitted with a mouse click
or the Enter key, and the checks read the rendered DOM.

classify  Models/demo/examples/00000_take_cup.mp4 through the form: the bars name take, cup and take cup with
          percentages, and the per-view grid has a row per view of the model's default 4x1 with its seconds.
error     a text file: the page shows the server's UNSUPPORTED_MEDIA error and its request id.
timeline  two examples joined with ffmpeg (16 s) and dropped on the page (Input.dispatchDragEvent), timeline mode
          switched on with the space bar, window 6 s, hop 3 s, submitted with Enter: the streamed windows fill the
          progress bar (5 of 5) and the strip has runs on cup, then on jar.
No script error or console error may occur. Screenshots (classify.png, timeline.png) stay in OUTPUT_DIR (a new
temp folder by default), whose path is printed. Without Chromium (Debian `chromium`, which
`Deploy/install-deps.sh test` installs) it prints a "skipped: …" line and exits 0.

Python 3 standard library only. Prints one line per check; exits 1 if any failed.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_checks import Server  # noqa: E402  (the same `vivid serve` on a free loopback port)

EXAMPLES = os.path.join(REPOSITORY, "Models", "demo", "examples")


class Browser:
    """Headless Chromium and one page in it, spoken to over `--remote-debugging-pipe`."""

    def __init__(self, chromium, profile):
        commands_read, self.commands = os.pipe()
        self.replies, replies_write = os.pipe()
        # The shell puts the pipe ends on descriptors 3 and 4, where Chromium looks for them.
        script = 'exec "$0" "$@" 3<&"$R" 4>&"$W"'
        self.log = profile + ".log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                ["/bin/sh", "-c", script, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--no-default-browser-check", "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
                pass_fds=(commands_read, replies_write), stdout=log, stderr=log,
                env=dict(os.environ, R=str(commands_read), W=str(replies_write)))
        os.close(commands_read)
        os.close(replies_write)
        self.next_id = 0
        self.answers = {}
        self.errors = []  # script exceptions and console errors, as text
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "DOM"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setDeviceMetricsOverride", width=1100, height=1500, deviceScaleFactor=1, mobile=False)
        except Exception as error:
            self.close()
            with open(self.log) as log:
                raise AssertionError(f"Chromium did not start a page ({error}); its log ends: {log.read()[-1500:]}") from None

    def _read(self):
        buffer = b""
        while True:
            chunk = os.read(self.replies, 1 << 16)
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self.lock:
                        self.answers[message["id"]] = message
                        self.lock.notify_all()
                elif message.get("method") == "Runtime.exceptionThrown":
                    details = message["params"]["exceptionDetails"]
                    self.errors.append(details.get("exception", {}).get("description") or details["text"])
                elif message.get("method") == "Runtime.consoleAPICalled" and message["params"]["type"] == "error":
                    self.errors.append(" ".join(str(a.get("value", a.get("description"))) for a in message["params"]["args"]))

    def call(self, method, session=None, timeout=30, **params):
        """Sends one command and waits for its answer's result."""
        with self.lock:
            self.next_id += 1
            number = self.next_id
        message = {"id": number, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        with self.lock:
            if not self.lock.wait_for(lambda: number in self.answers, timeout):
                raise AssertionError(f"{method}: no answer from Chromium in {timeout} s")
            answer = self.answers.pop(number)
        if "error" in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        return answer["result"]

    def send(self, method, **params):
        """A command to the page."""
        return self.call(method, session=self.session, **params)

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (awaited, returned by value)."""
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=60, what=None):
        """Polls until the expression is truthy; returns its value."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what or expression}; status: {self.evaluate('$(`status`).textContent')!r}")

    def open(self, url):
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", what="the page to load")

    def choose_file(self, selector, path):
        root = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self.send("DOM.setFileInputFiles", nodeId=node, files=[os.path.abspath(path)])

    def drop_file(self, selector, path):
        """Drags a file from outside the page and drops it on the element, as a mouse would."""
        x, y = self.centre(selector)
        data = {"items": [], "files": [os.path.abspath(path)], "dragOperationsMask": 1}
        for kind in ("dragEnter", "dragOver", "drop"):
            self.send("Input.dispatchDragEvent", type=kind, x=x, y=y, data=data)

    def centre(self, selector):
        return self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView(); "
                             "const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")

    def click(self, selector):
        """A real mouse click in the middle of the element."""
        box = self.centre(selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def press(self, selector, key, code, key_code, text):
        """Focuses the element and presses one key on the keyboard."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.dispatchKeyEvent", type="keyDown", key=key, code=code, windowsVirtualKeyCode=key_code, text=text)
        self.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=key_code)

    def screenshot(self, path):
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - it is killed below anyway
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.commands)


# What the result section shows, as data: [{head, rows: [[label, percentage]]}], the grid's columns and rows.
READ_RESULT = """(() => ({
  heads: [...document.querySelectorAll('#heads .head')].map((h) => ({
    head: h.querySelector('h3').textContent,
    rows: [...h.querySelectorAll('li')].map((li) => [li.querySelector('.label').textContent, li.querySelector('.num').textContent])})),
  columns: [...document.querySelectorAll('#grid thead th')].map((th) => th.textContent),
  rows: [...document.querySelectorAll('#grid tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent)),
}))()"""
PERCENT = re.compile(r"^\d{1,3}\.\d%$")


def check_classify(browser, url, output):
    browser.open(url)
    browser.wait_for("$('model').options.length > 0", what="the model list")
    assert browser.evaluate("$('model').value") == "demo", "the default model is not selected"
    browser.choose_file("#video", os.path.join(EXAMPLES, "00000_take_cup.mp4"))
    assert "00000_take_cup.mp4" in browser.evaluate("$('chosen').textContent"), "the chosen file is not shown"
    browser.click("#submit")
    browser.wait_for("!$('result').hidden || !$('error').hidden", what="the answer")
    assert browser.evaluate("$('error').hidden"), browser.evaluate("$('error').textContent")
    shown = browser.evaluate(READ_RESULT)
    heads = {h["head"]: h["rows"] for h in shown["heads"]}
    assert [h["head"] for h in shown["heads"]] == ["verb", "noun", "action"], shown["heads"]
    for head, top in (("verb", "take"), ("noun", "cup"), ("action", "take cup")):
        label, percentage = heads[head][0]
        assert label == top and PERCENT.match(percentage) and float(percentage[:-1]) > 50, (head, heads[head])
        assert len(heads[head]) == 5 and all(PERCENT.match(p) for _, p in heads[head]), heads[head]
    assert shown["columns"][:3] == ["view", "seconds", "take cup"] and len(shown["columns"]) == 7, shown["columns"]
    assert len(shown["rows"]) == 4, shown["rows"]  # the demo model's default views, 4x1
    assert all(re.match(r"^\d+\.\d\d–\d+\.\d\d$", row[1]) for row in shown["rows"]), shown["rows"]
    browser.screenshot(os.path.join(output, "classify.png"))
    return f"bars {heads['verb'][0]}, {heads['noun'][0]}, {heads['action'][0]}; grid of {len(shown['rows'])} views"


def check_error(browser, url, output):
    text = os.path.join(output, "notes.txt")
    with open(text, "w") as handle:
        handle.write("not a video\n")
    browser.open(url)
    browser.wait_for("$('model').options.length > 0", what="the model list")
    browser.choose_file("#video", text)
    browser.click("#submit")
    shown = browser.wait_for("!$('error').hidden && $('error').innerText", what="the error")
    assert shown.startswith("UNSUPPORTED_MEDIA: ") and re.search(r"request [0-9a-f]+", shown), shown
    assert browser.evaluate("$('result').hidden && !$('submit').disabled"), "the result is shown or the form stays busy"
    return shown.replace("\n", "; ")


def check_timeline(browser, url, output):
    if not shutil.which("ffmpeg"):
        return "skipped: no ffmpeg to join two examples"
    video = os.path.join(output, "cup_then_jar.mp4")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "1", "-i", os.path.join(EXAMPLES, "00000_take_cup.mp4"),
                    "-stream_loop", "1", "-i", os.path.join(EXAMPLES, "00002_open_jar.mp4"), "-filter_complex",
                    "[0:v]fps=25,setpts=N/25/TB[a];[1:v]fps=25,setpts=N/25/TB[b];[a][b]concat=n=2:v=1[v]", "-map", "[v]", video],
                   check=True)
    browser.open(url)
    browser.wait_for("$('model').options.length > 0", what="the model list")
    browser.press("#timeline", " ", "Space", 32, " ")
    assert browser.evaluate("$('timeline').checked && !$('window').closest('label').hidden"), "space did not switch timeline mode on"
    browser.evaluate("$('window').value = '6'; $('hop').value = '3'")
    browser.drop_file("#chosen", video)
    assert "cup_then_jar.mp4" in browser.evaluate("$('chosen').textContent"), "the dropped file is not shown"
    # Every value the progress bar takes, as the windows arrive.
    browser.evaluate("window.seen = []; new MutationObserver(() => seen.push($('progress').value))"
                     ".observe($('progress'), {attributes: true, childList: true})")
    browser.press("#hop", "Enter", "Enter", 13, "\r")
    browser.wait_for("$('runs').caption?.textContent === 'runs' || !$('error').hidden", what="the last line")
    assert browser.evaluate("$('error').hidden"), browser.evaluate("$('error').textContent")
    shown = browser.evaluate("""(() => ({
      progress: [$('progress').value, $('progress').max],
      runs: [...$('strip').children].map((b) => [b.textContent, b.style.left, b.style.width]),
      table: [...$('runs').tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent)),
      seen,
    }))()""")
    assert shown["progress"] == [5, 5], shown["progress"]
    labels = [label for label, _, _ in shown["runs"]]
    assert labels and shown["runs"][0][1] == "0%" and "cup" in labels[0] and "jar" in labels[-1], shown["runs"]
    assert [row[2] for row in shown["table"]] == labels and shown["table"][-1][1] == "16.00", shown["table"]
    browser.screenshot(os.path.join(output, "timeline.png"))
    return f"runs {', '.join(labels)}; progress values seen {sorted(set(shown['seen']))}"


def main():
    vivid = os.path.abspath(sys.argv[1])
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("skipped: page checks need Chromium (Debian's chromium; Deploy/install-deps.sh test installs it)")
        return
    output = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="vivid-page-checks-")
    os.makedirs(output, exist_ok=True)
    work = tempfile.mkdtemp(prefix="vivid-page-work-")
    server = browser = None
    failed = 0
    try:
        try:
            server = Server(vivid, os.path.join(REPOSITORY, "Models", "demo"))
            browser = Browser(chromium, os.path.join(work, "profile"))
        except Exception as error:  # noqa: BLE001
            print(f"FAIL page setup: {error}")
            sys.exit(1)
        url = f"http://127.0.0.1:{server.port}/"
        for name, check in (("classify", check_classify), ("error", check_error), ("timeline", check_timeline)):
            try:
                summary = check(browser, url, output)
                assert not browser.errors, f"errors in the page: {browser.errors}"
                print(f"ok   page {name}: {summary}")
            except Exception as error:  # noqa: BLE001
                failed += 1
                print(f"FAIL page {name}: {error}")
                browser.errors.clear()
    finally:
        if browser:
            browser.close()
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"page screenshots in {output}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
