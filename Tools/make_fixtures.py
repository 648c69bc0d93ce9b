#!/usr/bin/env python3
"""Makes the parity fixtures in Tests/Fixtures/ (small random-weight models, inputs, reference logits).

    python3 -m venv /root/venv-torch
    /root/venv-torch/bin/pip install torch torchvision transformers pytorchvideo safetensors msgpack numpy
    /root/venv-torch/bin/python Tools/make_fixtures.py [vivit] [vivit-attention] [csn] [slowfast] [timesformer] [uniformerv2]
    (default: all)

TimeSformer: Tools/timesformer_fixtures.py (timesformer/checkpoint, hf4_config.json, io.safetensors).
UniFormerV2: Tools/uniformerv2_fixtures.py (uniformerv2/plain.pth, lmhra.pth, their io files, uniform_sample.json),
MMAction2's own code; needs a copy of two MMAction2 source files as that file says.
ViViT Models 3 and 4: Tools/vivit_attention_fixtures.py (vivit_fsa/, vivit_fdpa/), Scenic's own ViViT; needs jax,
flax and a Scenic copy as that file says (it also runs alone in a jax venv without torch).

ir-CSN (`make_csn_fixtures` below): csn/pytorchvideo.pyth and csn/vmz.pth with io.safetensors and
vmz_io.safetensors, from pytorchvideo's own `create_csn`. SlowFast (`make_slowfast_fixtures`):
slowfast/pytorchvideo.pyth and slowfast/epic.pyth (PySlowFast names, verb and noun heads), from `create_slowfast`.
Besides clips and logits, their io files hold the outputs of model.blocks[0..4] (stem with its max pool, then the
four res stages) from the forward that gave the logits: CSN `blocks.i` (N, C, T, H, W); SlowFast `blocks.i.0` (slow)
and `blocks.i.1` (fast), after the fast-to-slow fusion for i = 0..3 (block 4 has none).

ViViT writes (sizes deliberately not the published defaults: hidden 60, 5 heads of 12, MLP 84, image 32, 8 frames,
tubelet (2, 8, 8), LayerNorm eps 1e-6, tanh GELU):
  vivit/checkpoint/              transformers save_pretrained of a random VivitForVideoClassification (2 layers, 7 classes)
  vivit/scenic_checkpoint.msgpack  the same weights as a Scenic Model 1 Flax checkpoint (inverse of MODELS.md §1.1)
  vivit/io.safetensors           clips (2, 3, 8, 32, 32) float32 and the transformers logits (2, 7), computed in float64;
                                 hidden_states.0..2 (2, 65, 60) as output_hidden_states gives them: the embeddings
                                 (cls first, position added), then each layer's output (before the final layernorm)
  vivit_fe/checkpoint.msgpack    a Scenic factorised-encoder checkpoint (2 spatial + 2 temporal layers, one
                                 output_projection of 8 = 5 nouns then 3 verbs)
  vivit_fe/io.safetensors        clips (2, 3, 8, 32, 32) and logits (2, 8) from the float64 forward below (MODELS.md §1.2);
                                 SpatialTransformer/posembed_input and /encoderblock_0..1 (8, 17, 60), row n*4+t, cls
                                 first; TemporalTransformer/posembed_input and /encoderblock_0..1 (2, 5, 60), the
                                 temporal cls then each step's normed spatial cls (posembed_input: after adding the
                                 position embedding; encoderblock_i: after block i, before encoder_norm)

The factorised-encoder forward is written here from MODELS.md §1.2 (there is no transformers implementation); it
is checked block by block against transformers' VivitLayer, its tubelet embedding against Conv3d, and the same
code run as Model 1 against VivitForVideoClassification. Any disagreement stops the script. Finally the
fixtures are converted with Tools/convert.py (by the system python3 when there is one) and the outputs checked.
"""

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import msgpack
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
sys.dont_write_bytecode = True  # keep Tools/ free of __pycache__
sys.path.insert(0, HERE)
import convert  # noqa: E402  (name mapping shared with the converter)
import safetensors_io  # noqa: E402

WIDTH, HEADS, HEAD_DIM, MLP = 60, 5, 12, 84
IMAGE, FRAMES, TUBELET = 32, 8, (2, 8, 8)
EPS = 1e-6
STEPS = FRAMES // TUBELET[0]                      # 4 tubelets in time
PATCHES = (IMAGE // TUBELET[1]) * (IMAGE // TUBELET[2])  # 16 per frame
HF_LAYERS, HF_CLASSES = 2, 7
FE_SPATIAL_LAYERS, FE_TEMPORAL_LAYERS, FE_SPLITS = 2, 2, (5, 3)
BLOCK_TOLERANCE = 1e-10

torch.set_default_dtype(torch.float64)


# ---------------------------------------------------------------------------------------------------------
# Random parameters (Flax layout, float32): std large enough that logits are O(1) and differ by class.


def normal(rng, shape, std, mean=0.0):
    return (mean + std * rng.standard_normal(shape)).astype(np.float32)


def random_block(rng):
    """One Scenic EncoderBlock: LayerNorm_0, MultiHeadDotProductAttention_0, LayerNorm_1, MlpBlock_0."""
    attention = {part: {"kernel": normal(rng, (WIDTH, HEADS, HEAD_DIM), 0.2), "bias": normal(rng, (HEADS, HEAD_DIM), 0.1)}
                 for part in ("query", "key", "value")}
    attention["out"] = {"kernel": normal(rng, (HEADS, HEAD_DIM, WIDTH), 0.15), "bias": normal(rng, (WIDTH,), 0.1)}
    return {
        "LayerNorm_0": {"scale": normal(rng, (WIDTH,), 0.2, 1.0), "bias": normal(rng, (WIDTH,), 0.1)},
        "MultiHeadDotProductAttention_0": attention,
        "LayerNorm_1": {"scale": normal(rng, (WIDTH,), 0.2, 1.0), "bias": normal(rng, (WIDTH,), 0.1)},
        "MlpBlock_0": {
            "Dense_0": {"kernel": normal(rng, (WIDTH, MLP), 0.2), "bias": normal(rng, (MLP,), 0.1)},
            "Dense_1": {"kernel": normal(rng, (MLP, WIDTH), 0.15), "bias": normal(rng, (WIDTH,), 0.1)},
        },
    }


def random_encoder(rng, layers, tokens):
    encoder = {f"encoderblock_{i}": random_block(rng) for i in range(layers)}
    encoder["posembed_input"] = {"pos_embedding": normal(rng, (1, tokens, WIDTH), 0.5)}
    encoder["encoder_norm"] = {"scale": normal(rng, (WIDTH,), 0.2, 1.0), "bias": normal(rng, (WIDTH,), 0.1)}
    return encoder


def random_embedding(rng):
    return {"kernel": normal(rng, (*TUBELET, 3, WIDTH), 0.06), "bias": normal(rng, (WIDTH,), 0.1)}


def random_fe_params(seed):
    rng = np.random.default_rng(seed)
    classes = sum(FE_SPLITS)
    return {
        "embedding": random_embedding(rng),
        "cls_SpatialTransformer": normal(rng, (1, 1, WIDTH), 0.5),
        "cls_TemporalTransformer": normal(rng, (1, 1, WIDTH), 0.5),
        "SpatialTransformer": random_encoder(rng, FE_SPATIAL_LAYERS, PATCHES + 1),
        "TemporalTransformer": random_encoder(rng, FE_TEMPORAL_LAYERS, STEPS + 1),
        "output_projection": {"kernel": normal(rng, (WIDTH, classes), 0.3), "bias": normal(rng, (classes,), 0.2)},
    }


def random_model1_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "embedding": random_embedding(rng),
        "cls": normal(rng, (1, 1, WIDTH), 0.5),
        "Transformer": random_encoder(rng, HF_LAYERS, STEPS * PATCHES + 1),
        "output_projection": {"kernel": normal(rng, (WIDTH, HF_CLASSES), 0.3), "bias": normal(rng, (HF_CLASSES,), 0.2)},
    }


