#!/usr/bin/env python3
"""Render synthetic kitchen action clips: `render_actions.py frames|videos|preview ...` (--help for the commands).

The renderer is the kitchen_clips package beside this file; its command line is documented in kitchen_clips/cli.py.
"""

from kitchen_clips.cli import main
from kitchen_clips.labels import NOUNS, VERBS

__all__ = ["NOUNS", "VERBS"]  # Tools/train_demo.py imports the labels from here

if __name__ == "__main__":
    main()
