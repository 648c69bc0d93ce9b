#!/usr/bin/env python3
"""Checks that Tools/render_actions.py renders fixed seeds byte for byte as recorded in render_checks.sha256.

    python3 Tests/render_checks.py            compare (exit 1 naming each output that differs)
    python3 Tests/render_checks.py --update   rewrite render_checks.sha256 from the current renderer

Every command the repository's callers use, at small sizes (a few seconds on one core): `frames` for the 64
actions of seed 1000's first block (every verb with every noun; among them hinged and screw lids, pours into a
container, onto the counter and of grains), as Tools/make_demo.sh renders training frames (--stride) and with
--exact; `videos` (as Tools/evaluate_demo.py and make_demo.sh call it) with a stand-in ffmpeg that keeps the raw
RGB frames it is piped, since encoders need not be deterministic (VP9's realtime mode is not); and `preview`.

The hashes were recorded with Debian's python3-numpy (what `make deps` installs) on OpenBLAS's kernel for the
recording CPU; another numpy, or another OpenBLAS kernel (chosen by CPU model), may round a pixel differently, so
the comparison runs only where both are the recorded ones (the file's first line) and says so when it does not.
Update them only with a change meant to alter the renders, and say so in its commit: the demo model was trained
on these renders, and its test sets are rendered fresh.
"""

import hashlib
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HASHES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "render_checks.sha256")

EXAMPLE_ACTIONS = "take:cup,put:pan,open:jar,close:box,pour:kettle,move:bowl,shake:bottle,turn:pot"
COMMANDS = {
    "all_actions": ["frames", "--count", "64", "--seed", "1000", "--size", "48", "--frames", "8", "--workers", "2",
                    "--quiet"],
    "demo_training": ["frames", "--count", "8", "--seed", "1000", "--start", "16384", "--size", "54", "--frames", "16",
                      "--stride", "8", "--workers", "1", "--quiet"],
    "exact": ["frames", "--count", "2", "--seed", "2000", "--size", "32", "--frames", "4", "--exact", "--workers", "1",
              "--quiet"],
    "videos": ["videos", "--count", "2", "--seed", "3001", "--size", "160x120", "--duration", "1", "--workers", "1",
               "--quiet"],
    "examples": ["videos", "--count", "2", "--seed", "4000", "--start", "3", "--size", "160x120", "--duration", "1",
                 "--compact", "--actions", EXAMPLE_ACTIONS, "--workers", "1", "--quiet"],
    "preview.png": ["preview", "--seed", "9", "--actions", "pour:kettle,take:jar,close:box", "--columns", "3",
                    "--size", "48", "--full"],
}
# Keeps the raw frames piped to it at the output path (its last argument).
STAND_IN_FFMPEG = '#!/bin/sh\nfor last; do :; done\ncat > "$last"\n'


def render(scratch):
    """Runs every command into scratch; returns {output path relative to scratch: SHA-256}."""
    bin_dir = os.path.join(scratch, "bin")
    os.makedirs(bin_dir)
    with open(os.path.join(bin_dir, "ffmpeg"), "w") as f:
        f.write(STAND_IN_FFMPEG)
    os.chmod(os.path.join(bin_dir, "ffmpeg"), 0o755)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    script = os.path.join(ROOT, "Tools", "render_actions.py")
    for name, args in COMMANDS.items():
        subprocess.run([sys.executable, script, *args, "--out", os.path.join(scratch, name)], env=env, check=True)
    hashes = {}
    for folder, _, files in os.walk(scratch):
        for file in files:
            path = os.path.join(folder, file)
            if os.path.dirname(path) != bin_dir:
                with open(path, "rb") as f:
                    hashes[os.path.relpath(path, scratch)] = hashlib.sha256(f.read()).hexdigest()
    return hashes


def arithmetic():
    """What the renders' rounding depends on: numpy's version and the kernel OpenBLAS picked for this CPU."""
    import ctypes
    import numpy
    core = "unknown BLAS"
    with open("/proc/self/maps") as maps:
        library = next((line.split()[-1] for line in maps if "libopenblas" in line), None)
    if library:
        corename = ctypes.CDLL(library).openblas_get_corename
        corename.restype = ctypes.c_char_p
        core = "OpenBLAS " + corename().decode()
    return f"numpy {numpy.__version__}, {core}"


def main():
    environment = arithmetic()
    if sys.argv[1:] == ["--update"]:
        with tempfile.TemporaryDirectory() as scratch:
            hashes = render(scratch)
        with open(HASHES, "w") as f:
            f.write(f"# {environment}\n")
            f.writelines(f"{digest}  {path}\n" for path, digest in sorted(hashes.items()))
        print(f"wrote {len(hashes)} hashes to {HASHES}")
        return
    with open(HASHES) as f:
        recorded, lines = f.readline()[2:].strip(), f.readlines()
    if recorded != environment:
        print(f"skipped: the hashes were recorded with {recorded}; this machine has {environment}")
        return
    with tempfile.TemporaryDirectory() as scratch:
        hashes = render(scratch)
    expected = dict(reversed(line.split()) for line in lines if line.strip())
    differing = sorted(path for path in expected.keys() | hashes.keys() if expected.get(path) != hashes.get(path))
    for path in differing:
        print(f"{path}: expected {expected.get(path, 'nothing')}, rendered {hashes.get(path, 'nothing')}")
    if differing:
        sys.exit(1)
    print(f"{len(hashes)} outputs as recorded")


if __name__ == "__main__":
    main()
