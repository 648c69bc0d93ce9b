#!/usr/bin/env python3
"""Makes the TimeSformer parity fixtures in Tests/Fixtures/timesformer/ (run through Tools/make_fixtures.py timesformer).

Sizes deliberately not the published defaults: hidden 48, 4 heads of 12, MLP 72, 2 layers, image 32, patch 8,
4 frames, 6 classes, LayerNorm eps 1e-6, exact (erf) GELU, divided space-time attention. Every tensor is drawn
here (LayerNorm weights around 1, every bias and the cls, position and time embeddings non-zero) so that a
misplaced norm, bias or embedding changes the logits.

  timesformer/checkpoint/     transformers save_pretrained of the random TimesformerForVideoClassification
  timesformer/hf4_config.json that folder's config.json as transformers 4 writes it (checked against 4.46.3's
                              save_pretrained: the keys differ only in torch_dtype for 5's dtype)
  timesformer/io.safetensors  clips (2, 3, 4, 32, 32) float32 (N, C, T, H, W), the transformers logits (2, 6) and
                              hidden_states.0-2 (2, 65, 48), transformers' output_hidden_states (the embeddings,
                              then each layer's output before the final LayerNorm), all computed in float64

The forward is also written out below from MODELS.md §2 and checked against transformers state by state, so the
token order and the cls handling stated there are the reference's. Finally the checkpoint is converted with
Tools/convert.py, from the transformers 5 and the transformers 4 config.json, and the outputs checked.
"""

import json
import os
import re
import shutil
import tempfile

import numpy as np
import torch

from make_fixtures import FIXTURES, ROOT, check, run_converter
import safetensors_io

