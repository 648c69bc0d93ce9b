#!/usr/bin/env python3
"""Trains Vivid's demo model: a small ViViT factorised encoder with a verb head and a noun head on rendered
kitchen actions (Tools/render_actions.py), and exports it as the model folder Models/demo.

    PYTHON Tools/train_demo.py --train DIR [--train DIR…] --val DIR --stride K --out Models/demo [--minutes 50]

PYTHON: a venv with torch (and numpy). The parameters are held under Scenic's own names and Flax shapes
(`SpatialTransformer/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel` (D, H, dh), …), exactly the
layout Vivid's Swift `FactorisedEncoderViViT` loads, so export is a plain write of the dictionary.

Input: DIR/frames.npy uint8 (N, T, S, S, 3) and DIR/labels.csv from `render_actions.py frames`. Each step
takes a random CROP×CROP window of the S×S frames (the server's crops come from a short side of S), flips
left–right at random, jitters brightness and contrast, and normalises x / 127.5 − 1 (mean = std = 0.5).
"""

import argparse
import csv
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from render_actions import NOUNS, VERBS  # noqa: E402

# The demo model's sizes (config.json "model").
WIDTH, HEADS, MLP = 128, 4, 256
SPATIAL_LAYERS, TEMPORAL_LAYERS = 3, 2
PATCH = 8
EPS = 1e-6


def block_shapes(prefix):
    d, h, k = WIDTH, HEADS, WIDTH // HEADS
    shapes = {f"{prefix}/LayerNorm_0/scale": (d,), f"{prefix}/LayerNorm_0/bias": (d,),
              f"{prefix}/LayerNorm_1/scale": (d,), f"{prefix}/LayerNorm_1/bias": (d,),
              f"{prefix}/MlpBlock_0/Dense_0/kernel": (d, MLP), f"{prefix}/MlpBlock_0/Dense_0/bias": (MLP,),
              f"{prefix}/MlpBlock_0/Dense_1/kernel": (MLP, d), f"{prefix}/MlpBlock_0/Dense_1/bias": (d,),
              f"{prefix}/MultiHeadDotProductAttention_0/out/kernel": (h, k, d),
              f"{prefix}/MultiHeadDotProductAttention_0/out/bias": (d,)}
    for name in ("query", "key", "value"):
        shapes[f"{prefix}/MultiHeadDotProductAttention_0/{name}/kernel"] = (d, h, k)
        shapes[f"{prefix}/MultiHeadDotProductAttention_0/{name}/bias"] = (h, k)
    return shapes


def parameter_shapes(frames, size, tubelet):
    """Every tensor of the model by its Scenic name, with its Flax shape."""
    steps, patches = frames // tubelet[0], (size // tubelet[1]) * (size // tubelet[2])
    shapes = {"embedding/kernel": (*tubelet, 3, WIDTH), "embedding/bias": (WIDTH,),
              "cls_SpatialTransformer": (1, 1, WIDTH), "cls_TemporalTransformer": (1, 1, WIDTH),
              "SpatialTransformer/posembed_input/pos_embedding": (1, patches + 1, WIDTH),
              "TemporalTransformer/posembed_input/pos_embedding": (1, steps + 1, WIDTH),
              "output_projection_verb/kernel": (WIDTH, len(VERBS)), "output_projection_verb/bias": (len(VERBS),),
              "output_projection_noun/kernel": (WIDTH, len(NOUNS)), "output_projection_noun/bias": (len(NOUNS),)}
    for encoder, layers in (("SpatialTransformer", SPATIAL_LAYERS), ("TemporalTransformer", TEMPORAL_LAYERS)):
        shapes[f"{encoder}/encoder_norm/scale"] = (WIDTH,)
        shapes[f"{encoder}/encoder_norm/bias"] = (WIDTH,)
        for i in range(layers):
            shapes.update(block_shapes(f"{encoder}/encoderblock_{i}"))
    return shapes


