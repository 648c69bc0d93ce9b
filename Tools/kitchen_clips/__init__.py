"""Synthetic kitchen action clips: a hand acting on a kitchen object on a counter (Tools/render_actions.py).

    labels       the verbs and nouns, with their EPIC-KITCHENS-100 class ids
    colour       HSV colours
    primitives   signed-distance shapes drawn anti-aliased onto a frame, and the view (pixel grid) they draw on
    nouns        one builder per noun, in a table
    hand         the hand, forearm and sleeve
    background   counter surfaces and the wall behind them
    camera       camera shake, lighting and sensor noise
    keyframes    tracks keyed per phase of an action, eased between keys
    verbs        one function per verb, in a table: each keys the tracks of its action
    clip         everything about one clip, drawn from its seed
    scene        a clip's frames: background, distractors, the object, the pour stream, the hand
    sets         clip seeds and actions of a set, training crops, encoded videos
    preview      a contact sheet of a few clips
    font, png    its lettering and file format
    cli          the command line (Tools/render_actions.py runs it)
"""

import os

# One BLAS thread per process: the commands run clips in parallel worker processes instead. Set here, before
# any module of the package imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
