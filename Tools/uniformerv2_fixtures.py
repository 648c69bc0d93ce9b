#!/usr/bin/env python3
"""Makes the UniFormerV2 fixtures in Tests/Fixtures/uniformerv2/ (run through Tools/make_fixtures.py uniformerv2)
with MMAction2's own code: the UniFormerV2 module for the parity fixtures, UniformSample for the sampling one.

MMAction2 is not installed (mmcv and mmengine are large, and nothing else of them is needed): its two source files
are copied out of a checkout of open-mmlab/mmaction2 (the fixtures were made at 4d6c9347, with torch 2.13 CPU),
outside this repository:

    mkdir -p ~/.cache/vivid-mmaction2
    git -C MMACTION2_CHECKOUT archive 4d6c9347 mmaction/models/backbones/uniformerv2.py \\
        mmaction/datasets/transforms/loading.py | tar -x -C ~/.cache/vivid-mmaction2

VIVID_MMACTION2 overrides the folder. The shim: uniformerv2.py runs unchanged, loaded from that file after
`install_stand_ins` has put stand-ins for the names it imports into sys.modules, none of which takes part in an
eval forward: mmengine.model.BaseModule (an nn.Module that accepts and ignores init_cfg; init_weights is never
called, every tensor is set here) and ModuleList (nn.ModuleList, same), mmengine.logging.MMLogger (a logging
logger), mmaction.registry.MODELS (a registry whose decorator returns the class), and mmcv's DropPath and
mmengine's _load_checkpoint, which raise if used (drop path rate 0 makes nn.Identity; no CLIP weights are loaded).
loading.py imports much of mmcv, so UniformSample's class statement is cut out of it (ast) and run on its own
with its base BaseTransform = object and numpy. The recognizer's head is UniFormerHead: dropout (off at eval) and
`fc_cls`, an nn.Linear, made here as an nn.Linear.

Two random configurations, sizes deliberately not the published ones (layers 3; return_list the last
decoder_layers blocks, as released; dropout in the decoder MLPs 0.5, off at eval):
  plain   input 32, patch 8, width 36, 3 heads (head dim 12), 4 frames, no_lmhra, decoder 2 blocks (layers 1, 2),
          mlp_factor 4
  lmhra   input 20, patch 4, width 40, 5 heads (head dim 8), 6 frames with temporal_downsample (conv1 (3, 4, 4),
          stride (2, 4, 4): 3 frames inside), local MHRA before and after attention (double_lmhra; reduced width
          int(40 // 1.5) = 26), decoder 3 blocks (layers 0, 1, 2), mlp_factor 3 (decoder MLP 120, backbone 160)
Every tensor is drawn here: biases, LayerNorm weights (around 1), BatchNorm weights, biases, running means and
(positive) variances, balance, temporal_cls_token and the class and position embeddings all away from their init,
and the zero-initialised decoder and local MHRA output projections non-zero, so that a misplaced one shows.

  uniformerv2/plain.pth, lmhra.pth   MMAction2-style checkpoints: torch.save({"meta": {...}, "state_dict":
                                     recognizer state dict}) with backbone.* and cls_head.fc_cls.* (float32, the
                                     BatchNorm num_batches_tracked counters included, as a trained model has them)
  uniformerv2/plain_io.safetensors,  clips (2, 3, T, H, W) float32 in Vivid's (N, C, T, H, W), which is also
  lmhra_io.safetensors               MMAction2's NCTHW input, and the float64 logits (2, 6) of backbone + fc_cls in
                                     eval mode, stored as float32; intermediates from hooks on MMAction2's modules:
                                     ln_pre (N*T', 1+L, D) after ln_pre, blocks.i (N*T', 1+L, D) after resblock i
                                     (frame n*T' + t, token 0 the frame's cls, then patches row-major), decoder.j
                                     (N, D) the temporal query after dec.j, features (N, D) after the final norm
  uniformerv2/uniform_sample.json    UniformSample(clip_len, num_clips, test_mode=True).frame_inds for several
                                     video lengths (start_index 0), one list per clip

The forward is also written out below from MMAction2's code (the local MHRA's BatchNorm folded into its first
convolution, as Vivid loads it) and checked against the module intermediate by intermediate. Finally the
checkpoints are converted with Tools/convert.py and the folders checked, and refused variants are refused.
"""