# ---------------------------------------------------------------------------------------------------------
# Layout conversions between Flax and transformers (MODELS.md §1.1)


def flax_block_to_hf(block):
    """Scenic EncoderBlock (nested) -> transformers 4 layer names (relative to the layer)."""
    a = block["MultiHeadDotProductAttention_0"]
    out = {}
    for part in ("query", "key", "value"):
        out[f"attention.attention.{part}.weight"] = a[part]["kernel"].reshape(WIDTH, WIDTH).T
        out[f"attention.attention.{part}.bias"] = a[part]["bias"].reshape(-1)
    out["attention.output.dense.weight"] = a["out"]["kernel"].reshape(WIDTH, WIDTH).T
    out["attention.output.dense.bias"] = a["out"]["bias"]
    out["layernorm_before.weight"] = block["LayerNorm_0"]["scale"]
    out["layernorm_before.bias"] = block["LayerNorm_0"]["bias"]
    out["layernorm_after.weight"] = block["LayerNorm_1"]["scale"]
    out["layernorm_after.bias"] = block["LayerNorm_1"]["bias"]
    out["intermediate.dense.weight"] = block["MlpBlock_0"]["Dense_0"]["kernel"].T
    out["intermediate.dense.bias"] = block["MlpBlock_0"]["Dense_0"]["bias"]
    out["output.dense.weight"] = block["MlpBlock_0"]["Dense_1"]["kernel"].T
    out["output.dense.bias"] = block["MlpBlock_0"]["Dense_1"]["bias"]
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


def model1_to_hf(params):
    """Scenic Model 1 tree -> transformers 4 state dict of VivitForVideoClassification."""
    enc = params["Transformer"]
    out = {
        "vivit.embeddings.cls_token": params["cls"],
        "vivit.embeddings.position_embeddings": enc["posembed_input"]["pos_embedding"],
        "vivit.embeddings.patch_embeddings.projection.weight": params["embedding"]["kernel"].transpose(4, 3, 0, 1, 2),
        "vivit.embeddings.patch_embeddings.projection.bias": params["embedding"]["bias"],
        "vivit.layernorm.weight": enc["encoder_norm"]["scale"],
        "vivit.layernorm.bias": enc["encoder_norm"]["bias"],
        "classifier.weight": params["output_projection"]["kernel"].T,
        "classifier.bias": params["output_projection"]["bias"],
    }
    for i in range(HF_LAYERS):
        for name, value in flax_block_to_hf(enc[f"encoderblock_{i}"]).items():
            out[f"vivit.encoder.layer.{i}.{name}"] = value
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def hf_to_model1(sd):
    """transformers 4 state dict -> Scenic Model 1 tree: the exact inverse of MODELS.md §1.1."""
    def block(i):
        p = f"vivit.encoder.layer.{i}."
        attention = {part: {"kernel": sd[p + f"attention.attention.{part}.weight"].T.reshape(WIDTH, HEADS, HEAD_DIM),
                            "bias": sd[p + f"attention.attention.{part}.bias"].reshape(HEADS, HEAD_DIM)}
                     for part in ("query", "key", "value")}
        attention["out"] = {"kernel": sd[p + "attention.output.dense.weight"].T.reshape(HEADS, HEAD_DIM, WIDTH),
                            "bias": sd[p + "attention.output.dense.bias"]}
        return {
            "LayerNorm_0": {"scale": sd[p + "layernorm_before.weight"], "bias": sd[p + "layernorm_before.bias"]},
            "MultiHeadDotProductAttention_0": attention,
            "LayerNorm_1": {"scale": sd[p + "layernorm_after.weight"], "bias": sd[p + "layernorm_after.bias"]},
            "MlpBlock_0": {"Dense_0": {"kernel": sd[p + "intermediate.dense.weight"].T, "bias": sd[p + "intermediate.dense.bias"]},
                           "Dense_1": {"kernel": sd[p + "output.dense.weight"].T, "bias": sd[p + "output.dense.bias"]}},
        }
    transformer = {f"encoderblock_{i}": block(i) for i in range(HF_LAYERS)}
    transformer["posembed_input"] = {"pos_embedding": sd["vivit.embeddings.position_embeddings"]}
    transformer["encoder_norm"] = {"scale": sd["vivit.layernorm.weight"], "bias": sd["vivit.layernorm.bias"]}
    tree = {
        "embedding": {"kernel": sd["vivit.embeddings.patch_embeddings.projection.weight"].transpose(2, 3, 4, 1, 0),
                      "bias": sd["vivit.embeddings.patch_embeddings.projection.bias"]},
        "cls": sd["vivit.embeddings.cls_token"],
        "Transformer": transformer,
        "output_projection": {"kernel": sd["classifier.weight"].T, "bias": sd["classifier.bias"]},
    }
    return map_tree(tree, lambda a: np.ascontiguousarray(a, dtype=np.float32))


def map_tree(tree, fn):
    return {k: map_tree(v, fn) if isinstance(v, dict) else fn(v) for k, v in tree.items()}


def flatten(tree, prefix=""):
    out = {}
    for k, v in tree.items():
        name = f"{prefix}/{k}" if prefix else k
        out.update(flatten(v, name) if isinstance(v, dict) else {name: v})
    return out