class DemoViViT(torch.nn.Module):
    """The factorised encoder of MODELS.md §1.2 on Scenic-named parameters (tanh GELU, LN eps 1e-6)."""

    def __init__(self, frames, size, tubelet, position_scale=(0.02, 0.02)):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.tubelet = tubelet
        shapes = parameter_shapes(frames, size, tubelet)
        self.names = sorted(shapes)
        self.params = torch.nn.ParameterList()
        for name in self.names:
            shape = shapes[name]
            if name.endswith("scale"):
                value = torch.ones(shape)
            elif name.endswith("bias"):
                value = torch.zeros(shape)
            else:
                value = torch.randn(shape, generator=generator) * 0.02
                # Position embeddings start as large as the tokens they are added to (patch projections
                # are ~0.2, the spatial encoder's normalised outputs ~1), so that where and when are
                # visible from the first step; at ViT's 0.02 the model long ignored them.
                if name.startswith("SpatialTransformer/posembed"):
                    value *= position_scale[0] / 0.02
                elif name.startswith("TemporalTransformer/posembed"):
                    value *= position_scale[1] / 0.02
            self.params.append(torch.nn.Parameter(value))
        self.index = {name: i for i, name in enumerate(self.names)}

    def p(self, name):
        return self.params[self.index[name]]

    def layer_norm(self, x, prefix):
        return F.layer_norm(x, (WIDTH,), self.p(f"{prefix}/scale"), self.p(f"{prefix}/bias"), EPS)

    def block(self, x, prefix):
        # Written as fused matrix products with their biases (addmm on flattened tokens): the same function
        # as the per-head einsums of the Flax layout, 10-15% faster per training step on 2 CPU cores.
        a, m = f"{prefix}/MultiHeadDotProductAttention_0", f"{prefix}/MlpBlock_0"
        batch, length, _ = x.shape
        y = self.layer_norm(x, f"{prefix}/LayerNorm_0").reshape(-1, WIDTH)
        kernel = torch.cat([self.p(f"{a}/{n}/kernel").reshape(WIDTH, WIDTH) for n in ("query", "key", "value")], 1)
        bias = torch.cat([self.p(f"{a}/{n}/bias").reshape(WIDTH) for n in ("query", "key", "value")])
        q, k, v = torch.addmm(bias, y, kernel).view(batch, length, 3, HEADS, WIDTH // HEADS).permute(2, 0, 3, 1, 4)
        heads = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(-1, WIDTH)  # (B·L, H·dh)
        x = x + torch.addmm(self.p(f"{a}/out/bias"), heads, self.p(f"{a}/out/kernel").reshape(WIDTH, WIDTH)).view(x.shape)
        y = self.layer_norm(x, f"{prefix}/LayerNorm_1").reshape(-1, WIDTH)
        y = F.gelu(torch.addmm(self.p(f"{m}/Dense_0/bias"), y, self.p(f"{m}/Dense_0/kernel")), approximate="tanh")
        return x + torch.addmm(self.p(f"{m}/Dense_1/bias"), y, self.p(f"{m}/Dense_1/kernel")).view(x.shape)

    def encoder(self, x, name, layers):
        x = x + self.p(f"{name}/posembed_input/pos_embedding")
        for i in range(layers):
            x = self.block(x, f"{name}/encoderblock_{i}")
        return self.layer_norm(x, f"{name}/encoder_norm")

    def forward(self, clips):
        """clips (B, 3, T, H, W) → (verb logits, noun logits)."""
        b = clips.shape[0]
        kernel = self.p("embedding/kernel").permute(4, 3, 0, 1, 2)               # (D, C, t, h, w)
        tokens = F.conv3d(clips, kernel, self.p("embedding/bias"), stride=self.tubelet)  # (B, D, nt, gh, gw)
        nt = tokens.shape[2]
        frames = tokens.permute(0, 2, 3, 4, 1).reshape(b * nt, -1, WIDTH)
        cls = self.p("cls_SpatialTransformer").expand(b * nt, 1, WIDTH)
        spatial = self.encoder(torch.cat([cls, frames], 1), "SpatialTransformer", SPATIAL_LAYERS)
        steps = spatial[:, 0].reshape(b, nt, WIDTH)
        cls = self.p("cls_TemporalTransformer").expand(b, 1, WIDTH)
        video = self.encoder(torch.cat([cls, steps], 1), "TemporalTransformer", TEMPORAL_LAYERS)[:, 0]
        verb = video @ self.p("output_projection_verb/kernel") + self.p("output_projection_verb/bias")
        noun = video @ self.p("output_projection_noun/kernel") + self.p("output_projection_noun/bias")
        return verb, noun

    def state(self):
        return {name: self.p(name).detach().numpy().astype(np.float32) for name in self.names}


class Frames:
    """Several `frames.npy` files (memory-mapped) read as one sequence of clips."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.starts = np.cumsum([0] + [len(a) for a in arrays])
        self.shape = (int(self.starts[-1]), *arrays[0].shape[1:])

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, indices):
        part = np.searchsorted(self.starts, indices, side="right") - 1
        return np.stack([self.arrays[p][i - self.starts[p]] for p, i in zip(part, indices)])


def load_sets(folders):
    sets = [load_set(folder) for folder in folders]
    return Frames([s[0] for s in sets]), np.concatenate([s[1] for s in sets]), np.concatenate([s[2] for s in sets])


def load_set(folder):
    frames = np.load(os.path.join(folder, "frames.npy"), mmap_mode="r")
    with open(os.path.join(folder, "labels.csv")) as handle:
        rows = list(csv.DictReader(handle))
    verb_of = {epic: i for i, (epic, _) in enumerate(VERBS)}
    noun_of = {epic: i for i, (epic, _) in enumerate(NOUNS)}
    verbs = np.array([verb_of[int(r["verb_id"])] for r in rows])
    nouns = np.array([noun_of[int(r["noun_id"])] for r in rows])
    return frames, verbs, nouns


def batch_tensor(frames, indices, crop, rng, train):
    """uint8 (B, T, S, S, 3) → normalised float (B, 3, T, crop, crop): random (train) or centre crop."""
    clips = np.asarray(frames[np.sort(indices)])
    size = clips.shape[2]
    out = np.empty((len(indices), 3, clips.shape[1], crop, crop), np.float32)
    for i, clip in enumerate(clips):
        if train:
            y, x = rng.integers(0, size - crop + 1, 2)
        else:
            y = x = (size - crop + 1) // 2
        window = clip[:, y:y + crop, x:x + crop].astype(np.float32)
        if train:
            if rng.random() < 0.5:
                window = window[:, :, ::-1]
            window = (window - 128) * rng.uniform(0.8, 1.2) + 128 + rng.uniform(-20, 20)
        out[i] = np.clip(window, 0, 255).transpose(3, 0, 1, 2) / 127.5 - 1
    order = np.argsort(np.argsort(indices))  # frames were read in sorted order
    return torch.from_numpy(out[order])


def prefetched(loader, batches, load):
    """Yields (indices, load(indices)) for each batch, the next batch already loading on `loader`'s thread while
    this one trains (numpy and torch both release the GIL): 7% of a step at 48² on 2 cores."""
    pending = loader.submit(load, batches[0])
    for current, following in zip(batches, batches[1:] + [None]):
        clips = pending.result()
        if following is not None:
            pending = loader.submit(load, following)
        yield current, clips


def evaluate(model, frames, verbs, nouns, crop):
    model.eval()
    correct = np.zeros(3)
    with torch.no_grad():
        for start in range(0, len(verbs), 64):
            indices = np.arange(start, min(start + 64, len(verbs)))
            verb, noun = model(batch_tensor(frames, indices, crop, None, False))
            v, n = verb.argmax(1).numpy(), noun.argmax(1).numpy()
            correct += [(v == verbs[indices]).sum(), (n == nouns[indices]).sum(),
                        ((v == verbs[indices]) & (n == nouns[indices])).sum()]
    model.train()
    return correct / len(verbs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", required=True, action="append", help="a folder of training clips; repeat for more")
    parser.add_argument("--val", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--crop", type=int, default=40)
    parser.add_argument("--tubelet-frames", type=int, default=4, help="frames per tubelet (its patch is 8×8)")
    parser.add_argument("--stride", type=int, required=True, help="the stride the training frames were sampled at")
    parser.add_argument("--minutes", type=float, default=50)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--spatial-position-init", type=float, default=0.2, help="std of the spatial position embedding at start")
    parser.add_argument("--temporal-position-init", type=float, default=1.0, help="std of the temporal position embedding at start")
    parser.add_argument("--verb-weight", type=float, default=2.0, help="weight of the verb loss against the noun loss")
    parser.add_argument("--eval-every", type=int, default=250, help="validate every this many steps")
    parser.add_argument("--fixture", help="also write a parity fixture here: one input clip and the exported model's logits")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    frames, verbs, nouns = load_sets(args.train)
    val_frames, val_verbs, val_nouns = load_set(args.val)
    count, clip_frames, short_side = frames.shape[0], frames.shape[1], frames.shape[2]
    tubelet = (args.tubelet_frames, PATCH, PATCH)
    model = DemoViViT(clip_frames, args.crop, tubelet, (args.spatial_position_init, args.temporal_position_init))
    decay = [p for n, p in zip(model.names, model.params) if n.endswith("kernel")]
    rest = [p for n, p in zip(model.names, model.params) if not n.endswith("kernel")]
    optimiser = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": rest, "weight_decay": 0}], lr=args.lr)

    began, step, curve = time.time(), 0, []
    budget = args.minutes * 60
    warmup = 200
    print(f"training on {count} clips of {clip_frames} frames at {short_side}² (crop {args.crop}), "
          f"{sum(p.numel() for p in model.params)} parameters, {args.minutes} min", flush=True)
    loader = ThreadPoolExecutor(1)
    augment_rng = np.random.default_rng(1)
    while time.time() - began < budget:
        batches = np.array_split(rng.permutation(count), count // args.batch)
        for indices, clips in prefetched(loader, batches, lambda i: batch_tensor(frames, i, args.crop, augment_rng, True)):
            elapsed = time.time() - began
            if elapsed >= budget:
                break
            progress = elapsed / budget
            lr = args.lr * min(1, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * progress))
            for group in optimiser.param_groups:
                group["lr"] = lr
            verb, noun = model(clips)
            # Verbs need the temporal encoder and learn later than nouns, so their loss counts more.
            loss = args.verb_weight * F.cross_entropy(verb, torch.from_numpy(verbs[indices]), label_smoothing=0.1) \
                + F.cross_entropy(noun, torch.from_numpy(nouns[indices]), label_smoothing=0.1)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            step += 1
            if step % args.eval_every == 0:
                accuracy = evaluate(model, val_frames, val_verbs, val_nouns, args.crop)
                curve.append({"step": step, "minutes": round(elapsed / 60, 2), "loss": round(loss.item(), 4),
                              "val_verb": round(accuracy[0], 4), "val_noun": round(accuracy[1], 4), "val_action": round(accuracy[2], 4)})
                print(json.dumps(curve[-1]), flush=True)

    accuracy = evaluate(model, val_frames, val_verbs, val_nouns, args.crop)
    export(model, args, clip_frames, short_side, curve, accuracy, step, time.time() - began, count)


def export(model, args, frames, short_side, curve, accuracy, steps, seconds, count):
    os.makedirs(args.out, exist_ok=True)
    safetensors_io.write(os.path.join(args.out, "model.safetensors"), model.state(), {"format": "vivid-demo"})
    with open(os.path.join(args.out, "verbs.txt"), "w") as handle:
        handle.write("".join(f"{name}\n" for _, name in VERBS))
    with open(os.path.join(args.out, "nouns.txt"), "w") as handle:
        handle.write("".join(f"{name}\n" for _, name in NOUNS))
    config = {
        "name": "demo",
        "architecture": "vivit_factorised_encoder",
        "model": {"hidden_size": WIDTH, "spatial": {"num_layers": SPATIAL_LAYERS, "num_heads": HEADS, "mlp_dim": MLP},
                  "temporal": {"num_layers": TEMPORAL_LAYERS, "num_heads": HEADS, "mlp_dim": MLP},
                  "tubelet_size": list(model.tubelet), "num_frames": frames, "image_size": args.crop,
                  "layer_norm_eps": EPS, "gelu": "tanh"},
        "heads": [{"name": "verb", "classes": len(VERBS), "labels": "verbs.txt"},
                  {"name": "noun", "classes": len(NOUNS), "labels": "nouns.txt"}],
        "head_layout": "separate",
        "preprocessing": {"frames_per_clip": frames, "stride": args.stride, "short_side": short_side, "crop_size": args.crop,
                          "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "temporal_views": 4, "spatial_crops": 1},
        "aggregation": "per_view",
    }
    with open(os.path.join(args.out, "config.json"), "w") as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
    with open(os.path.join(args.out, "training.json"), "w") as handle:
        json.dump({"steps": steps, "minutes": round(seconds / 60, 1), "train_clips": count, "batch": args.batch,
                   "final_val": {"verb": accuracy[0], "noun": accuracy[1], "action": accuracy[2]}, "curve": curve}, handle, indent=1)
    if args.fixture:
        model.eval()
        clips = torch.from_numpy(np.random.default_rng(1).uniform(-1, 1, (1, 3, frames, args.crop, args.crop)).astype(np.float32))
        with torch.no_grad():
            verb, noun = model(clips)
        safetensors_io.write(args.fixture, {"clips": clips.numpy(), "verb": verb.numpy(), "noun": noun.numpy()})
    print(f"exported to {args.out}: val verb {accuracy[0]:.3f} noun {accuracy[1]:.3f} action {accuracy[2]:.3f}", flush=True)


if __name__ == "__main__":
    main()