import ast
import importlib.util
import json
import logging
import math
import os
import re
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch
import torch.nn.functional as F

from make_fixtures import FIXTURES, HERE, ROOT, check, run_converter
import safetensors_io

MMACTION2 = os.environ.get("VIVID_MMACTION2", os.path.expanduser("~/.cache/vivid-mmaction2"))
CLASSES, BATCH, EPS = 6, 2, 1e-5
TOLERANCE = 1e-10

# The UniFormerV2 arguments of the two fixtures (MMAction2's names).
CONFIGS = {
    "plain": dict(input_resolution=32, patch_size=8, width=36, layers=3, heads=3, t_size=4, temporal_downsample=False,
                  no_lmhra=True, double_lmhra=True, return_list=[1, 2], n_layers=2, n_dim=36, n_head=3, mlp_factor=4.0,
                  mlp_dropout=[0.5, 0.5], clip_pretrained=False, init_cfg=None),
    "lmhra": dict(input_resolution=20, patch_size=4, width=40, layers=3, heads=5, t_size=6, temporal_downsample=True,
                  no_lmhra=False, double_lmhra=True, return_list=[0, 1, 2], n_layers=3, n_dim=40, n_head=5, mlp_factor=3.0,
                  mlp_dropout=[0.5, 0.5, 0.5], clip_pretrained=False, init_cfg=None),
}

# Random values (mean, std) by parameter name, first match: std large enough that logits are O(1) and differ by class.
RANDOM = [
    (r"\.(ln_\d|ln_pre|norm)\.weight$", 1.0, 0.2),
    (r"\.pos_embed\.0\.weight$", 1.0, 0.2),                   # BatchNorm weight
    (r"\.pos_embed\.0\.running_mean$", 0.0, 0.2),
    (r"\.bias$|in_proj_bias$", 0.0, 0.1),
    (r"(class_embedding|positional_embedding|temporal_cls_token)$", 0.0, 0.5),
    (r"balance$", 0.0, 1.0),
    (r"conv1\.weight$", 0.0, 0.07),
    (r"\.dpe\.\d+\.weight$", 0.0, 0.2),
    (r"\.pos_embed\.2\.weight$", 0.0, 0.3),                   # local MHRA depthwise (3, 1, 1)
    (r"fc_cls\.weight$", 0.0, 0.3),
    (r"\.weight$|in_proj_weight$", 0.0, 0.15),               # in_proj, out_proj, c_fc, c_proj, MHRA 1x1x1
]


# ---------------------------------------------------------------------------------------------------------
# MMAction2's code


def install_stand_ins():
    """Stand-ins for what uniformerv2.py imports from mmcv, mmengine and mmaction (see the module docstring)."""
    class BaseModule(torch.nn.Module):
        def __init__(self, init_cfg=None):
            super().__init__()
            self.init_cfg = init_cfg

    class ModuleList(torch.nn.ModuleList):
        def __init__(self, modules=None, init_cfg=None):
            super().__init__(modules)

    class Registry:
        def register_module(self, *args, **kwargs):
            return lambda cls: cls

    class MMLogger:
        @staticmethod
        def get_current_instance():
            return logging.getLogger("mmaction2")

    def unused(name):
        def fail(*args, **kwargs):
            raise NotImplementedError(f"{name} is not needed by an eval forward (and has no stand-in)")
        return fail

    names = {
        "mmcv": {}, "mmcv.cnn": {}, "mmcv.cnn.bricks": {"DropPath": unused("mmcv DropPath")},
        "mmengine": {}, "mmengine.logging": {"MMLogger": MMLogger},
        "mmengine.model": {"BaseModule": BaseModule, "ModuleList": ModuleList},
        "mmengine.runner": {}, "mmengine.runner.checkpoint": {"_load_checkpoint": unused("mmengine _load_checkpoint")},
        "mmaction": {}, "mmaction.registry": {"MODELS": Registry()},
    }
    for name, attributes in names.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        sys.modules[name] = module


