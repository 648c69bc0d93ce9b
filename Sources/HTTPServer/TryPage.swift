/// The page served at `GET /`: a form to try the server from a browser, with nothing to build or fetch
/// from elsewhere (plain HTML, CSS and JavaScript, no CDN, system fonts).
///
/// It lists `GET /models` (the default selected), takes a video by file chooser or drag and drop, and posts it
/// to `/classify` as `multipart/form-data` (field `video`) with `model`, `views` and `top_k`. The answer is drawn
/// as bars per head (verb, noun, action, or a single-head model's label) and as a grid of the per-view scores
/// (rows: views with their start–end seconds; columns: the aggregate's top classes; cells shaded by
/// probability). In timeline mode it posts `/classify?window=W&hop=H` with `Accept: application/x-ndjson`,
/// reads the stream line by line as it comes, and draws a progress bar and the runs of equal top labels as a
/// coloured strip, window by window. Errors (`{"error", "code", "request_id"}`) are shown as sent.
/// `Tests/page_checks.py` drives it in headless Chromium.
enum TryPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vivid: try it</title>
<link rel="icon" href="data:,">
<style>
  :root { --fg: #1b1f24; --muted: #5b6470; --bg: #fff; --panel: #f4f6f8; --line: #d0d7de; --accent: #0b63c5; --bad: #b42318; }
  @media (prefers-color-scheme: dark) {
    :root { --fg: #e6edf3; --muted: #9aa5b1; --bg: #0d1117; --panel: #161b22; --line: #30363d; --accent: #4c9aff; --bad: #ff7b72; }
  }
  * { box-sizing: border-box; }
  body { margin: 0 auto; max-width: 64rem; padding: 1rem 1.25rem 3rem; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
  h1 { font-size: 1.4rem; margin: .25rem 0 1rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; } h3 { font-size: .95rem; margin: 0 0 .4rem; text-transform: capitalize; }
  form { display: grid; grid-template-columns: repeat(auto-fit, minmax(12.5rem, 1fr)); gap: .75rem 1rem; align-items: end; padding: 1rem; background: var(--panel); border-radius: .5rem; }
  label { display: grid; gap: .2rem; min-width: 0; font-weight: 600; font-size: .9rem; }
  label > select, label > input:not([type=checkbox]) { width: 100%; min-width: 0; }
  input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: .3rem; background: var(--bg); color: var(--fg); }
  :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
  #drop { grid-column: 1 / -1; border: 2px dashed var(--line); border-radius: .5rem; padding: 1rem; text-align: center; font-weight: normal; }
  #drop.over { border-color: var(--accent); background: color-mix(in srgb, var(--accent) 10%, transparent); }
  .check { display: flex; align-items: center; gap: .4rem; } .check > select { width: auto; }
  .actions { display: flex; gap: .5rem; }
  button { cursor: pointer; font-weight: 600; }
  button[type=submit] { background: var(--accent); border-color: var(--accent); color: #fff; }
  button:disabled { opacity: .5; cursor: default; }
  [hidden] { display: none !important; }
  .muted { color: var(--muted); font-size: .9rem; }
  #error { margin: 1rem 0; padding: .75rem 1rem; border-left: 4px solid var(--bad); background: var(--panel); color: var(--bad); white-space: pre-wrap; }
  #heads { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
  .bars { list-style: none; margin: 0; padding: 0; }
  .bars li { display: grid; grid-template-columns: minmax(6rem, 40%) 1fr 3.8rem; gap: .5rem; align-items: center; margin: .2rem 0; }
  .bars .track { height: .9rem; background: var(--panel); border-radius: .2rem; overflow: hidden; }
  .bars .fill { display: block; height: 100%; background: var(--accent); }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; font-size: .85rem; }
  th, td { border: 1px solid var(--line); padding: .25rem .45rem; }
  caption { text-align: left; padding: .2rem 0; }
  th { background: var(--panel); font-weight: 600; text-align: left; white-space: nowrap; }
  td.num { min-width: 4.2rem; }
  .strip { position: relative; height: 2.6rem; border-radius: .3rem; overflow: hidden; background: repeating-linear-gradient(45deg, var(--panel) 0 6px, var(--bg) 6px 12px); border: 1px solid var(--line); }
  .strip button { position: absolute; top: 0; bottom: 0; border: 0; border-right: 1px solid var(--bg); border-radius: 0; padding: 0 .3rem; color: #111; font-size: .8rem; font-weight: 600; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
  .axis { display: flex; justify-content: space-between; }
  progress { width: 100%; height: .8rem; }
  video { max-width: 100%; max-height: 16rem; margin-top: .5rem; border-radius: .3rem; }
</style>
</head>
<body>
<h1>Vivid: try it</h1>
<form id="form">
  <label id="drop" for="video">Choose a video, or drop one here
    <input id="video" name="video" type="file" accept="video/*,image/gif" required>
    <span id="chosen" class="muted"></span>
  </label>
  <label>Model <select id="model" name="model" required></select></label>
  <label>Views (temporal × spatial) <select id="views" name="views">
    <option value="">model's default</option><option>1x1</option><option>2x1</option><option>4x1</option>
    <option>1x3</option><option>2x3</option><option>4x3</option></select></label>
  <label>Top classes <input id="top_k" name="top_k" type="number" min="1" max="100" value="5" required></label>
  <label class="check"><input id="timeline" type="checkbox"> Timeline (window by window)</label>
  <label data-timeline hidden>Window (s) <input id="window" type="number" min="0.1" step="0.1" value="6"></label>
  <label data-timeline hidden>Hop (s) <input id="hop" type="number" min="0.1" step="0.1" value="3"></label>
  <div class="actions"><button id="submit" type="submit">Classify</button><button id="cancel" type="button" disabled>Cancel</button></div>
</form>
<video id="preview" controls muted hidden></video>
<p id="status" class="muted" role="status" aria-live="polite"></p>
<div id="error" role="alert" hidden></div>
<section id="result" aria-live="polite" hidden>
  <h2>Aggregate</h2>
  <div id="heads"></div>
  <div id="per-view" hidden>
    <h2>Per view</h2>
    <label class="check" hidden>Columns <select id="grid-head"></select></label>
    <div class="scroll"><table id="grid"></table></div>
  </div>
</section>
<section id="timeline-result" hidden>
  <h2>Timeline</h2>
  <label>Windows done <progress id="progress" max="1" value="0"></progress></label>
  <div id="strip" class="strip" role="group" aria-label="runs of the same top label"></div>
  <div class="axis muted"><span>0 s</span><span id="axis-end"></span></div>
  <div class="scroll"><table id="runs"></table></div>
</section>
<p class="muted">The API: <a href="/models">/models</a> · <a href="/status">/status</a> · <a href="/metrics">/metrics</a></p>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const pct = (p) => (100 * p).toFixed(1) + "%";
const secs = (s) => s.toFixed(2);
/** Makes an element: el("td", {className: "num"}, "12%", child…); text goes in as text, never as HTML. */
function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}
let models = [], headOrder = [], controller = null;
/** The head names of a scores object ({method?, verb: […], noun: […], action?: […]}): the model's order, action last. */
const headsOf = (scores) => Object.keys(scores).filter((k) => Array.isArray(scores[k]))
  .sort((a, b) => (a === "action") - (b === "action") || rank(a) - rank(b));
const rank = (head) => (headOrder.indexOf(head) + 1 || 1000);
/** A stable pale colour per label. */
function colour(label) {
  let hash = 0;
  for (const c of label) hash = (hash * 31 + c.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360} 70% 72%)`;
}


function setBusy(busy) {
  $("submit").disabled = busy;
  $("cancel").disabled = !busy;
  document.body.setAttribute("aria-busy", busy);
}
function showError(answer) {
  const box = $("error");
  box.hidden = false;
  box.textContent = answer.code ? `${answer.code}: ${answer.error}` : answer.error;
  if (answer.request_id) box.append(el("div", {className: "muted"}, `request ${answer.request_id}`));
  $("status").textContent = "";
}
/** The server's error object, or one made from a status and body that are not one. */
async function errorOf(response) {
  const text = await response.text();
  try {
    const answer = JSON.parse(text);
    if (answer.error) return answer;
  } catch {}
  return {code: `HTTP ${response.status}`, error: text.replace(/<[^>]*>/g, " ").trim().slice(0, 300) || response.statusText};
}

async function loadModels() {
  try {
    const response = await fetch("/models");
    if (!response.ok) return showError(await errorOf(response));
    const list = await response.json();
    models = list.models;
    $("model").replaceChildren(...models.map((m) =>
      el("option", {value: m.name, selected: m.name === list.default, textContent: `${m.name} (${m.heads.map((h) => h.name).join(", ")})`})));
    describeModel();
  } catch (error) {
    showError({error: `could not list the models: ${error.message}`});
  }
}
function describeModel() {
  const model = models.find((m) => m.name === $("model").value);
  if (model) $("views").options[0].textContent = $("timeline").checked ? "default (1x1 per window)" : `model's default (${model.default_views})`;
}

function chooseFile(file) {
  $("chosen").textContent = file ? `${file.name}, ${(file.size / 1048576).toFixed(2)} MB` : "";
  const preview = $("preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.hidden = !file;
  if (file) preview.src = URL.createObjectURL(file);
}
$("video").addEventListener("change", () => chooseFile($("video").files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (!event.dataTransfer.files.length) return;
  $("video").files = event.dataTransfer.files;
  chooseFile($("video").files[0]);
});
$("model").addEventListener("change", describeModel);
$("timeline").addEventListener("change", () => {
  for (const field of document.querySelectorAll("[data-timeline]")) field.hidden = !$("timeline").checked;
  describeModel();
});
$("cancel").addEventListener("click", () => controller?.abort());

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("video").files[0];
  if (!file) return;
  const query = new URLSearchParams({model: $("model").value, top_k: $("top_k").value});
  headOrder = (models.find((m) => m.name === $("model").value)?.heads || []).map((h) => h.name);
  if ($("views").value) query.set("views", $("views").value);
  const timeline = $("timeline").checked;
  if (timeline) { query.set("window", $("window").value); query.set("hop", $("hop").value); }
  const body = new FormData();
  body.append("video", file);
  $("error").hidden = true;
  $("result").hidden = true;
  $("timeline-result").hidden = true;
  $("status").textContent = `Uploading ${file.name}…`;
  controller = new AbortController();
  setBusy(true);
  try {
    const response = await fetch("/classify?" + query, {method: "POST", body, signal: controller.signal,
      headers: timeline ? {Accept: "application/x-ndjson"} : {}});
    if (!response.ok) return showError(await errorOf(response));
    if (timeline) await readTimeline(response.body.getReader());
    else showClassification(await response.json());
  } catch (error) {
    if (error.name === "AbortError") $("status").textContent = "Cancelled.";
    else showError({error: `the request failed: ${error.message}`});
  } finally {
    controller = null;
    setBusy(false);
  }
});

