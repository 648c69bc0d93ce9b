#!/usr/bin/env bash
# Command-line checks run by `make test` after `swift test`: the built `vivid` binary on real files,
# through its real output (JSON on stdout, exit codes, the safetensors it writes).
# Usage: Tests/cli-checks.sh PATH/TO/vivid
set -euo pipefail
vivid=$(realpath "$1")
cd "$(dirname "$0")/.."
# The system Python, for which `make deps` installs numpy and msgpack (a pyenv or venv python3 may lack them).
python=/usr/bin/python3
[ -x "$python" ] || python=python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

check() { # check NAME COMMAND...: runs the command, counts the result
  local name=$1; shift
  if "$@" >"$work/out" 2>"$work/err"; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$work/out" "$work/err" | tail -20
  fi
}

# A 4-second 25 fps H.264 clip, 160×120.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=160x120:rate=25:duration=4" -c:v libx264 -g 25 "$work/clip.mp4"
printf 'not a video\n' >"$work/notes.txt"

probe_ok() {
  "$vivid" probe "$work/clip.mp4" | "$python" -c '
import json, sys
info = json.load(sys.stdin)
assert info["codec"] == "h264" and info["width"] == 160 and info["height"] == 120, info
assert info["frames"] == 100 and info["frames_exact"] and abs(info["fps"] - 25) < 1e-9, info'
}
probe_refuses_text() {
  local status=0
  "$vivid" probe "$work/notes.txt" >"$work/refusal.json" || status=$?
  [ "$status" -ne 0 ] && "$python" -c '
import json, sys
answer = json.load(open(sys.argv[1]))
assert answer["code"] == "UNSUPPORTED_MEDIA" and answer["error"], answer' "$work/refusal.json"
}
sample_writes_clips() {
  "$vivid" sample "$work/clip.mp4" --frames 8 --stride 2 --views 2x3 --short-side 64 --crop 48 \
    --output "$work/clips.safetensors" >/dev/null
  "$python" - "$work/clips.safetensors" <<'PY'
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
length = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + length])
entry = header["clips"]
assert entry["dtype"] == "F32" and entry["shape"] == [6, 3, 8, 48, 48], entry
begin, end = entry["data_offsets"]
clips = np.frombuffer(raw[8 + length + begin:8 + length + end], dtype="<f4").reshape(entry["shape"])
assert np.isfinite(clips).all() and clips.std() > 0.1
plan = json.loads(header["__metadata__"]["view_plan"])
views = plan["views"]
assert [(v["temporal_index"], v["spatial_index"], v["crop"]) for v in views[:3]] == [(0, 0, "left"), (0, 1, "centre"), (0, 2, "right")]
assert all(len(v["frame_times"]) == 8 for v in views)
assert views[0]["frame_times"][:2] == [0.0, 0.08], views[0]["frame_times"]
PY
}

probe_limits() {
  local status=0
  "$vivid" probe "$work/clip.mp4" --max-pixels 1000 >"$work/limit.json" || status=$?
  [ "$status" -ne 0 ] && grep -q '"VIDEO_TOO_LARGE"' "$work/limit.json"
}

