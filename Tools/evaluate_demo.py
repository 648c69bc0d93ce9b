#!/usr/bin/env python3
"""Measures a verb/noun model on rendered videos through the real Vivid path (decode, sample, forward).

    python3 Tools/evaluate_demo.py --vivid .build/release/vivid --model Models/demo --videos DIR
    python3 Tools/evaluate_demo.py --vivid ... --model ... --render COUNT --seed S [--min-verb 0.9 --min-noun 0.9]

    python3 Tools/evaluate_demo.py ... --precision fp32 --precision int8 --max-drop 0.02

DIR holds encoded videos and labels.csv as `Tools/render_actions.py videos` writes them; with --render the
script renders COUNT fresh videos with base seed S into a temporary folder first. `vivid classify --json` runs
once over all videos (once per --precision, on the same videos); the script prints top-1 verb, noun and action
accuracy (and per-verb verb accuracy) as JSON, and exits 1 when an accuracy is below its --min-* threshold or,
with --max-drop, when a later precision's verb or noun accuracy is more than that below the first's. A precision
the CPU cannot run (vivid exits 2) is reported as skipped. Needs python3 and the ffmpeg CLI only.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vivid", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--videos")
    parser.add_argument("--render", type=int, help="render this many fresh videos instead of --videos")
    parser.add_argument("--seed", type=int, help="base seed for --render (test range 3000-3999)")
    parser.add_argument("--min-verb", type=float, default=0)
    parser.add_argument("--min-noun", type=float, default=0)
    parser.add_argument("--min-action", type=float, default=0)
    parser.add_argument("--precision", action="append", help="run at this precision (repeatable; default: the model's)")
    parser.add_argument("--max-drop", type=float, help="largest verb or noun accuracy drop from the first --precision")
    args = parser.parse_args()
    precisions = args.precision or [None]

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.videos
        if args.render:
            folder = os.path.join(scratch, "videos")
            subprocess.run([sys.executable, os.path.join(HERE, "render_actions.py"), "videos", "--count", str(args.render),
                            "--seed", str(args.seed), "--out", folder, "--quiet"], check=True)
        with open(os.path.join(folder, "labels.csv")) as handle:
            rows = list(csv.DictReader(handle))
        files = [os.path.join(folder, row["file"]) for row in rows]
        reports = {}
        for precision in precisions:
            flags = ["--precision", precision] if precision else []
            result = subprocess.run([args.vivid, "classify", "--model", args.model, "--json", "--top-k", "1", *flags, *files],
                                    capture_output=True, text=True)
            if result.returncode == 2 and precision:
                reports[precision] = {"skipped": result.stderr.strip()}
                continue
            if result.returncode != 0:
                sys.exit(f"vivid classify failed ({result.returncode}): {result.stderr.strip()}")
            answers = json.loads(result.stdout)
            reports[precision or "model"] = measure(rows, answers if isinstance(answers, list) else [answers])

    print(json.dumps(reports if args.precision else reports["model"], indent=1))
    failed = []
    for name, report in reports.items():
        if "skipped" in report:
            continue
        failed += [f"{name} {head}" for head, least in (("verb", args.min_verb), ("noun", args.min_noun), ("action", args.min_action))
                   if report[f"{head}_top1"] < least]
    first = reports[precisions[0] or "model"]
    if args.max_drop is not None and "skipped" not in first:
        for name, report in reports.items():
            failed += [f"{name} {head} drop" for head in ("verb", "noun")
                       if "skipped" not in report and first[f"{head}_top1"] - report[f"{head}_top1"] > args.max_drop]
    if failed:
        print(f"below threshold: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


def measure(rows, answers):
    """Top-1 accuracies of `answers` (vivid classify --json, one per row) against the rows' labels."""
    hits = {"verb": 0, "noun": 0, "action": 0}
    per_verb = {}
    for row, answer in zip(rows, answers):
        aggregate = answer["aggregate"]
        verb_ok = aggregate["verb"][0]["label"] == row["verb"]
        noun_ok = aggregate["noun"][0]["label"] == row["noun"]
        action_ok = aggregate["action"][0]["label"] == f"{row['verb']} {row['noun']}"
        hits["verb"] += verb_ok
        hits["noun"] += noun_ok
        hits["action"] += action_ok
        seen, right = per_verb.get(row["verb"], (0, 0))
        per_verb[row["verb"]] = (seen + 1, right + verb_ok)
    count = len(rows)
    return {"videos": count, **{f"{k}_top1": round(v / count, 4) for k, v in hits.items()},
            "verb_top1_by_verb": {verb: round(right / seen, 3) for verb, (seen, right) in sorted(per_verb.items())}}


if __name__ == "__main__":
    main()