/** Bars per head of the aggregate, then the per-view grid. */
function showClassification(answer) {
  const {aggregate, video, timing_ms: timing} = answer;
  $("heads").replaceChildren(...headsOf(aggregate).map((head) => el("div", {className: "head"},
    el("h3", {}, head),
    el("ol", {className: "bars", ariaLabel: `${head} scores`}, ...aggregate[head].map((c) =>
      el("li", {}, el("span", {className: "label"}, c.label),
        el("span", {className: "track", ariaHidden: "true"}, el("span", {className: "fill", style: `width:${100 * c.score}%`})),
        el("span", {className: "num"}, pct(c.score))))))));
  const views = answer.views || [];
  $("per-view").hidden = views.length === 0;
  const heads = headsOf(aggregate);
  const picker = $("grid-head");
  picker.replaceChildren(...heads.map((h) => el("option", {value: h, textContent: h})));
  picker.value = heads.includes("action") ? "action" : heads[0];
  picker.parentElement.hidden = heads.length < 2;
  picker.onchange = () => drawGrid(views, aggregate, picker.value);
  drawGrid(views, aggregate, picker.value);
  $("result").hidden = false;
  $("status").textContent = `${answer.model}: ${views.length || "?"} views of ${secs(video.duration_s)} s ` +
    `(${video.width}×${video.height}, ${video.fps.toFixed(2)} fps) in ${timing.total} ms` +
    (answer.warnings?.length ? `. Warnings: ${answer.warnings.join("; ")}` : "");
}
/** Rows: views with their times; columns: the aggregate's top classes of `head`; cells shaded by probability. */
function drawGrid(views, aggregate, head) {
  const columns = aggregate[head];
  const header = el("tr", {}, el("th", {scope: "col"}, "view"), el("th", {scope: "col"}, "seconds"),
    ...columns.map((c) => el("th", {scope: "col"}, c.label)));
  const rows = views.map((view, i) => el("tr", {},
    el("th", {scope: "row"}, `${i + 1}: clip ${view.temporal_index + 1}, ${view.crop}`),
    el("td", {className: "num"}, `${secs(view.start_s)}–${secs(view.end_s)}`),
    ...columns.map((c) => {
      const found = (view[head] || []).find((v) => v.label === c.label);
      if (!found) return el("td", {className: "num muted", title: "not in this view's top classes"}, "–");
      const cell = el("td", {className: "num", title: `${c.label}: ${pct(found.score)}`}, pct(found.score));
      cell.style.background = `color-mix(in srgb, var(--accent) ${Math.round(85 * found.score)}%, transparent)`;
      if (found.score > 0.55) cell.style.color = "#fff";
      return cell;
    })));
  $("grid").replaceChildren(el("caption", {className: "muted"}, `${head}: each view's probability of the aggregate's top classes`),
    el("thead", {}, header), el("tbody", {}, ...rows));
}