def to_module_names(hf4_layer, module):
    """Layer-relative transformers 4 names -> the names `module` (a VivitLayer of the installed
    transformers, 4.x or 5.x) uses in memory."""
    result = {}
    for name in module.state_dict():
        hf4 = convert.hf4_name("vivit.layers.0." + name).replace("vivit.encoder.layer.0.", "", 1)
        result[name] = torch.from_numpy(hf4_layer[hf4].astype(np.float64))
    return result


# ---------------------------------------------------------------------------------------------------------
# Flax msgpack writing (flax.serialization's format: ndarray = ExtType 1, numpy scalar = ExtType 3, each
# holding msgpack of [shape, dtype name, C-order bytes])


def _array_payload(array):
    array = np.asarray(array)  # (np.ascontiguousarray would turn a 0-d scalar into shape (1,))
    return msgpack.packb((list(array.shape), array.dtype.name, array.tobytes("C")), use_bin_type=True)


def _msgpack_default(value):
    if isinstance(value, np.ndarray):
        return msgpack.ExtType(1, _array_payload(value))
    if isinstance(value, np.generic):
        return msgpack.ExtType(3, _array_payload(np.asarray(value)))
    raise TypeError(f"cannot serialise {type(value).__name__}")


def write_scenic_checkpoint(path, params):
    """A Scenic TrainState as its checkpoints store it (flax.optim optimizer with the parameters as target)."""
    state = {
        "global_step": 1000,
        "optimizer": {"target": params, "state": {"step": np.int64(1000), "param_states": {}}},
        "model_state": {},
        "rng": np.array([0, 42], dtype=np.uint32),
        "accum_train_time": np.float64(12.5),
    }
    with open(path, "wb") as f:
        f.write(msgpack.packb(state, default=_msgpack_default, strict_types=True, use_bin_type=True))


# ---------------------------------------------------------------------------------------------------------
# The float64 forward written from MODELS.md §1.1/§1.2, on Flax-layout parameters


def t64(array):
    return torch.from_numpy(np.asarray(array, dtype=np.float64))


def layer_norm(x, p):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + EPS) * t64(p["scale"]) + t64(p["bias"])


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def encoder_block(x, p):
    """Pre-LN block: x + out(MHA(LN0 x)); x + Dense_1(gelu(Dense_0(LN1 x))). x: (B, L, D)."""
    a = p["MultiHeadDotProductAttention_0"]
    y = layer_norm(x, p["LayerNorm_0"])
    q, k, v = (torch.einsum("bld,dhk->blhk", y, t64(a[n]["kernel"])) + t64(a[n]["bias"]) for n in ("query", "key", "value"))
    scores = torch.einsum("bqhk,bshk->bhqs", q / math.sqrt(HEAD_DIM), k)
    weights = torch.softmax(scores, dim=-1)
    heads = torch.einsum("bhqs,bshk->bqhk", weights, v)
    x = x + torch.einsum("bqhk,hkd->bqd", heads, t64(a["out"]["kernel"])) + t64(a["out"]["bias"])
    m = p["MlpBlock_0"]
    y = layer_norm(x, p["LayerNorm_1"])
    y = gelu_tanh(y @ t64(m["Dense_0"]["kernel"]) + t64(m["Dense_0"]["bias"]))
    return x + y @ t64(m["Dense_1"]["kernel"]) + t64(m["Dense_1"]["bias"])


