"""An action's script: named tracks keyed at the ends of its phases, over the action's progress in [0, 1]."""

import numpy as np


class Script:
    """Tracks (the object's position, tilt, lid, hand ...) with a value at the start and at the end of every
    phase; a track a phase does not key holds its value. Between keys a track eases (smoothstep), each phase
    taking its share of the action's time in proportion to its duration."""

    def __init__(self, **start):
        self.keys = {name: [float(value)] for name, value in start.items()}
        self.durations = []

    def start(self, **values):
        """Changes tracks' values at the start of the action."""
        for name, value in values.items():
            self.keys[name][0] = float(value)

    def phase(self, duration, **values):
        """Appends a phase ending with `values`; returns its index."""
        self.durations.append(float(duration))
        for name, keys in self.keys.items():
            keys.append(float(values[name]) if name in values else keys[-1])
        return len(self.durations) - 1

    def bounds(self):
        """Start of every phase and the end of the last, as progress."""
        b = np.concatenate([[0.0], np.cumsum(self.durations)])
        return b / b[-1]

    def evaluate(self, progress):
        """Every track's value at each progress (clipped to [0, 1]), as {name: array}."""
        b = self.bounds()
        u = np.clip(np.asarray(progress, np.float64), 0, 1)
        p = np.clip(np.searchsorted(b, u, side="right") - 1, 0, len(self.durations) - 1)
        s = (u - b[p]) / np.maximum(b[p + 1] - b[p], 1e-9)
        s = np.clip(s, 0, 1)
        s = s * s * (3 - 2 * s)
        values = {}
        for name, keys in self.keys.items():
            keys = np.asarray(keys)
            values[name] = keys[p] + (keys[p + 1] - keys[p]) * s
        return values