forward_matches_reference() {
  "$python" Tools/convert.py scenic-vivit Tests/Fixtures/vivit_fe/checkpoint.msgpack "$work/fe" \
    --class-splits 5,3 --split-names noun,verb >/dev/null
  "$vivid" forward --model "$work/fe" --input Tests/Fixtures/vivit_fe/io.safetensors --output "$work/logits.json"
  "$python" - "$work/logits.json" <<'PY'
import json, sys
import numpy as np
sys.path.insert(0, "Tools")
import safetensors_io
reference = safetensors_io.read("Tests/Fixtures/vivit_fe/io.safetensors")[0]["logits"]
answer = json.load(open(sys.argv[1]))
logits = np.concatenate([np.array(answer["heads"]["noun"]), np.array(answer["heads"]["verb"])], axis=1)
assert logits.shape == reference.shape, logits.shape
assert (np.abs(logits - reference) <= 1e-4 * np.maximum(1, np.abs(reference))).all(), np.abs(logits - reference).max()
PY
}
bench_reports_json() {
  "$vivid" bench --model "$work/fe" --views 2 --json | "$python" -c '
import json, sys
result = json.load(sys.stdin)
assert set(result) == {"arch", "precision", "fp32_products", "views", "ms_per_view", "gflop_per_view", "gflops", "peak_rss_mb"}, result
assert result["views"] == 2 and result["ms_per_view"] > 0 and result["gflop_per_view"] > 0, result
assert result["precision"] == "fp32" and result["fp32_products"].split()[0] in ("openblas", "onednn"), result'
  "$vivid" bench --model "$work/fe" --runs 3 --json | "$python" -c '
import json, sys
result = json.load(sys.stdin)
runs = result["runs_ms_per_view"]
assert len(runs) == 3 and runs == sorted(runs) and abs(result["ms_per_view"] - runs[1]) < 0.01, result'
  # --threads is the one worker count: the products report it too.
  "$vivid" bench --model "$work/fe" --threads 1 | grep -q "(1 threads;"
}
# --precision (and VIVID_PRECISION) on the commands that run a model: an unknown word exits 2 with the reason;
# `auto` resolves to bf16 or fp32 by the CPU; the flag wins over the environment; forward runs at the precision.
precision_settings() {
  local status=0
  "$vivid" bench --model "$work/fe" --precision fp16 2>"$work/precision.err" || status=$?
  [ "$status" -eq 2 ] && grep -q "unknown precision 'fp16'" "$work/precision.err" || return 1
  status=0
  VIVID_PRECISION=half "$vivid" forward --model "$work/fe" --input Tests/Fixtures/vivit_fe/io.safetensors 2>/dev/null || status=$?
  [ "$status" -eq 2 ] || return 1
  VIVID_PRECISION=half "$vivid" bench --model "$work/fe" --precision auto --json | "$python" -c '
import json, sys
assert json.load(sys.stdin)["precision"] in ("bf16", "fp32")'
  VIVID_PRECISION=fp32 "$vivid" classify --model Models/demo Models/demo/examples/00000_take_cup.mp4 >/dev/null
}
# vivid runs with OMP_WAIT_POLICY=passive (it re-executes itself once to set it), and keeps a policy the user set.
openmp_wait_policy() {
  local expected pid policy
  for expected in passive active; do
    if [ "$expected" = active ]; then
      OMP_WAIT_POLICY=active "$vivid" serve --model Models/demo --host 127.0.0.1 --port 0 2>/dev/null & pid=$!
    else
      env -u OMP_WAIT_POLICY "$vivid" serve --model Models/demo --host 127.0.0.1 --port 0 2>/dev/null & pid=$!
    fi
    policy=""
    for _ in $(seq 50); do
      policy=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^OMP_WAIT_POLICY=//p')
      [ -n "$policy" ] && break
      sleep 0.1
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    [ "$policy" = "$expected" ] || { echo "OMP_WAIT_POLICY is '$policy', expected $expected" >&2; return 1; }
  done
}
# The converted CNN fixtures through the whole path (decode, sample 2×3 views, forward, aggregate): a CSN and
# the two-head EPIC SlowFast (whose answer has verb, noun and action), at the converters' preprocessing.
cnn_models_classify() {
  "$python" Tools/convert.py pytorchvideo Tests/Fixtures/csn/pytorchvideo.pyth "$work/csn" --frames 8 >/dev/null
  "$python" Tools/convert.py epic-slowfast Tests/Fixtures/slowfast/epic.pyth "$work/slowfast" --frames 8 >/dev/null
  for model in csn slowfast; do
    "$vivid" classify --model "$work/$model" --views 2x3 --top-k 2 --json "$work/clip.mp4" >"$work/$model.json"
  done
  "$vivid" bench --model "$work/csn" --profile --json >"$work/bench.json"
  "$python" - "$work/csn.json" "$work/slowfast.json" "$work/bench.json" <<'PY'
import json, sys
csn, slowfast, bench = (json.load(open(path)) for path in sys.argv[1:])
assert len(csn["views"]) == 6 and len(csn["aggregate"]["label"]) == 2, csn["aggregate"]
assert [v["crop"] for v in csn["views"][:3]] == ["left", "centre", "right"], csn["views"]
assert set(slowfast["aggregate"]) >= {"verb", "noun", "action"}, slowfast["aggregate"]
assert slowfast["sampling"]["frames_per_clip"] == 8 and slowfast["sampling"]["crop_size"] == 256, slowfast["sampling"]
# --profile files each convolution's time by kind; together they are part of the forward pass.
profile = bench["profile_s"]
assert "depthwise convolution" in profile and "dense convolution [1, 1, 1]" in profile, profile
assert 0 < sum(profile.values()) <= bench["ms_per_view"] / 1000 * bench["views"], (profile, bench)
PY
}
# A checkpoint whose pickle would run a command on load (os.system) is refused before anything runs.
converter_refuses_code() {
  rm -f "$work/pwned"
  "$python" - "$work/evil.pth" "$work/pwned" <<'PY'
import os, pickle, sys, zipfile
class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {sys.argv[2]}",))
with zipfile.ZipFile(sys.argv[1], "w") as archive:
    archive.writestr("archive/data.pkl", pickle.dumps({"model_state": Payload()}, protocol=2))
PY
  ! "$python" Tools/convert.py pytorchvideo "$work/evil.pth" "$work/evil" 2>"$work/evil.err" \
    && grep -q "refused for safety" "$work/evil.err" && [ ! -e "$work/pwned" ]
}
# `vivid keys` lists what the loading code asks for, and convert.py checks what it writes against that list: a
# stand-in vivid whose list lacks one tensor makes the conversion fail naming it, leaving no folder behind.
keys_checked_by_converter() {
  "$vivid" keys --arch vivit-b16x2 | grep -x "vivit.embeddings.position_embeddings 1x3137x768" >/dev/null
  [ "$("$vivid" keys --arch slowfast-r50 --json | "$python" -c 'import json, sys; print(len(json.load(sys.stdin)["tensors"]))')" -gt 500 ]
  VIVID_BIN="$vivid" "$python" Tools/convert.py hf-vivit Tests/Fixtures/vivit/checkpoint "$work/keys-ok" >/dev/null
  cat >"$work/short-vivid" <<SH
#!/bin/sh
"$vivid" "\$@" | "$python" -c 'import json, sys; d = json.load(sys.stdin); d["tensors"] = [t for t in d["tensors"] if t["key"] != "classifier.bias"]; print(json.dumps(d))'
SH
  chmod +x "$work/short-vivid"
  ! VIVID_BIN="$work/short-vivid" "$python" Tools/convert.py hf-vivit Tests/Fixtures/vivit/checkpoint "$work/keys-bad" 2>"$work/keys.err"
  [ ! -e "$work/keys-bad" ]
  grep -q "classifier.bias is written but vivid does not load it" "$work/keys.err"
}
# Weights are resident once: a folder of TimeSformer-B's 486 MB of weights peaks within 15% of the same model
# built in memory (its weights and the forward pass's working memory), since each tensor's mapped pages are
# released once it is copied.
weights_resident_once() {
  "$vivid" keys --arch timesformer-b8 --json >"$work/keys.json"
  "$python" - "$work/keys.json" "$work/big" <<'PY'
import json, os, sys
import numpy as np
sys.path.insert(0, "Tools")
import safetensors_io
keys, folder = json.load(open(sys.argv[1])), sys.argv[2]
os.makedirs(folder)
safetensors_io.write(os.path.join(folder, "model.safetensors"),
                     {t["key"]: np.full(t["shape"], 0.01, dtype=np.float32) for t in keys["tensors"]})
json.dump({"name": "big", "architecture": "timesformer",
           "model": {"hidden_size": 768, "num_layers": 12, "num_heads": 12, "mlp_dim": 3072, "patch_size": 16, "num_frames": 8,
                     "image_size": 224, "layer_norm_eps": 1e-6, "gelu": "erf", "attention_type": "divided_space_time"},
           "heads": [{"name": "label", "classes": 400}], "head_layout": "single",
           "preprocessing": {"frames_per_clip": 8, "stride": 32, "short_side": 224, "crop_size": 224, "mean": [0.45] * 3,
                             "std": [0.225] * 3, "temporal_views": 1, "spatial_crops": 3},
           "aggregation": "per_view"}, open(os.path.join(folder, "config.json"), "w"))
PY
  local peak='import json, sys; print(json.load(sys.stdin)["peak_rss_mb"])'
  local loaded built
  loaded=$("$vivid" bench --model "$work/big" --json | "$python" -c "$peak")
  built=$("$vivid" bench --arch timesformer-b8 --random-weights --json | "$python" -c "$peak")
  echo "peak RSS: folder $loaded MB, built in memory $built MB"
  "$python" -c "import sys; sys.exit(0 if $loaded <= 1.15 * $built else 1)"
}
# The demo model was trained on Tools/render_actions.py's renders and is tested on fresh ones: fixed seeds through
# each of its commands must hash as recorded in Tests/render_checks.sha256 (about 3 s).
renders_as_recorded() {
  "$python" Tests/render_checks.py
}
# The demo model (Models/demo) through the whole Swift path: decode, sample, forward, aggregate. Every shipped
# example must give its verb and noun (each top verb and noun scores 0.88-0.93).
demo_examples_recognised() {
  "$python" Tools/evaluate_demo.py --vivid "$vivid" --model Models/demo --videos Models/demo/examples \
    --min-verb 1 --min-noun 1
}
# Seed 3001 is in the test range (3000-3999), never used for training; 48 clips hold every action at most once.
# The shipped model gives verb 0.979, noun 1.0 on them (47 and 48 of 48) at every precision; the floor is the
# issue's 90% (44 of 48), and bf16 and int8 may lose at most 2 points against fp32 (a precision the CPU lacks is
# skipped with its reason).
demo_fresh_renders_recognised() {
  "$python" Tools/evaluate_demo.py --vivid "$vivid" --model Models/demo --render 48 --seed 3001 \
    --min-verb 0.9 --min-noun 0.9 --precision fp32 --precision bf16 --precision int8 --max-drop 0.02
}
# The real `vivid serve` process: 32 concurrent uploads against a queue of 4, then SIGTERM while a request runs
# (finishing within the exit timeout, and past it): a 30-second 640×480 clip, whose 32×3 views the demo model
# takes about 0.4 s to classify (the 4-second example: 0.17 s).
# A server killed with SIGKILL leaves its upload folder; the next one started under the same TMPDIR removes it
# (its lock is free) and logs that it did.
timeline_prints_runs() {
  # Two demo examples, 8 s each (looped): windows of 6 s every 3 s; the table lists runs, --json every window.
  local examples=Models/demo/examples
  ffmpeg -nostdin -v error -stream_loop 1 -i "$examples/00000_take_cup.mp4" -stream_loop 1 -i "$examples/00002_open_jar.mp4" \
    -filter_complex "[0:v]fps=25,setpts=N/25/TB[a];[1:v]fps=25,setpts=N/25/TB[b];[a][b]concat=n=2:v=1[v]" -map "[v]" "$work/two.mp4"
  "$vivid" classify --window 6 --hop 3 "$work/two.mp4" >"$work/runs.txt"
  grep -q "5 windows of 6.0 s every 3.0 s" "$work/runs.txt" && grep -Eq "^ +0\.00 – .* cup" "$work/runs.txt" && grep -Eq " jar [0-9.]+$" "$work/runs.txt"
  "$vivid" classify --window 6 --hop 3 --json "$work/two.mp4" | "$python" -c '
import json, sys
answer = json.load(sys.stdin)
assert [s["start_s"] for s in answer["segments"]] == [0, 3, 6, 9, 10], answer["segments"]
assert answer["runs"][0]["start_s"] == 0 and answer["runs"][-1]["end_s"] == 16, answer["runs"]'
}
default_model_and_missing_files() {
  # Run from another folder, classify finds the demo model in the binary's repository; a missing file is
  # FILE_NOT_FOUND with exit status 2, for every command that opens one.
  (cd "$work" && "$vivid" classify --json "$OLDPWD/Models/demo/examples/00000_take_cup.mp4") | grep -q '"label" : "take cup"'
  local command status
  for command in probe classify; do
    status=0
    "$vivid" $command "$work/absent.mp4" >"$work/absent.json" || status=$?
    [ "$status" -eq 2 ] && grep -q '"code" : "FILE_NOT_FOUND"' "$work/absent.json" && grep -q 'absent.mp4: no such file' "$work/absent.json"
  done
}
clients_nobody_here_wrote() {
  # Triton's HTTP client and openapi-spec-validator, from PyPI into a venv outside the repository; skipped,
  # saying so, where pip cannot reach its index.
  local venv=${VIVID_CLIENT_VENV:-$HOME/.cache/vivid-client-venv}
  if ! "$venv/bin/python" -c 'import tritonclient.http, openapi_spec_validator, prometheus_client' 2>/dev/null; then
    if ! { "$python" -m venv "$venv" && "$venv/bin/pip" install -q "tritonclient[http]" openapi-spec-validator prometheus-client; } >"$work/pip.log" 2>&1; then
      echo "skipped: pip could not install tritonclient[http], openapi-spec-validator and prometheus-client: $(tail -1 "$work/pip.log")" >&2
      return 0
    fi
  fi
  "$venv/bin/python" Tests/client_checks.py "$vivid" Models/demo
}
json_logs() {
  # --log-format json: every line one JSON object; the request line has the client, query, id and numbers.
  "$vivid" serve --host 127.0.0.1 --port 0 --log-format json 2>"$work/json.log" &
  local server=$! deadline=$((SECONDS + 60)) port
  until port=$(grep -o '"port":[0-9]*' "$work/json.log" | cut -d: -f2) && [ -n "$port" ]; do
    [ $SECONDS -lt $deadline ] || { kill "$server"; return 1; }; sleep 0.1
  done
  "$python" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], headers={"X-Request-Id": "log-check-1"})).read()' "http://127.0.0.1:$port/status?probe=1"
  kill -TERM "$server"; wait "$server"
  "$python" -c '
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
request = next(line for line in lines if line.get("message") == "request")
assert request["request_id"] == "log-check-1" and request["client"] == "127.0.0.1" and request["query"] == "probe=1", request
assert request["status"] == 200 and isinstance(request["ms"], int) and request["time"].endswith("Z"), request' "$work/json.log"
}
stale_uploads_removed() {
  local tmp="$work/tmp" deadline
  mkdir -p "$tmp"
  TMPDIR="$tmp" "$vivid" serve --host 127.0.0.1 --port 0 --model Models/demo 2>"$work/first.log" &
  local first=$!
  deadline=$((SECONDS + 60))
  until grep -q listening "$work/first.log"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.1; done
  local folder
  folder=$(ls -d "$tmp"/vivid-uploads-*)
  kill -9 "$first"; wait "$first" || true
  [ -d "$folder" ]
  TMPDIR="$tmp" "$vivid" serve --host 127.0.0.1 --port 0 --model Models/demo 2>"$work/second.log" &
  local second=$!
  deadline=$((SECONDS + 60))
  until grep -q listening "$work/second.log"; do [ $SECONDS -lt $deadline ] || { kill "$second"; return 1; }; sleep 0.1; done
  kill -TERM "$second"; wait "$second" || true
  [ ! -e "$folder" ] && grep -q "removed the upload folder of a process that is gone" "$work/second.log" && grep -qF "$folder" "$work/second.log"
}
server_load_and_drain() {
  ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=640x480:rate=25:duration=30" -c:v libx264 -preset ultrafast \
    -g 25 "$work/long.mp4"
  "$python" Tests/server_checks.py "$vivid" Models/demo Models/demo/examples/00000_take_cup.mp4 "$work/long.mp4"
}
# The page at GET / in headless Chromium (skipped, passing, where Debian's chromium is absent): an example uploaded
# through its form, the bars and per-view grid, an error, a streamed timeline. Its screenshots stay in the folder below.
page_in_a_browser() {
  "$python" Tests/page_checks.py "$vivid" "${TMPDIR:-/tmp}/vivid-page-checks"
}