def tubelet_embedding(clips, p):
    """clips (B, C, T, H, W) -> (B, nt, gh*gw, D) with the Flax kernel (t, h, w, C, D); patches h-major, w-minor."""
    b, c, t_all, h_all, w_all = clips.shape
    t, h, w = TUBELET
    x = clips.reshape(b, c, t_all // t, t, h_all // h, h, w_all // w, w)
    out = torch.einsum("bcTtHhWw,thwcd->bTHWd", x, t64(p["kernel"])) + t64(p["bias"])
    return out.reshape(b, t_all // t, (h_all // h) * (w_all // w), WIDTH)


def run_encoder(x, encoder, layers, trace=None, name=None):
    """trace (a dict) gets `name/posembed_input` (x plus the position embedding) and `name/encoderblock_i` (block i's
    output, before encoder_norm)."""
    x = x + t64(encoder["posembed_input"]["pos_embedding"])
    if trace is not None:
        trace[f"{name}/posembed_input"] = x
    for i in range(layers):
        x = encoder_block(x, encoder[f"encoderblock_{i}"])
        if trace is not None:
            trace[f"{name}/encoderblock_{i}"] = x
    return layer_norm(x, encoder["encoder_norm"])


def fe_forward(clips, params, trace=None):
    """MODELS.md §1.2: per-frame spatial encoder (shared weights), token 0 of each, temporal encoder, token 0.
    trace: SpatialTransformer/* are (B*nt, 1+P, D), row b*nt+t; TemporalTransformer/* are (B, 1+nt, D)."""
    tokens = tubelet_embedding(clips, params["embedding"])            # (B, nt, P, D)
    b, nt, patches, d = tokens.shape
    frames = tokens.reshape(b * nt, patches, d)
    cls = t64(params["cls_SpatialTransformer"]).expand(b * nt, 1, d)
    spatial = run_encoder(torch.cat([cls, frames], 1), params["SpatialTransformer"], FE_SPATIAL_LAYERS, trace, "SpatialTransformer")
    per_step = spatial[:, 0].reshape(b, nt, d)
    cls = t64(params["cls_TemporalTransformer"]).expand(b, 1, d)
    temporal = run_encoder(torch.cat([cls, per_step], 1), params["TemporalTransformer"], FE_TEMPORAL_LAYERS, trace,
                           "TemporalTransformer")
    head = params["output_projection"]
    return temporal[:, 0] @ t64(head["kernel"]) + t64(head["bias"])


def traced_blocks(trace, params):
    """(name, Flax block, its input, its output) for each encoder block of an fe_forward trace."""
    for encoder, layers in (("SpatialTransformer", FE_SPATIAL_LAYERS), ("TemporalTransformer", FE_TEMPORAL_LAYERS)):
        block_input = trace[f"{encoder}/posembed_input"]
        for i in range(layers):
            name = f"{encoder}/encoderblock_{i}"
            yield name, params[encoder][f"encoderblock_{i}"], block_input, trace[name]
            block_input = trace[name]


def model1_forward(clips, params, trace=None):
    """MODELS.md §1.1 with the same pieces: tokens t-major, one cls, one encoder."""
    tokens = tubelet_embedding(clips, params["embedding"])
    b, nt, patches, d = tokens.shape
    x = torch.cat([t64(params["cls"]).expand(b, 1, d), tokens.reshape(b, nt * patches, d)], 1)
    x = run_encoder(x, params["Transformer"], HF_LAYERS, trace, "Transformer")
    head = params["output_projection"]
    return x[:, 0] @ t64(head["kernel"]) + t64(head["bias"])


# ---------------------------------------------------------------------------------------------------------
# transformers reference


def hf_config(layers, classes):
    from transformers import VivitConfig

    config = VivitConfig(
        image_size=IMAGE, num_frames=FRAMES, tubelet_size=list(TUBELET), num_channels=3, hidden_size=WIDTH,
        num_hidden_layers=layers, num_attention_heads=HEADS, intermediate_size=MLP, hidden_act="gelu_fast",
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, layer_norm_eps=EPS, qkv_bias=True, num_labels=classes,
    )
    # The eager attention computes its softmax in float32 even for float64 inputs; SDPA keeps float64.
    config._attn_implementation = "sdpa"
    return config


def check(condition, message):
    if not condition:
        raise SystemExit(f"make_fixtures.py: CHECK FAILED: {message}")
    print(f"  ok  {message}")


def make_hf_fixture(clips):
    from transformers import VivitForVideoClassification

    folder = os.path.join(FIXTURES, "vivit")
    checkpoint = os.path.join(folder, "checkpoint")
    shutil.rmtree(checkpoint, ignore_errors=True)
    os.makedirs(checkpoint)

    params = random_model1_params(seed=1)
    hf4 = model1_to_hf(params)
    # Load through transformers' own loader (it maps hub names to its in-memory names), then save_pretrained.
    with tempfile.TemporaryDirectory() as scratch:
        hf_config(HF_LAYERS, HF_CLASSES).save_pretrained(scratch)
        safetensors_io.write(os.path.join(scratch, "model.safetensors"), hf4, metadata={"format": "pt"})
        model = VivitForVideoClassification.from_pretrained(scratch, attn_implementation="sdpa")
    model.config._attn_implementation = "sdpa"
    model.save_pretrained(checkpoint)
    for entry in os.listdir(checkpoint):
        if entry not in ("config.json", "model.safetensors"):
            path = os.path.join(checkpoint, entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    saved, _ = safetensors_io.read(os.path.join(checkpoint, "model.safetensors"))
    check(sorted(saved) == sorted(hf4) and all(np.array_equal(saved[k], hf4[k]) for k in hf4),
          "vivit/checkpoint holds exactly the generated weights under transformers 4 names")

    model = model.double().eval()
    with torch.no_grad():
        outputs = model(pixel_values=torch.from_numpy(clips.astype(np.float64)).permute(0, 2, 1, 3, 4), output_hidden_states=True)
    logits = outputs.logits
    trace = {}
    mine = model1_forward(torch.from_numpy(clips.astype(np.float64)), params, trace)
    diff = (logits - mine).abs().max().item()
    check(diff < 1e-10, f"Model 1 forward written here == VivitForVideoClassification (float64): max |Δlogit| {diff:.2e}")
    hidden = {f"hidden_states.{i}": state for i, state in enumerate(outputs.hidden_states)}
    mine = [trace["Transformer/posembed_input"]] + [trace[f"Transformer/encoderblock_{i}"] for i in range(HF_LAYERS)]
    diff = max((state - hidden[f"hidden_states.{i}"]).abs().max().item() for i, state in enumerate(mine))
    check(len(hidden) == HF_LAYERS + 1 and diff < 1e-10, f"hidden_states 0..{len(hidden) - 1} == embeddings + position, then "
                                                         f"each block's output before the final norm: max |Δ| {diff:.2e}")

    tensors = {"clips": clips, "logits": logits.numpy().astype(np.float32)}
    tensors.update({name: state.numpy().astype(np.float32) for name, state in hidden.items()})
    safetensors_io.write(os.path.join(folder, "io.safetensors"), tensors,
                         metadata={"made_by": "Tools/make_fixtures.py", "reference": "transformers VivitForVideoClassification, float64",
                                   "clips_layout": "N,C,T,H,W"})
    scenic = hf_to_model1(saved)
    check(all(np.array_equal(a, b) for a, b in zip(flatten(scenic).values(), flatten(params).values()))
          and list(flatten(scenic)) == list(flatten(params)),
          "inverse §1.1 transforms give back the generated Scenic Model 1 tree")
    write_scenic_checkpoint(os.path.join(folder, "scenic_checkpoint.msgpack"), scenic)
    return logits.numpy()


def make_fe_fixture(clips):
    from transformers.models.vivit.modeling_vivit import VivitLayer

    folder = os.path.join(FIXTURES, "vivit_fe")
    os.makedirs(folder, exist_ok=True)
    params = random_fe_params(seed=3)
    x = torch.from_numpy(clips.astype(np.float64))

    # Tubelet embedding == Conv3d with the transformers weight layout.
    conv = torch.nn.functional.conv3d(x, t64(params["embedding"]["kernel"]).permute(4, 3, 0, 1, 2),
                                      t64(params["embedding"]["bias"]), stride=TUBELET)
    conv = conv.flatten(3).permute(0, 2, 3, 1)     # (B, nt, gh*gw, D)
    diff = (conv - tubelet_embedding(x, params["embedding"])).abs().max().item()
    check(diff < 1e-12, f"tubelet embedding == Conv3d(kernel (2, 8, 8), stride (2, 8, 8)): max |Δ| {diff:.2e}")

    trace = {}
    logits = fe_forward(x, params, trace)
    check(len(trace) == 2 + FE_SPATIAL_LAYERS + FE_TEMPORAL_LAYERS, f"{len(trace)} encoder activations traced")
    layer = VivitLayer(hf_config(1, 1)).double().eval()
    for name, block, block_input, block_output in traced_blocks(trace, params):
        layer.load_state_dict(to_module_names(flax_block_to_hf(block), layer), strict=True)
        with torch.no_grad():
            reference = layer(block_input)
        reference = reference[0] if isinstance(reference, tuple) else reference
        diff = (reference - block_output).abs().max().item()
        check(diff < BLOCK_TOLERANCE, f"{name} == transformers VivitLayer (input {tuple(block_input.shape)}): max |Δ| {diff:.2e}")

    write_scenic_checkpoint(os.path.join(folder, "checkpoint.msgpack"), params)
    tensors = {"clips": clips, "logits": logits.numpy().astype(np.float32)}
    tensors.update({name: value.numpy().astype(np.float32) for name, value in trace.items()})
    safetensors_io.write(os.path.join(folder, "io.safetensors"), tensors,
                         metadata={"made_by": "Tools/make_fixtures.py", "reference": "factorised encoder forward (MODELS.md 1.2), float64",
                                   "clips_layout": "N,C,T,H,W", "heads": "noun 0..4, verb 5..7"})
    return params, logits.numpy()


def check_against_flax(params, clips):
    """Optional (when jax and flax are installed): the Scenic building blocks in Flax itself, float64 —
    flax.linen MultiHeadDotProductAttention/LayerNorm/Dense/gelu with Scenic's module names, nn.Conv VALID
    for the embedding — against the torch code above; and flax.serialization reads the written checkpoint."""
    try:
        import jax
        import jax.numpy as jnp
        from flax import linen as nn
        from flax import serialization
    except ImportError:
        print("  --  Flax cross-check skipped (jax/flax not installed)")
        return
    jax.config.update("jax_enable_x64", True)

    class MlpBlock(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.gelu(nn.Dense(MLP, dtype=jnp.float64, param_dtype=jnp.float64)(x), approximate=True)
            return nn.Dense(WIDTH, dtype=jnp.float64, param_dtype=jnp.float64)(x)

    class EncoderBlock(nn.Module):  # Scenic's vit.EncoderBlock at inference (dropout off)
        @nn.compact
        def __call__(self, inputs):
            x = nn.LayerNorm(epsilon=EPS, dtype=jnp.float64, param_dtype=jnp.float64)(inputs)
            x = nn.MultiHeadDotProductAttention(num_heads=HEADS, dtype=jnp.float64, param_dtype=jnp.float64)(x, x, deterministic=True)
            x = x + inputs
            y = nn.LayerNorm(epsilon=EPS, dtype=jnp.float64, param_dtype=jnp.float64)(x)
            return x + MlpBlock()(y)

    as64 = lambda tree: map_tree(tree, lambda a: jnp.asarray(a, dtype=jnp.float64))
    x = torch.from_numpy(clips.astype(np.float64))
    trace = {}
    fe_forward(x, params, trace)
    for name, block, block_input, block_output in traced_blocks(trace, params):
        flax_out = EncoderBlock().apply({"params": as64(block)}, jnp.asarray(block_input.numpy()))
        diff = float(np.abs(np.asarray(flax_out) - block_output.numpy()).max())
        check(diff < BLOCK_TOLERANCE, f"{name} == flax.linen EncoderBlock (Scenic names, (D,H,dh) kernels): max |Δ| {diff:.2e}")
    conv = nn.Conv(WIDTH, kernel_size=TUBELET, strides=TUBELET, padding="VALID", dtype=jnp.float64, param_dtype=jnp.float64)
    flax_tokens = conv.apply({"params": as64(params["embedding"])}, jnp.asarray(x.permute(0, 2, 3, 4, 1).numpy()))
    flax_tokens = np.asarray(flax_tokens).reshape(x.shape[0], STEPS, PATCHES, WIDTH)
    diff = float(np.abs(flax_tokens - tubelet_embedding(x, params["embedding"]).numpy()).max())
    check(diff < 1e-12, f"tubelet embedding == flax.linen Conv VALID on (B, T, H, W, C): max |Δ| {diff:.2e}")
    with open(os.path.join(FIXTURES, "vivit_fe", "checkpoint.msgpack"), "rb") as f:
        restored = flatten(serialization.msgpack_restore(f.read())["optimizer"]["target"])
    flat = flatten(params)
    check(list(restored) == list(flat) and all(np.array_equal(restored[k], flat[k]) for k in flat),
          "flax.serialization.msgpack_restore reads vivit_fe/checkpoint.msgpack back exactly")


# ---------------------------------------------------------------------------------------------------------
# Converter checks


def run_converter(arguments):
    python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    result = subprocess.run([python, os.path.join(HERE, "convert.py")] + arguments, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"make_fixtures.py: convert.py {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")
    return python


def check_converter(fe_params):
    with tempfile.TemporaryDirectory() as scratch:
        x1, x2, x3 = (os.path.join(scratch, name) for name in ("x1", "x2", "x3"))
        python = run_converter(["hf-vivit", os.path.join(FIXTURES, "vivit", "checkpoint"), x1])
        run_converter(["scenic-vivit", os.path.join(FIXTURES, "vivit_fe", "checkpoint.msgpack"), x2,
                       "--class-splits", "5,3", "--split-names", "noun,verb"])
        run_converter(["scenic-vivit", os.path.join(FIXTURES, "vivit", "scenic_checkpoint.msgpack"), x3, "--frames", str(FRAMES)])
        print(f"  (converter run by {python})")

        hf, _ = safetensors_io.read(os.path.join(FIXTURES, "vivit", "checkpoint", "model.safetensors"))
        t1, _ = safetensors_io.read(os.path.join(x1, "model.safetensors"))
        t3, _ = safetensors_io.read(os.path.join(x3, "model.safetensors"))
        check(sorted(t1) == sorted(hf) and all(np.array_equal(t1[k], hf[k]) for k in hf),
              f"hf-vivit output == the transformers checkpoint ({len(hf)} tensors)")
        check(sorted(t3) == sorted(t1) and all(t3[k].shape == t1[k].shape and np.array_equal(t3[k], t1[k]) for k in t1),
              "scenic-vivit (Model 1) output == hf-vivit output, every tensor bit for bit")
        t2, _ = safetensors_io.read(os.path.join(x2, "model.safetensors"))
        flat = flatten(fe_params)
        check(sorted(t2) == sorted(flat) and all(np.array_equal(t2[k], flat[k]) for k in flat),
              f"scenic-vivit (factorised) output == the Flax tree, names and shapes kept ({len(flat)} tensors)")

        c1, c2, c3 = (json.load(open(os.path.join(x, "config.json"))) for x in (x1, x2, x3))
        model1 = {"hidden_size": WIDTH, "num_layers": HF_LAYERS, "num_heads": HEADS, "mlp_dim": MLP, "tubelet_size": list(TUBELET),
                  "num_frames": FRAMES, "image_size": IMAGE, "layer_norm_eps": EPS, "gelu": "tanh"}
        check(c1["architecture"] == "vivit" and c1["model"] == model1 and c1["heads"] == [{"name": "label", "classes": HF_CLASSES, "labels": None}]
              and c1["head_layout"] == "single", "hf-vivit config.json")
        check({k: v for k, v in c3.items() if k != "name"} == {k: v for k, v in c1.items() if k != "name"},
              "scenic-vivit (Model 1) config.json == hf-vivit config.json")
        encoder = {"num_layers": 2, "num_heads": HEADS, "mlp_dim": MLP}
        fe_model = {"hidden_size": WIDTH, "spatial": encoder, "temporal": encoder, "tubelet_size": list(TUBELET),
                    "num_frames": FRAMES, "image_size": IMAGE, "layer_norm_eps": EPS, "gelu": "tanh"}
        check(c2["architecture"] == "vivit_factorised_encoder" and c2["model"] == fe_model and c2["head_layout"] == "split"
              and c2["heads"] == [{"name": "noun", "classes": 5, "labels": None}, {"name": "verb", "classes": 3, "labels": None}],
              "scenic-vivit (factorised) config.json")
        preprocessing = {"frames_per_clip": FRAMES, "stride": 2, "short_side": 256, "crop_size": IMAGE,
                         "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "temporal_views": 4, "spatial_crops": 3}
        check(all(c["preprocessing"] == preprocessing and c["aggregation"] == "per_view" for c in (c1, c2, c3)),
              "preprocessing defaults (mean = std = 0.5, short side 256, 4x3 views, per_view)")


# ---------------------------------------------------------------------------------------------------------
# ir-CSN: pytorchvideo's own builder, saved as a model-zoo .pyth and as a VMZ-named state dict (MODELS.md §3)

CSN_CLASSES = 7
CSN_STEM = 4  # stage widths 4/8/16/32 inside, 16/32/64/128 out: far from the published 64/256


def randomise_statistics(model, seed):
    """Random BatchNorm affine parameters and running statistics (so that folding them is exercised), then
    every parameter rounded to float32 (the model stays float64, so the reference is computed in float64)."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm3d):
                count = module.num_features
                module.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, count)))
                module.bias.copy_(torch.tensor(rng.normal(0, 0.2, count)))
                module.running_mean.copy_(torch.tensor(rng.normal(0, 0.2, count)))
                module.running_var.copy_(torch.tensor(rng.uniform(0.5, 1.5, count)))
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.float().double())
    return model.eval()


RECORDED_BLOCKS = 5  # the stem and the four res stages (the blocks before the pooling and the head)


def scaled_logits(model, inputs):
    """The model's float64 logits for `inputs()`, after scaling its projection (kept float32-exact) so they are
    O(1), and, from that same forward, the outputs of model.blocks[0..4] (float32): `blocks.i` (N, C, T, H, W), or
    `blocks.i.j` for pathway j when the block returns a list. (A fresh input each call, and each list output copied
    in its hook: pytorchvideo's multipathway blocks overwrite the list they are given.)"""
    recorded = {}

    def recorder(index):
        def hook(module, args, output):
            outputs = {f"blocks.{index}": output} if torch.is_tensor(output) else {f"blocks.{index}.{j}": o for j, o in enumerate(output)}
            recorded.update({name: value.numpy().astype(np.float32) for name, value in outputs.items()})
        return hook

    with torch.no_grad():
        proj = model.blocks[-1].proj
        proj.weight.mul_(2.0 / float(model(inputs()).std()))
        proj.weight.copy_(proj.weight.float().double())
        hooks = [model.blocks[i].register_forward_hook(recorder(i)) for i in range(RECORDED_BLOCKS)]
        try:
            logits = model(inputs()).numpy()
        finally:
            for hook in hooks:
                hook.remove()
    return logits, recorded


def build_csn(seed, eps, stem_kernel, head_pool_kernel):
    """A random `create_csn(model_depth=50)`. (pytorchvideo passes eps 1e-5 to every norm it builds; the norm
    factory here ignores it for the VMZ-like 1e-3.)"""
    from pytorchvideo.models.csn import create_csn
    torch.manual_seed(seed)
    model = create_csn(model_depth=50, model_num_class=CSN_CLASSES, stem_dim_out=CSN_STEM, stem_conv_kernel_size=stem_kernel,
                       stem_pool=torch.nn.MaxPool3d, head_pool_kernel_size=head_pool_kernel,
                       norm=lambda num_features, **_: torch.nn.BatchNorm3d(num_features, eps=eps))
    return randomise_statistics(model, seed)


def float32_state(model):
    return {name: (value.float() if value.is_floating_point() else value) for name, value in model.state_dict().items()}


def vmz_name(name):
    """pytorchvideo -> VMZ (torchvision VideoResNet) names, written independently of convert.py's inverse map."""
    rules = [(r"^blocks\.0\.conv\.", "stem.0."), (r"^blocks\.0\.norm\.", "stem.1."), (r"^blocks\.5\.proj\.", "fc."),
             (r"^blocks\.(\d)\.res_blocks\.(\d+)\.branch1_conv\.", r"layer\1.\2.downsample.0."),
             (r"^blocks\.(\d)\.res_blocks\.(\d+)\.branch1_norm\.", r"layer\1.\2.downsample.1.")]
    for index, (conv, norm) in enumerate((("conv_a", "norm_a"), ("conv_b", "norm_b"), ("conv_c", "norm_c")), start=1):
        rules.append((rf"^blocks\.(\d)\.res_blocks\.(\d+)\.branch2\.{conv}\.", rf"layer\1.\2.conv{index}.0."))
        rules.append((rf"^blocks\.(\d)\.res_blocks\.(\d+)\.branch2\.{norm}\.", rf"layer\1.\2.conv{index}.1."))
    for pattern, replacement in rules:
        if re.match(pattern, name):
            return re.sub(pattern, replacement, name)
    raise SystemExit(f"make_fixtures.py: no VMZ name for {name}")


def make_csn_fixtures():
    """csn/pytorchvideo.pyth: eps 1e-5, stem kernel (3, 5, 5), windowed head (1, 2, 2) over a (1, 3, 3) final map,
    so it differs from a global average; clips (2, 3, 8, 80, 80). csn/vmz.pth (legacy torch.save format): eps
    1e-3, stem (3, 7, 7), a head window covering the whole (1, 2, 2) final map, i.e. VMZ's global average;
    clips (1, 3, 8, 64, 64)."""
    folder = os.path.join(FIXTURES, "csn")
    os.makedirs(folder, exist_ok=True)

    model = build_csn(11, 1e-5, (3, 5, 5), (1, 2, 2))
    clips = np.random.default_rng(12).standard_normal((2, 3, 8, 80, 80)).astype(np.float32)
    logits, blocks = scaled_logits(model, lambda: torch.tensor(clips, dtype=torch.float64))
    with torch.no_grad():
        features = model.blocks[4](model.blocks[3](model.blocks[2](model.blocks[1](model.blocks[0](torch.tensor(clips, dtype=torch.float64))))))
        global_logits = model.blocks[5].proj(features.mean(dim=(2, 3, 4))).numpy()
    check(tuple(features.shape[2:]) == (1, 3, 3), f"pytorchvideo CSN final map {tuple(features.shape[2:])} == (1, 3, 3)")
    check(np.abs(global_logits - logits).max() > 1e-2, "its windowed head differs from a global average "
          f"(max |Δ| {np.abs(global_logits - logits).max():.3f})")
    torch.save({"epoch": 1, "model_state": float32_state(model)}, os.path.join(folder, "pytorchvideo.pyth"))
    safetensors_io.write(os.path.join(folder, "io.safetensors"), {"clips": clips, "logits": logits.astype(np.float32), **blocks})
    print(f"  pytorchvideo CSN: logits {logits.shape}")

    model = build_csn(13, 1e-3, (3, 7, 7), (1, 2, 2))
    clips = np.random.default_rng(14).standard_normal((1, 3, 8, 64, 64)).astype(np.float32)
    logits, blocks = scaled_logits(model, lambda: torch.tensor(clips, dtype=torch.float64))
    state = {vmz_name(name): value for name, value in float32_state(model).items()}
    torch.save(state, os.path.join(folder, "vmz.pth"), _use_new_zipfile_serialization=False)
    safetensors_io.write(os.path.join(folder, "vmz_io.safetensors"), {"clips": clips, "logits": logits.astype(np.float32), **blocks})
    print(f"  VMZ-named CSN: logits {logits.shape}")

    with tempfile.TemporaryDirectory() as scratch:
        run_converter(["pytorchvideo", os.path.join(folder, "pytorchvideo.pyth"), os.path.join(scratch, "p"), "--frames", "8"])
        run_converter(["vmz-csn", os.path.join(folder, "vmz.pth"), os.path.join(scratch, "v"), "--frames", "8"])
        converted, _ = safetensors_io.read(os.path.join(scratch, "v", "model.safetensors"))
        original = {name: value.numpy() for name, value in float32_state(model).items() if not name.endswith("num_batches_tracked")}
        check(sorted(converted) == sorted(original) and all(np.array_equal(converted[k], original[k]) for k in original),
              f"vmz-csn output == the pytorchvideo state dict it was renamed from ({len(original)} tensors)")
        p, v = (json.load(open(os.path.join(scratch, x, "config.json"))) for x in ("p", "v"))
        sizes = {"depths": [3, 4, 6, 3], "stem_channels": CSN_STEM, "inner_channels": [4, 8, 16, 32], "output_channels": [16, 32, 64, 128]}
        check(all(p["model"][k] == sizes[k] == v["model"][k] for k in sizes), "converted CSN sizes read from the shapes")
        check((p["model"]["stem_kernel"], v["model"]["stem_kernel"]) == ([3, 5, 5], [3, 7, 7]), "stem kernels read from the shapes")
        check((p["model"]["batch_norm_eps"], p["model"]["head_pool"], p["model"]["head_pool_kernel"]) == (1e-5, "windowed", [1, 7, 7])
              and (v["model"]["batch_norm_eps"], v["model"]["head_pool"]) == (1e-3, "global"),
              "format defaults: pytorchvideo eps 1e-5 windowed (frames/8, 7, 7), VMZ eps 1e-3 global")


# ---------------------------------------------------------------------------------------------------------
# SlowFast: pytorchvideo's own builder, saved as a model-zoo .pyth and, PySlowFast-named with a verb and a noun
# head, as the EPIC-KITCHENS checkpoint is (MODELS.md §4)

SLOWFAST_CLASSES = 7
EPIC_VERBS, EPIC_NOUNS = 5, 6


def build_slowfast(seed, stems, reduction, alpha, fusion_kernel, head_pool_kernels, classes, third_stage_kernels):
    """A random `create_slowfast(model_depth=50)` with the given widths, alpha, fusion kernel and the temporal
    kernels of the third stage's blocks (R101_50_50 style: a per-block list)."""
    from pytorchvideo.models.slowfast import create_slowfast
    torch.manual_seed(seed)
    def stage_kernels(per_stage):
        return tuple(tuple((k, 1, 1) for k in kernel) if isinstance(kernel, tuple) else (kernel, 1, 1) for kernel in per_stage)
    kernels = (stage_kernels((1, 1, third_stage_kernels, 3)), stage_kernels((3, 3, third_stage_kernels, 3)))
    model = create_slowfast(model_depth=50, model_num_class=classes, stem_dim_outs=stems, slowfast_channel_reduction_ratio=(reduction,),
                            slowfast_fusion_conv_kernel_size=(fusion_kernel, 1, 1), slowfast_fusion_conv_stride=(alpha, 1, 1),
                            stage_conv_a_kernel_sizes=kernels, head_pool_kernel_sizes=head_pool_kernels)
    return randomise_statistics(model, seed)


def slowfast_inputs(clips, alpha):
    """[slow, fast] as PySlowFast's pack_pathway_output makes them: slow frames at linspace(0, T-1, T/alpha).long()."""
    fast = torch.tensor(clips, dtype=torch.float64)
    frames = fast.shape[2]
    return [fast.index_select(2, torch.linspace(0, frames - 1, frames // alpha).long()), fast]


def pyslowfast_name(name):
    """pytorchvideo -> PySlowFast names, written independently of convert.py's map (heads handled by the caller)."""
    branches = {"branch1_conv": "branch1", "branch1_norm": "branch1_bn"}
    for x in "abc":
        branches[f"branch2.conv_{x}"], branches[f"branch2.norm_{x}"] = f"branch2.{x}", f"branch2.{x}_bn"
    m = re.match(r"^blocks\.0\.multipathway_blocks\.(\d)\.(conv|norm)\.(\w+)$", name)
    if m:
        return f"s1.pathway{m[1]}_stem.{'conv' if m[2] == 'conv' else 'bn'}.{m[3]}"
    m = re.match(r"^blocks\.(\d)\.multipathway_fusion\.(conv_fast_to_slow|norm)\.(\w+)$", name)
    if m:
        return f"s{int(m[1]) + 1}_fuse.{'conv_f2s' if m[2] == 'conv_fast_to_slow' else 'bn'}.{m[3]}"
    m = re.match(r"^blocks\.(\d)\.multipathway_blocks\.(\d)\.res_blocks\.(\d+)\.(branch1_conv|branch1_norm|branch2\.\w+)\.(\w+)$", name)
    if m:
        return f"s{int(m[1]) + 1}.pathway{m[2]}_res{m[3]}.{branches[m[4]]}.{m[5]}"
    raise SystemExit(f"make_fixtures.py: no PySlowFast name for {name}")


def make_slowfast_fixtures():
    """slowfast/pytorchvideo.pyth: stems (4, 2), fast widths 1/2 of slow, alpha 2, fusion kernel 5, third-stage
    temporal kernels 3, 3, 1, 1, 1, 1; clips (1, 3, 8, 80, 80), final maps (4 | 8, 3, 3) under windows (4 | 8, 2, 2),
    so logits averaged over 2x2 positions. slowfast/epic.pyth: PySlowFast names, stems (4, 1), alpha 4,
    fusion kernel 7, heads verb 5 and noun 6; clips (1, 3, 8, 64, 64), one head position."""
    folder = os.path.join(FIXTURES, "slowfast")
    os.makedirs(folder, exist_ok=True)

    model = build_slowfast(21, stems=(4, 2), reduction=2, alpha=2, fusion_kernel=5, head_pool_kernels=((4, 2, 2), (8, 2, 2)),
                           classes=SLOWFAST_CLASSES, third_stage_kernels=(3, 3, 1, 1, 1, 1))
    clips = np.random.default_rng(22).standard_normal((1, 3, 8, 80, 80)).astype(np.float32)
    check(slowfast_inputs(clips, 2)[0].shape[2] == 4, "slow frames of 8 at alpha 2: linspace(0, 7, 4) -> 0, 2, 4, 7")
    logits, blocks = scaled_logits(model, lambda: slowfast_inputs(clips, 2))
    torch.save({"epoch": 1, "model_state": float32_state(model)}, os.path.join(folder, "pytorchvideo.pyth"))
    safetensors_io.write(os.path.join(folder, "io.safetensors"), {"clips": clips, "logits": logits.astype(np.float32), **blocks})
    print(f"  pytorchvideo SlowFast: logits {logits.shape}")

    model = build_slowfast(23, stems=(4, 1), reduction=4, alpha=4, fusion_kernel=7, head_pool_kernels=((2, 2, 2), (8, 2, 2)),
                           classes=EPIC_VERBS + EPIC_NOUNS, third_stage_kernels=3)
    clips = np.random.default_rng(24).standard_normal((1, 3, 8, 64, 64)).astype(np.float32)
    logits, blocks = scaled_logits(model, lambda: slowfast_inputs(clips, 4))
    state = {}
    for name, value in float32_state(model).items():
        if name.startswith("blocks.6.proj."):
            part = name.rsplit(".", 1)[1]
            state[f"head.projection_verb.{part}"] = value[:EPIC_VERBS].clone()
            state[f"head.projection_noun.{part}"] = value[EPIC_VERBS:].clone()
        else:
            state[pyslowfast_name(name)] = value
    torch.save({"epoch": 30, "model_state": state}, os.path.join(folder, "epic.pyth"))
    safetensors_io.write(os.path.join(folder, "epic_io.safetensors"), {"clips": clips, "logits": logits.astype(np.float32), **blocks})
    print(f"  EPIC-named SlowFast: logits {logits.shape} (verb {EPIC_VERBS} then noun {EPIC_NOUNS})")

    with tempfile.TemporaryDirectory() as scratch:
        run_converter(["pytorchvideo", os.path.join(folder, "pytorchvideo.pyth"), os.path.join(scratch, "p"), "--frames", "8", "--alpha", "2"])
        run_converter(["epic-slowfast", os.path.join(folder, "epic.pyth"), os.path.join(scratch, "e"), "--frames", "8"])
        p, e = (json.load(open(os.path.join(scratch, x, "config.json"))) for x in ("p", "e"))
        check(p["model"]["slow"]["conv_a_kernels"][2] == [3, 3, 1, 1, 1, 1] and p["model"]["fast"]["conv_a_kernels"][0] == [3, 3, 3]
              and p["model"]["fusion_kernel"] == 5 and p["model"]["alpha"] == 2, "pytorchvideo SlowFast kernels and alpha")
        check([h["name"] for h in e["heads"]] == ["verb", "noun"] and e["model"]["fusion_kernel"] == 7
              and e["model"]["head_pool_kernels"] == [[2, 7, 7], [8, 7, 7]], "epic-slowfast heads (verb, noun) and defaults")


def main():
    parser = argparse.ArgumentParser(description="Makes the parity fixtures in Tests/Fixtures/.")
    parser.add_argument("which", nargs="*", choices=["vivit", "vivit-attention", "csn", "slowfast", "timesformer", "uniformerv2"],
                        help="which fixtures (default: all)")
    which = parser.parse_args().which or ["vivit", "vivit-attention", "csn", "slowfast", "timesformer", "uniformerv2"]
    os.makedirs(FIXTURES, exist_ok=True)
    if "uniformerv2" in which:
        from uniformerv2_fixtures import make_uniformerv2_fixtures  # MMAction2's sources (see there)
        print("UniFormerV2 (MMAction2):")
        make_uniformerv2_fixtures()
    if "timesformer" in which:
        from timesformer_fixtures import make_timesformer_fixtures
        print("TimeSformer (transformers):")
        make_timesformer_fixtures()
    if "csn" in which:
        print("ir-CSN (pytorchvideo create_csn):")
        make_csn_fixtures()
    if "slowfast" in which:
        print("SlowFast (pytorchvideo create_slowfast):")
        make_slowfast_fixtures()
    if "vivit-attention" in which:
        from vivit_attention_fixtures import make_factorised_attention_fixtures  # needs jax, flax and Scenic (see there)
        make_factorised_attention_fixtures()
    if "vivit" not in which:
        return
    clips_hf = np.random.default_rng(2).standard_normal((2, 3, FRAMES, IMAGE, IMAGE)).astype(np.float32)
    clips_fe = np.random.default_rng(4).standard_normal((2, 3, FRAMES, IMAGE, IMAGE)).astype(np.float32)
    print("ViViT Model 1 (transformers):")
    hf_logits = make_hf_fixture(clips_hf)
    print("ViViT factorised encoder (Scenic layout):")
    fe_params, fe_logits = make_fe_fixture(clips_fe)
    check_against_flax(fe_params, clips_fe)
    print("Converter:")
    check_converter(fe_params)

    print("Summary:")
    for name, logits in (("vivit", hf_logits), ("vivit_fe", fe_logits)):
        spread = logits.max(1) - logits.min(1)
        print(f"  {name:9s} logits {logits.shape}: max |logit| {np.abs(logits).max():.3f}, "
              f"per-row range {', '.join(f'{s:.3f}' for s in spread)}, argmax {logits.argmax(1).tolist()}")
    total = 0
    for folder, _, files in sorted(os.walk(FIXTURES)):
        for file in sorted(files):
            path = os.path.join(folder, file)
            size = os.path.getsize(path)
            total += size
            print(f"  {os.path.relpath(path, ROOT):55s} {size:>9,d} bytes")
    print(f"  {'total':55s} {total:>9,d} bytes")


if __name__ == "__main__":
    main()