/** Reads an NDJSON timeline as it arrives: a header line, a line per window, a last line with runs (or an error). */
async function readTimeline(reader) {
  const decoder = new TextDecoder();
  const state = {segments: [], total: 0, duration: 0};
  let buffer = "";
  $("timeline-result").hidden = false;
  drawTimeline(state, null);
  for (;;) {
    const {value, done} = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), {stream: !done});
    const lines = buffer.split("\n");
    buffer = done ? "" : lines.pop();
    for (const line of lines.filter((l) => l.trim())) {
      const message = JSON.parse(line);
      if (message.error) return showError(message);
      if (message.segment) {
        state.segments.push(message.segment);
        state.total = message.progress.total;
        $("status").textContent = `Window ${message.progress.done} of ${message.progress.total}…`;
        drawTimeline(state, null);
      } else if (message.runs) {
        drawTimeline(state, message.runs);
        $("status").textContent = `${state.segments.length} windows of ${state.window} s every ${state.hop} s in ${message.timing_ms.total} ms` +
          (message.warnings.length ? `. Warnings: ${message.warnings.join("; ")}` : "");
      } else if ("windows" in message) {
        Object.assign(state, {total: message.windows, duration: message.video.duration_s, window: message.window_s, hop: message.hop_s});
        $("status").textContent = `${message.windows} windows of ${message.window_s} s every ${message.hop_s} s…`;
        drawTimeline(state, null);
      }
    }
    if (done) return;
  }
}
/** The top label of a window: its top action, else its first head's top class (as the server's runs follow). */
function topOf(aggregate) {
  const best = (aggregate.action || aggregate[headsOf(aggregate)[0]])[0];
  return {label: best.label, score: best.score};
}
/** Consecutive windows with the same top label merged, each run ending where the next begins (the server's rule). */
function runsOf(segments) {
  const runs = [];
  for (const segment of segments) {
    const top = topOf(segment.aggregate), last = runs[runs.length - 1];
    if (last && last.label === top.label) {
      last.scores.push(top.score);
      last.end_s = segment.end_s;
      last.score = last.scores.reduce((a, b) => a + b) / last.scores.length;
    } else {
      if (last) last.end_s = segment.start_s;
      runs.push({start_s: segment.start_s, end_s: segment.end_s, label: top.label, score: top.score, scores: [top.score]});
    }
  }
  return runs;
}
function drawTimeline(state, finalRuns) {
  const runs = finalRuns || runsOf(state.segments);
  const progress = $("progress");
  progress.max = state.total || 1;
  progress.value = state.segments.length;
  progress.textContent = `${state.segments.length} of ${state.total}`;
  const span = Math.max(state.duration, ...runs.map((r) => r.end_s)) || 1;
  $("axis-end").textContent = `${secs(span)} s`;
  const describe = (r) => `${r.label}, ${secs(r.start_s)}–${secs(r.end_s)} s, ${pct(r.score)}`;
  $("strip").replaceChildren(...runs.map((r) => {
    const run = el("button", {type: "button", title: describe(r), ariaLabel: describe(r), textContent: r.label});
    Object.assign(run.style, {left: `${100 * r.start_s / span}%`, width: `${100 * (r.end_s - r.start_s) / span}%`, background: colour(r.label)});
    run.addEventListener("click", () => { const v = $("preview"); if (!v.hidden) { v.currentTime = r.start_s; v.focus(); } });
    return run;
  }));
  $("runs").replaceChildren(el("caption", {className: "muted"}, finalRuns ? "runs" : "runs so far"),
    el("thead", {}, el("tr", {}, ...["from (s)", "to (s)", "label", "mean top score"].map((t) => el("th", {scope: "col"}, t)))),
    el("tbody", {}, ...runs.map((r) => el("tr", {},
      el("td", {className: "num"}, secs(r.start_s)), el("td", {className: "num"}, secs(r.end_s)),
      el("td", {}, r.label), el("td", {className: "num"}, pct(r.score))))));
}

loadModels();
</script>
</body>
</html>
"""#
}