def load_uniformerv2():
    path = os.path.join(MMACTION2, "mmaction", "models", "backbones", "uniformerv2.py")
    if not os.path.isfile(path):
        raise SystemExit(f"make_fixtures.py: {path} is missing: copy MMAction2's sources as Tools/uniformerv2_fixtures.py says")
    install_stand_ins()
    spec = importlib.util.spec_from_file_location("mmaction2_uniformerv2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_uniform_sample():
    """MMAction2's UniformSample class, its statement cut out of loading.py and run alone."""
    path = os.path.join(MMACTION2, "mmaction", "datasets", "transforms", "loading.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "UniformSample")
    check([ast.unparse(b) for b in node.bases] == ["BaseTransform"], "UniformSample's only base is BaseTransform")
    namespace = {"BaseTransform": object, "np": np, "Dict": dict}
    exec(compile(ast.get_source_segment(source, node), path, "exec"), namespace)
    return namespace["UniformSample"]


class Recognizer(torch.nn.Module):
    """The parts of MMAction2's Recognizer3D that a checkpoint names: backbone and cls_head (UniFormerHead's fc_cls)."""

    def __init__(self, backbone, width):
        super().__init__()
        self.backbone = backbone
        self.cls_head = torch.nn.Module()
        self.cls_head.fc_cls = torch.nn.Linear(width, CLASSES)

    def forward(self, clips):
        return self.cls_head.fc_cls(self.backbone(clips))


def build(uniformerv2, config, seed):
    """A float32 recognizer in eval mode with every floating-point tensor drawn in name order from one numpy
    generator (RANDOM; running variances uniform in [0.5, 1.5]) and the BatchNorm counters of a trained model."""
    torch.manual_seed(seed)
    model = Recognizer(uniformerv2.UniFormerV2(**config), config["width"]).float().eval()  # make_fixtures defaults to float64
    rng = np.random.default_rng(seed)
    state = model.state_dict()
    with torch.no_grad():
        for name in sorted(state):
            tensor = state[name]
            if not tensor.is_floating_point():
                tensor.fill_(1000)  # num_batches_tracked: dropped by the converter, unused at eval
                continue
            if name.endswith("running_var"):
                values = rng.uniform(0.5, 1.5, tuple(tensor.shape))
            else:
                mean, std = next((m, s) for pattern, m, s in RANDOM if re.search(pattern, name))
                values = mean + std * rng.standard_normal(tuple(tensor.shape))
            tensor.copy_(torch.from_numpy(values.astype(np.float32)))
    return model


def mmaction_outputs(model, clips):
    """The float64 model's logits and intermediates, caught by hooks on MMAction2's modules (layouts as the
    module docstring says; the backbone runs sequence-first, (1+L, N*T', D))."""
    captured = {}

    def keep(name, layout):
        return lambda module, inputs, output: captured.__setitem__(name, layout(output))

    backbone = model.backbone
    hooks = [backbone.ln_pre.register_forward_hook(keep("ln_pre", lambda o: o)),
             backbone.transformer.norm.register_forward_hook(keep("features", lambda o: o))]
    for i, block in enumerate(backbone.transformer.resblocks):
        hooks.append(block.register_forward_hook(keep(f"blocks.{i}", lambda o: o.permute(1, 0, 2))))
    for j, decoder in enumerate(backbone.transformer.dec):
        hooks.append(decoder.register_forward_hook(keep(f"decoder.{j}", lambda o: o[0])))
    with torch.no_grad():
        captured["logits"] = model(clips)
    for hook in hooks:
        hook.remove()
    return captured


# ---------------------------------------------------------------------------------------------------------
# The forward, written out from uniformerv2.py (float64, from the checkpoint's tensors)


def layer_norm(x, w, prefix):
    return F.layer_norm(x, x.shape[-1:], w[f"{prefix}.weight"], w[f"{prefix}.bias"], eps=EPS)


def mlp(x, w, prefix):
    """c_fc, QuickGELU x * sigmoid(1.702 x), c_proj (the decoder's dropout between them is off at eval)."""
    hidden = F.linear(x, w[f"{prefix}.c_fc.weight"], w[f"{prefix}.c_fc.bias"])
    return F.linear(hidden * torch.sigmoid(1.702 * hidden), w[f"{prefix}.c_proj.weight"], w[f"{prefix}.c_proj.bias"])


def attention(queries, keys, w, prefix, heads):
    """(B, Lq, D) over (B, Lk, D) -> (B, Lq, D). nn.MultiheadAttention's packing, which the decoder's Extractor
    slices by hand the same way: in_proj rows [q; k; v], head h = channels h*hd ... (h+1)*hd - 1, scale hd^-0.5."""
    width = queries.shape[-1]
    head_dim = width // heads
    weight, bias = w[f"{prefix}.in_proj_weight"], w[f"{prefix}.in_proj_bias"]
    q, k, v = (F.linear(x, weight[i * width:(i + 1) * width], bias[i * width:(i + 1) * width])
               for i, x in enumerate((queries, keys, keys)))

    def split(t):
        return t.reshape(t.shape[0], t.shape[1], heads, head_dim).transpose(1, 2)

    scores = (split(q) @ split(k).transpose(-2, -1)) * head_dim ** -0.5
    context = (scores.softmax(-1) @ split(v)).transpose(1, 2).reshape(q.shape)
    return F.linear(context, w[f"{prefix}.out_proj.weight"], w[f"{prefix}.out_proj.bias"])


def volume(x, n, t):
    """The patch tokens of (N*T, 1+L, D) frames as (N, D, T, g, g); the cls tokens are left out."""
    grid = math.isqrt(x.shape[1] - 1)
    return x[:, 1:].reshape(n, t, grid, grid, x.shape[2]).permute(0, 4, 1, 2, 3)


def tokens(v):
    """(N, D, T, g, g) -> (N*T, g*g, D), patches row-major."""
    n, d, t, grid, _ = v.shape
    return v.permute(0, 2, 3, 4, 1).reshape(n * t, grid * grid, d)


def local_mhra(x, w, prefix, n, t):
    """Patches + Conv1x1x1(3) . depthwise (3, 1, 1) conv(2) . Conv1x1x1(1) . BatchNorm(0) on the patch volume,
    the BatchNorm folded into conv 1; the cls tokens pass unchanged."""
    norm, first = f"{prefix}.pos_embed.0", f"{prefix}.pos_embed.1"
    scale = w[f"{norm}.weight"] / torch.sqrt(w[f"{norm}.running_var"] + EPS)
    shift = w[f"{norm}.bias"] - w[f"{norm}.running_mean"] * scale
    weight = w[f"{first}.weight"] * scale.reshape(1, -1, 1, 1, 1)
    bias = w[f"{first}.bias"] + w[f"{first}.weight"].flatten(1) @ shift
    patches = volume(x, n, t)
    h = F.conv3d(patches, weight, bias)
    h = F.conv3d(h, w[f"{prefix}.pos_embed.2.weight"], w[f"{prefix}.pos_embed.2.bias"], padding=(1, 0, 0), groups=h.shape[1])
    h = F.conv3d(h, w[f"{prefix}.pos_embed.3.weight"], w[f"{prefix}.pos_embed.3.bias"])
    return torch.cat((x[:, :1], tokens(patches + h)), 1)


def reference_forward(clips, w, config):
    """clips (N, 3, T, H, W) -> the intermediates and logits of mmaction_outputs, in the same layouts."""
    downsample, patch, heads = config["temporal_downsample"], config["patch_size"], config["heads"]
    e = F.conv3d(clips, w["backbone.conv1.weight"], stride=(2 if downsample else 1, patch, patch),
                 padding=(1 if downsample else 0, 0, 0))
    n, width, t = e.shape[:3]
    x = torch.cat((w["backbone.class_embedding"].expand(n * t, 1, width), tokens(e)), 1) + w["backbone.positional_embedding"]
    x = layer_norm(x, w, "backbone.ln_pre")
    out = {"ln_pre": x}
    query = w["backbone.transformer.temporal_cls_token"].expand(n, 1, width)
    first_read = config["layers"] - config["n_layers"]
    for i in range(config["layers"]):
        block = f"backbone.transformer.resblocks.{i}"
        if not config["no_lmhra"]:
            x = local_mhra(x, w, f"{block}.lmhra1", n, t)
        y = layer_norm(x, w, f"{block}.ln_1")
        x = x + attention(y, y, w, f"{block}.attn", heads)       # each frame attends within itself
        if not config["no_lmhra"]:
            x = local_mhra(x, w, f"{block}.lmhra2", n, t)
        x = x + mlp(layer_norm(x, w, f"{block}.ln_2"), w, f"{block}.mlp")
        out[f"blocks.{i}"] = x
        if i >= first_read:
            j = i - first_read
            dpe, decoder = f"backbone.transformer.dpe.{j}", f"backbone.transformer.dec.{j}"
            position = F.conv3d(volume(x, n, t), w[f"{dpe}.weight"], w[f"{dpe}.bias"], padding=1, groups=width)
            keys = torch.cat((x[:, :1], x[:, 1:] + tokens(position)), 1).reshape(n, -1, width)  # T*(1+L) per video
            query = query + attention(layer_norm(query, w, f"{decoder}.ln_1"), layer_norm(keys, w, f"{decoder}.ln_3"),
                                      w, f"{decoder}.attn", heads)
            query = query + mlp(layer_norm(query, w, f"{decoder}.ln_2"), w, f"{decoder}.mlp")
            out[f"decoder.{j}"] = query[:, 0]
    balance = torch.sigmoid(w["backbone.transformer.balance"])
    fused = (1 - balance) * query[:, 0] + balance * x[:, 0].reshape(n, t, width).mean(1)
    out["features"] = layer_norm(fused, w, "backbone.transformer.norm")
    out["logits"] = F.linear(out["features"], w["cls_head.fc_cls.weight"], w["cls_head.fc_cls.bias"])
    return out


# ---------------------------------------------------------------------------------------------------------
# Fixtures


def checkpoint_meta(name, config):
    """mmengine's checkpoint meta as publish_model.py leaves it (plain values; the config as text)."""
    backbone = ", ".join(f"{key}={value!r}" for key, value in config.items())
    return {"epoch": 55, "iter": 0, "mmengine_version": "0.7.2", "time": "20230313_000000", "seed": 0,
            "experiment_name": f"uniformerv2_{name}_fixture",
            "cfg": f"model = dict(type='Recognizer3D', backbone=dict(type='UniFormerV2', {backbone}), cls_head=dict("
                   f"type='UniFormerHead', num_classes={CLASSES}, in_channels={config['width']}, dropout_ratio=0.5))"}


def make_parity_fixture(uniformerv2, folder, name, config, seed):
    model = build(uniformerv2, config, seed)
    state = model.state_dict()  # the recognizer's OrderedDict (with its _metadata), float32
    torch.save({"meta": checkpoint_meta(name, config), "state_dict": state}, os.path.join(folder, f"{name}.pth"))
    saved = {key: value.numpy().copy() for key, value in state.items()}

    model = model.double()
    frames = config["t_size"]
    inside = frames // 2 if config["temporal_downsample"] else frames
    side = config["input_resolution"]
    clips = np.random.default_rng(seed + 1).standard_normal((BATCH, 3, frames, side, side)).astype(np.float32)
    x = torch.from_numpy(clips.astype(np.float64))
    outputs = mmaction_outputs(model, x)
    weights = {key: torch.from_numpy(value.astype(np.float64)) for key, value in saved.items() if value.dtype == np.float32}
    with torch.no_grad():
        mine = reference_forward(x, weights, config)
    check(sorted(mine) == sorted(outputs), f"{name}: intermediates {', '.join(sorted(outputs))}")
    check(outputs["blocks.0"].shape == (BATCH * inside, 1 + (side // config["patch_size"]) ** 2, config["width"]),
          f"{name}: {frames} frames in, {inside} inside the backbone")
    for key in sorted(outputs):
        diff = (mine[key] - outputs[key]).abs().max().item()
        check(diff < TOLERANCE, f"{name}: {key} {tuple(outputs[key].shape)} of the forward written out here == MMAction2's "
                                f"(float64): max |Δ| {diff:.1e}")

    tensors = {"clips": clips}
    tensors.update({key: value.numpy().astype(np.float32) for key, value in outputs.items()})
    safetensors_io.write(os.path.join(folder, f"{name}_io.safetensors"), tensors, metadata={
        "made_by": "Tools/uniformerv2_fixtures.py", "clips_layout": "N,C,T,H,W",
        "reference": "MMAction2 4d6c9347 UniFormerV2 + UniFormerHead fc_cls, eval, float64",
        "intermediates": "ln_pre, blocks.i: (N*T', 1+L, D), frame n*T'+t, cls then patches row-major; "
                         "decoder.j: (N, D) temporal query after dec.j; features: (N, D) after transformer.norm"})
    logits = outputs["logits"].numpy()
    spread = logits.max(1) - logits.min(1)
    print(f"  {name} logits {logits.shape}: max |logit| {np.abs(logits).max():.3f}, per-row range "
          f"{', '.join(f'{s:.3f}' for s in spread)}, argmax {logits.argmax(1).tolist()}")
    return saved


def make_sampling_fixture(folder):
    """UniformSample's test-mode indices; the formula the Swift side implements is checked against it too."""
    uniform_sample = load_uniform_sample()
    entries, mismatches = [], []
    for clip_len, num_clips in ((8, 4), (4, 1), (32, 2)):  # released u8 test views; one clip; L/14-336 u32
        sampler = uniform_sample(clip_len=clip_len, num_clips=num_clips, test_mode=True)
        for total in range(1, 2001):
            indices = sampler.transform({"total_frames": total, "start_index": 0})["frame_inds"].reshape(num_clips, clip_len)
            # Segment (total-1)/clip_len; clip k takes, for frame i, the segment's start rounded half to even (Python's
            # round, as np.round) plus the truncated offset (k+1) * segment/(num_clips+1).
            segment = (total - 1) / clip_len
            formula = [[round(segment * i) + int(segment / (num_clips + 1) * (k + 1)) for i in range(clip_len)]
                       for k in range(num_clips)]
            if indices.tolist() != formula or indices.min() < 0 or indices.max() > total - 1:
                mismatches.append((clip_len, num_clips, total))
            if total in (1, 2, 3, 5, 7, 8, 9, 16, 31, 100, 301):
                entries.append({"total_frames": total, "clip_len": clip_len, "num_clips": num_clips, "indices": indices.tolist()})
    check(not mismatches, "UniformSample(test_mode) == the formula for 1 to 2000 frames, indices within 0 ... total-1"
                          + (f" (first mismatch: clip_len, num_clips, frames {mismatches[0]})" if mismatches else ""))
    with open(os.path.join(folder, "uniform_sample.json"), "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(json.dumps(entry) for entry in entries) + "\n]\n")


def expected_model(config):
    return {"hidden_size": config["width"], "num_layers": config["layers"], "num_heads": config["heads"],
            "mlp_dim": 4 * config["width"], "patch_size": config["patch_size"], "image_size": config["input_resolution"],
            "num_frames": config["t_size"], "temporal_downsample": config["temporal_downsample"],
            "local_mhra": not config["no_lmhra"], "decoder_layers": config["n_layers"], "decoder_heads": config["n_head"],
            "decoder_mlp_dim": round(config["mlp_factor"] * config["n_dim"]), "layer_norm_eps": EPS}


def expect_refusal(arguments, fragment):
    python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    result = subprocess.run([python, os.path.join(HERE, "convert.py")] + arguments, capture_output=True, text=True)
    message = result.stderr.strip()
    check(result.returncode == 1 and fragment in message, f"refused: {message}")


def check_converter(folder, states):
    with tempfile.TemporaryDirectory() as scratch:
        for name, config in CONFIGS.items():
            out = os.path.join(scratch, name)
            run_converter(["mmaction-uniformerv2", os.path.join(folder, f"{name}.pth"), out,
                           "--frames", str(config["t_size"]), "--heads", str(config["heads"])])
            converted, _ = safetensors_io.read(os.path.join(out, "model.safetensors"))
            original = {key: value for key, value in states[name].items() if not key.endswith("num_batches_tracked")}
            check(sorted(converted) == sorted(original) and all(np.array_equal(converted[k], original[k]) for k in original),
                  f"{name}: the folder holds the {len(original)} float tensors under the checkpoint's names")
            with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
                written = json.load(f)
            check(written["architecture"] == "uniformerv2" and list(written["model"].items()) == list(expected_model(config).items())
                  and written["heads"] == [{"name": "label", "classes": CLASSES, "labels": None}]
                  and written["head_layout"] == "single", f"{name}: config.json architecture, model (keys in order), heads")
            side = config["input_resolution"]
            preprocessing = {"sampling": "uniform", "frames_per_clip": config["t_size"], "short_side": side, "crop_size": side,
                             "mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225], "temporal_views": 4, "spatial_crops": 3}
            check(list(written["preprocessing"].items()) == list(preprocessing.items()),
                  f"{name}: uniform sampling (no stride), short side = crop = {side}, 114.75 / 57.375 of 255, 4x3 views")

        plain = os.path.join(folder, "plain.pth")
        expect_refusal(["mmaction-uniformerv2", plain, os.path.join(scratch, "x"), "--frames", "4", "--heads", "5"],
                       "5 heads do not divide the width 36")
        expect_refusal(["mmaction-uniformerv2", os.path.join(folder, "lmhra.pth"), os.path.join(scratch, "x"), "--frames", "6"],
                       "12 heads (the default; pass --heads) do not divide the width 40")
        expect_refusal(["mmaction-uniformerv2", plain, os.path.join(scratch, "x"), "--heads", "3"], "--frames N is required")
        expect_refusal(["mmaction-uniformerv2", plain, os.path.join(scratch, "x"), "--frames", "4", "--heads", "3", "--stride", "2"],
                       "--stride 2 does not apply")
        expect_refusal(["mmaction-uniformerv2", os.path.join(folder, "lmhra.pth"), os.path.join(scratch, "x"), "--frames", "5",
                        "--heads", "5"], "must be positive and even")

        # Another MMAction2 backbone (ResNet3d's names), and local MHRA before attention only (double_lmhra False).
        other = {"backbone.conv1.conv.weight": torch.zeros(8, 3, 1, 7, 7), "backbone.conv1.bn.weight": torch.ones(8),
                 "backbone.layer1.0.conv1.conv.weight": torch.zeros(8, 8, 1, 1, 1),
                 "cls_head.fc_cls.weight": torch.zeros(CLASSES, 8), "cls_head.fc_cls.bias": torch.zeros(CLASSES)}
        torch.save({"meta": {}, "state_dict": other}, os.path.join(scratch, "resnet3d.pth"))
        expect_refusal(["mmaction-uniformerv2", os.path.join(scratch, "resnet3d.pth"), os.path.join(scratch, "x"), "--frames", "8"],
                       "not a UniFormerV2 state dict: expected backbone.transformer.resblocks.N... and backbone.transformer.dec.J...")
        single = {key: torch.from_numpy(value) for key, value in states["lmhra"].items() if ".lmhra2." not in key}
        torch.save({"meta": {}, "state_dict": single}, os.path.join(scratch, "single.pth"))
        expect_refusal(["mmaction-uniformerv2", os.path.join(scratch, "single.pth"), os.path.join(scratch, "x"), "--frames", "6",
                        "--heads", "5"], "the blocks have lmhra1 but not lmhra2")

        # A Kinetics-710 head (the released K710 checkpoints) gets the shipped label list.
        k710 = {key: torch.from_numpy(value) for key, value in states["plain"].items()}
        k710["cls_head.fc_cls.weight"] = torch.zeros(710, CONFIGS["plain"]["width"])
        k710["cls_head.fc_cls.bias"] = torch.zeros(710)
        torch.save({"meta": {}, "state_dict": k710}, os.path.join(scratch, "k710.pth"))
        out = os.path.join(scratch, "k710")
        run_converter(["mmaction-uniformerv2", os.path.join(scratch, "k710.pth"), out, "--frames", "4", "--heads", "3"])
        with open(os.path.join(out, "config.json"), encoding="utf-8") as f:
            heads = json.load(f)["heads"]
        with open(os.path.join(out, "kinetics710.txt"), encoding="utf-8") as f, \
                open(os.path.join(ROOT, "Models", "labels", "kinetics710.txt"), encoding="utf-8") as g:
            same = f.read() == g.read()
        check(heads == [{"name": "label", "classes": 710, "labels": "kinetics710.txt"}] and same,
              "a 710-class head gets Models/labels/kinetics710.txt")


def make_uniformerv2_fixtures():
    folder = os.path.join(FIXTURES, "uniformerv2")
    os.makedirs(folder, exist_ok=True)
    uniformerv2 = load_uniformerv2()
    states = {name: make_parity_fixture(uniformerv2, folder, name, config, seed)
              for (name, config), seed in zip(CONFIGS.items(), (41, 43))}
    make_sampling_fixture(folder)
    check_converter(folder, states)
    total = 0
    for file in sorted(os.listdir(folder)):
        size = os.path.getsize(os.path.join(folder, file))
        total += size
        print(f"  {os.path.relpath(os.path.join(folder, file), ROOT):55s} {size:>9,d} bytes")
    print(f"  {'total':55s} {total:>9,d} bytes")