WIDTH, HEADS, MLP, LAYERS = 48, 4, 72, 2
IMAGE, PATCH, FRAMES, CLASSES = 32, 8, 4, 6
EPS = 1e-6
PATCHES = (IMAGE // PATCH) ** 2  # 16 per frame; 1 + 16 * 4 = 65 tokens

# Standard deviations of the random tensors by name: large enough that logits are O(1) and differ by class.
# LayerNorm weights are drawn around 1 (see random_weights).
SCALES = [
    (r"embeddings\.(cls_token|position_embeddings|time_embeddings)$", 0.5),
    (r"patch_embeddings\.projection\.weight$", 0.07),
    (r"(layernorm|layernorm_before|layernorm_after|temporal_layernorm)\.weight$", 0.2),
    (r"\.bias$", 0.1),
    (r"\.qkv\.weight$", 0.2),
    (r"\.intermediate\.dense\.weight$", 0.2),
    (r"classifier\.weight$", 0.3),
    (r"\.weight$", 0.15),  # attention and temporal output projections, temporal_dense, output.dense
]


def hf_config():
    from transformers import TimesformerConfig

    return TimesformerConfig(
        image_size=IMAGE, patch_size=PATCH, num_channels=3, num_frames=FRAMES, hidden_size=WIDTH, num_hidden_layers=LAYERS,
        num_attention_heads=HEADS, intermediate_size=MLP, hidden_act="gelu", hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0, layer_norm_eps=EPS, qkv_bias=True, attention_type="divided_space_time",
        num_labels=CLASSES,
    )


def random_weights(names_and_shapes, seed):
    """float32 arrays for every parameter, drawn in name order from one numpy generator (torch's init is not used)."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in sorted(names_and_shapes.items()):
        std = next(scale for pattern, scale in SCALES if re.search(pattern, name))
        mean = 1.0 if re.search(r"(layernorm\w*)\.weight$", name) else 0.0
        weights[name] = (mean + std * rng.standard_normal(shape)).astype(np.float32)
    return weights


# ---------------------------------------------------------------------------------------------------------
# The forward of MODELS.md §2 in float64, from the checkpoint's tensors


def layer_norm(x, w, prefix):
    return torch.nn.functional.layer_norm(x, x.shape[-1:], w[f"{prefix}.weight"], w[f"{prefix}.bias"], eps=EPS)


def linear(x, w, prefix):
    return torch.nn.functional.linear(x, w[f"{prefix}.weight"], w[f"{prefix}.bias"])


def attention(x, w, prefix):
    """(B, L, D) -> (B, L, D): the fused qkv projection's rows are [q | k | v], each head-major."""
    batch, length, width = x.shape
    qkv = linear(x, w, f"{prefix}.attention.qkv").reshape(batch, length, 3, HEADS, width // HEADS).permute(2, 0, 3, 1, 4)
    scores = (qkv[0] @ qkv[1].transpose(-2, -1)) * (width // HEADS) ** -0.5
    context = (scores.softmax(-1) @ qkv[2]).transpose(1, 2).reshape(batch, length, width)
    return linear(context, w, f"{prefix}.output.dense")


def reference_forward(clips, w):
    """clips (N, C, T, H, W) -> (hidden states after the embeddings and after each layer (N, 1 + P*T, D), logits).
    Tokens: [cls, p0t0, p0t1, ..., p0t(T-1), p1t0, ...] (patch-major, frame-minor)."""
    n, _, t, h, _ = clips.shape
    grid = h // PATCH
    p = grid * grid
    frames = clips.permute(0, 2, 1, 3, 4).reshape(n * t, 3, h, h)
    e = torch.nn.functional.conv2d(frames, w["timesformer.embeddings.patch_embeddings.projection.weight"],
                                   w["timesformer.embeddings.patch_embeddings.projection.bias"], stride=PATCH)
    e = e.flatten(2).transpose(1, 2)                                   # (N*T, P, D), patch = row * grid + column
    position = w["timesformer.embeddings.position_embeddings"]         # (1, 1 + P, D): cls, then the patches
    e = e + position[:, 1:]
    e = e.reshape(n, t, p, WIDTH).permute(0, 2, 1, 3) + w["timesformer.embeddings.time_embeddings"][0]  # (N, P, T, D)
    cls = (w["timesformer.embeddings.cls_token"] + position[:, :1]).expand(n, 1, WIDTH)  # no time embedding
    x = torch.cat((cls, e.reshape(n, p * t, WIDTH)), 1)
    states = [x]
    for layer in range(LAYERS):
        prefix = f"timesformer.encoder.layer.{layer}"
        patches = x[:, 1:]                                             # (N, P*T, D); the cls token sits out
        r = attention(layer_norm(patches.reshape(n * p, t, WIDTH), w, f"{prefix}.temporal_layernorm"), w, f"{prefix}.temporal_attention")
        xt = patches + linear(r.reshape(n, p * t, WIDTH), w, f"{prefix}.temporal_dense")
        xs = xt.reshape(n, p, t, WIDTH).permute(0, 2, 1, 3).reshape(n * t, p, WIDTH)
        cls = x[:, :1]                                                 # the layer input's cls, one copy per frame
        s = attention(layer_norm(torch.cat((cls.repeat_interleave(t, 0), xs), 1), w, f"{prefix}.layernorm_before"), w, f"{prefix}.attention")
        cls_residual = s[:, 0].reshape(n, t, WIDTH).mean(1, keepdim=True)
        patch_residual = s[:, 1:].reshape(n, t, p, WIDTH).permute(0, 2, 1, 3).reshape(n, p * t, WIDTH)
        x = torch.cat((cls + cls_residual, xt + patch_residual), 1)
        hidden = linear(layer_norm(x, w, f"{prefix}.layernorm_after"), w, f"{prefix}.intermediate.dense")
        x = x + linear(torch.nn.functional.gelu(hidden), w, f"{prefix}.output.dense")  # exact (erf) GELU
        states.append(x)
    logits = linear(layer_norm(x[:, 0], w, "timesformer.layernorm"), w, "classifier")
    return states, logits


# ---------------------------------------------------------------------------------------------------------


def make_timesformer_fixtures():
    from transformers import TimesformerForVideoClassification

    folder = os.path.join(FIXTURES, "timesformer")
    checkpoint = os.path.join(folder, "checkpoint")
    shutil.rmtree(checkpoint, ignore_errors=True)
    os.makedirs(checkpoint)

    model = TimesformerForVideoClassification(hf_config()).float().eval()
    weights = random_weights({name: tuple(value.shape) for name, value in model.state_dict().items()}, seed=31)
    model.load_state_dict({name: torch.from_numpy(value) for name, value in weights.items()}, strict=True)
    model.save_pretrained(checkpoint, safe_serialization=True)
    for entry in os.listdir(checkpoint):
        if entry not in ("config.json", "model.safetensors"):
            path = os.path.join(checkpoint, entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    saved, _ = safetensors_io.read(os.path.join(checkpoint, "model.safetensors"))
    header, _, _ = safetensors_io.read_header(os.path.join(checkpoint, "model.safetensors"))
    stored = {entry["dtype"] for entry in header.values()}
    check(sorted(saved) == sorted(weights) and all(np.array_equal(saved[k], weights[k]) for k in weights) and stored == {"F32"},
          f"timesformer/checkpoint holds exactly the {len(weights)} generated float32 tensors under the transformers names")

    # transformers 4.46.3 writes the same config.json but for "torch_dtype" in place of 5's "dtype" (and its version).
    with open(os.path.join(checkpoint, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    hf4 = {("torch_dtype" if key == "dtype" else key): value for key, value in config.items()}
    hf4["transformers_version"] = "4.46.3"
    with open(os.path.join(folder, "hf4_config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(hf4, indent=2, sort_keys=True) + "\n")

    clips = np.random.default_rng(32).standard_normal((2, 3, FRAMES, IMAGE, IMAGE)).astype(np.float32)
    model = model.double()
    x = torch.from_numpy(clips.astype(np.float64))
    with torch.no_grad():
        output = model(pixel_values=x.permute(0, 2, 1, 3, 4), output_hidden_states=True)  # transformers takes (N, T, C, H, W)
        states, logits = reference_forward(x, {k: torch.from_numpy(v.astype(np.float64)) for k, v in weights.items()})
    check(len(output.hidden_states) == LAYERS + 1, f"{len(output.hidden_states)} hidden states (embeddings + {LAYERS} layers)")
    for index, (mine, theirs) in enumerate(zip(states, output.hidden_states)):
        diff = (mine - theirs).abs().max().item()
        check(diff < 1e-10, f"hidden state {index} {tuple(theirs.shape)} of the MODELS.md §2 forward == transformers: max |Δ| {diff:.2e}")
    diff = (logits - output.logits).abs().max().item()
    check(diff < 1e-10, f"logits of the MODELS.md §2 forward == TimesformerForVideoClassification (float64): max |Δ| {diff:.2e}")

    reference = output.logits.numpy()
    tensors = {"clips": clips, "logits": reference.astype(np.float32)}
    tensors.update({f"hidden_states.{i}": state.numpy().astype(np.float32) for i, state in enumerate(output.hidden_states)})
    safetensors_io.write(os.path.join(folder, "io.safetensors"), tensors,
                         metadata={"made_by": "Tools/timesformer_fixtures.py", "reference": "transformers TimesformerForVideoClassification, float64",
                                   "clips_layout": "N,C,T,H,W", "token_order": "cls, then patch-major frame-minor (1 + p*T + t)",
                                   "hidden_states": "0: embeddings; i: after encoder.layer.(i-1), before timesformer.layernorm"})
    check_converter(folder, saved)

    spread = reference.max(1) - reference.min(1)
    print(f"  timesformer logits {reference.shape}: max |logit| {np.abs(reference).max():.3f}, "
          f"per-row range {', '.join(f'{s:.3f}' for s in spread)}, argmax {reference.argmax(1).tolist()}")
    total = 0
    for directory, _, files in sorted(os.walk(folder)):
        for file in sorted(files):
            size = os.path.getsize(os.path.join(directory, file))
            total += size
            print(f"  {os.path.relpath(os.path.join(directory, file), ROOT):55s} {size:>9,d} bytes")
    print(f"  {'total':55s} {total:>9,d} bytes")


def check_converter(folder, saved):
    with tempfile.TemporaryDirectory() as scratch:
        out5, out4, hf4_folder = (os.path.join(scratch, name) for name in ("out5", "out4", "hf4"))
        os.makedirs(hf4_folder)
        shutil.copy(os.path.join(folder, "hf4_config.json"), os.path.join(hf4_folder, "config.json"))
        shutil.copy(os.path.join(folder, "checkpoint", "model.safetensors"), hf4_folder)
        python = run_converter(["hf-timesformer", os.path.join(folder, "checkpoint"), out5])
        run_converter(["hf-timesformer", hf4_folder, out4])
        print(f"  (converter run by {python})")

        converted, _ = safetensors_io.read(os.path.join(out5, "model.safetensors"))
        check(sorted(converted) == sorted(saved) and all(np.array_equal(converted[k], saved[k]) for k in saved),
              f"hf-timesformer output == the transformers checkpoint ({len(saved)} tensors, names kept)")
        c5, c4 = (json.load(open(os.path.join(x, "config.json"))) for x in (out5, out4))
        model = {"hidden_size": WIDTH, "num_layers": LAYERS, "num_heads": HEADS, "mlp_dim": MLP, "patch_size": PATCH,
                 "num_frames": FRAMES, "image_size": IMAGE, "layer_norm_eps": EPS, "gelu": "erf", "attention_type": "divided_space_time"}
        check(c5["architecture"] == "timesformer" and list(c5["model"].items()) == list(model.items())
              and c5["heads"] == [{"name": "label", "classes": CLASSES, "labels": None}] and c5["head_layout"] == "single",
              "hf-timesformer config.json: architecture, model (keys in order), one head 'label'")
        # 4 frames: no published config, so the 256-frame span of the 8x32 and 16x16 configs.
        preprocessing = {"frames_per_clip": FRAMES, "stride": 64, "short_side": IMAGE, "crop_size": IMAGE,
                         "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "temporal_views": 1, "spatial_crops": 3}
        check(c5["preprocessing"] == preprocessing and c5["aggregation"] == "per_view",
              "preprocessing defaults (short side = crop = image size, mean = std = 0.5, 1x3 views)")
        check({k: v for k, v in c4.items() if k != "name"} == {k: v for k, v in c5.items() if k != "name"},
              "the transformers 4 config.json converts to the same config.json")