check "probe prints the stream facts" probe_ok
check "limits are options: a small --max-pixels refuses the clip" probe_limits
check "probe refuses a text file with UNSUPPORTED_MEDIA" probe_refuses_text
check "sample writes clips and the view plan" sample_writes_clips
check "forward of a converted Scenic checkpoint matches the reference logits" forward_matches_reference
check "bench reports its JSON fields, and the median and spread of --runs" bench_reports_json
check "--precision and VIVID_PRECISION: unknown words exit 2, auto resolves by the CPU" precision_settings
check "vivid sets OMP_WAIT_POLICY=passive for itself, and keeps one the user set" openmp_wait_policy
check "convert.py refuses a checkpoint that would run code" converter_refuses_code
check "vivid keys lists the tensors a model loads; convert.py checks its output against it" keys_checked_by_converter
check "a loaded model holds its weights once: peak memory within 15% of the model built in memory" weights_resident_once
check "converted CSN and EPIC SlowFast folders classify a real video; bench --profile times a CSN's layers" cnn_models_classify
check "render_actions.py renders fixed seeds byte for byte as recorded (training frames, raw video frames, preview)" renders_as_recorded
check "the demo model names the verb and noun of each of the 8 shipped examples" demo_examples_recognised
check "the demo model keeps its level (verb >= 90%, noun >= 90%) on 48 fresh renders, at bf16 and int8 within 2 points of fp32" demo_fresh_renders_recognised
check "server: one log line per request, load against a small queue, draining on SIGTERM, the exit timeout" server_load_and_drain
check "a server killed with SIGKILL leaves its uploads; the next one removes them and says so" stale_uploads_removed
check "classify --window prints a timeline's runs, and every window with --json" timeline_prints_runs
check "the default model is found from any folder; a missing file is FILE_NOT_FOUND, exit 2" default_model_and_missing_files
check "the page at / in headless Chromium: upload through the form, bars, per-view grid, error, timeline strip" page_in_a_browser
check "tritonclient uses the KServe v2 routes; openapi-spec-validator accepts /openapi.json; prometheus_client parses /metrics" clients_nobody_here_wrote
check "--log-format json writes one object per line, the request's with client, query, id and numbers" json_logs

echo "cli-checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
