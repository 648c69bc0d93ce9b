#!/usr/bin/env python3
"""Makes the ViViT Model 3 and Model 4 parity fixtures (MODELS.md §1.5) with Scenic's own ViViT module.

Scenic has no package on PyPI, so its sources are copied out of a checkout of google-research/scenic (the
fixtures were made at 4a38d475, with jax 0.10.2 and flax 0.12.8), all outside this repository:

    python3 -m venv ~/.cache/vivid-jax-venv
    ~/.cache/vivid-jax-venv/bin/pip install jax flax ml_collections numpy msgpack immutabledict clu
    mkdir -p ~/.cache/vivid-scenic
    git -C SCENIC_CHECKOUT archive 4a38d475 scenic/__init__.py scenic/common_lib scenic/model_lib \\
        scenic/projects/__init__.py scenic/projects/baselines scenic/projects/vivit | tar -x -C ~/.cache/vivid-scenic
    # scenic/projects/baselines/vit.py imports tensorflow.io.gfile (for reading npz files, never used here):
    # a two-file stand-in instead of installing TensorFlow
    mkdir -p ~/.cache/vivid-scenic-shims/tensorflow/io
    touch ~/.cache/vivid-scenic-shims/tensorflow/__init__.py
    echo 'gfile = None' > ~/.cache/vivid-scenic-shims/tensorflow/io/__init__.py

    ~/.cache/vivid-jax-venv/bin/python Tools/vivit_attention_fixtures.py
    (or Tools/make_fixtures.py vivit-attention, in a venv that has torch as well)

VIVID_SCENIC and VIVID_SCENIC_SHIMS override the two folders. Sizes as Tools/make_fixtures.py's ViViT fixtures
except the heads: hidden 60 in 6 heads of 10 (Model 4 needs an even count), MLP 84, image 32, 8 frames, tubelet
(2, 8, 8), 2 layers, 7 classes, gap pooling, LayerNorm eps 1e-6, tanh GELU. It writes:

  vivit_fsa/checkpoint.msgpack          Model 3 (attention_config.type factorized_self_attention_block), a Scenic
                                        TrainState written by flax.serialization (parameters under
                                        ['optimizer']['target']; keys sorted, as jax's tree functions leave them
                                        in a trained checkpoint, so the order tells nothing about attention_order)
  vivit_fsa/io.safetensors              clips (2, 3, 8, 32, 32) float32 (Vivid's N, C, T, H, W) and Scenic's logits
                                        (2, 7) with attention_order time_space (Scenic's default); and Scenic's
                                        activations, by module path: Transformer/posembed_input (the encoder's
                                        input, tokens + position embedding) and Transformer/encoderblock_0, _1 (each
                                        block's output), all (2, 64, 60) = (N, T*P, D), tokens time-major (t*16 + p)
  vivit_fsa/space_time_io.safetensors   the same clips and checkpoint, attention_order space_time
  vivit_fdpa/checkpoint.msgpack         Model 4 (factorized_dot_product_attention)
  vivit_fdpa/io.safetensors             clips, logits and activations as above, but Model 4's blocks work on the
                                        (N, T, P, D) grid: encoderblock_0, _1 are (2, 4, 16, 60)

The logits and activations (stored as float32) come from one Scenic ViViT.apply in float64 (jax x64, every
module's dtype float64, the float32 weights widened exactly); the activations are its modules' own outputs, taken
by flax's capture_intermediates. A float64 numpy forward written from MODELS.md §1.5 must agree with the logits,
which checks that description as well; then the checkpoints are read back by flax.serialization and converted by
Tools/convert.py (by the system python3 when there is one, as the converter needs only numpy and msgpack).
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
sys.dont_write_bytecode = True  # keep Tools/ free of __pycache__
sys.path.insert(0, HERE)
import safetensors_io  # noqa: E402

SCENIC = os.environ.get("VIVID_SCENIC", os.path.expanduser("~/.cache/vivid-scenic"))
SCENIC_SHIMS = os.environ.get("VIVID_SCENIC_SHIMS", os.path.expanduser("~/.cache/vivid-scenic-shims"))

WIDTH, HEADS, HEAD_DIM, MLP = 60, 6, 10, 84
IMAGE, FRAMES, TUBELET = 32, 8, (2, 8, 8)
LAYERS, CLASSES, EPS = 2, 7, 1e-6
STEPS = FRAMES // TUBELET[0]                              # 4 tubelets in time
PATCHES = (IMAGE // TUBELET[1]) * (IMAGE // TUBELET[2])   # 16 per frame
TOLERANCE = 1e-10
MODEL3, MODEL4 = "factorized_self_attention_block", "factorized_dot_product_attention"
# Scenic's modules whose outputs the io files hold: the encoder's input and every block's output
CAPTURED = ("Transformer/posembed_input",) + tuple(f"Transformer/encoderblock_{i}" for i in range(LAYERS))

# Random values (mean, std) by parameter name, first match: std large enough that logits are O(1) and differ by
# class; every LayerNorm scale and bias and every bias away from its init (1, 0 and ~0).
RANDOM = [(r"/scale$", 1.0, 0.2), (r"^output_projection/bias$", 0.0, 0.2), (r"/bias$", 0.0, 0.1),
          (r"/pos_embedding$", 0.0, 0.5), (r"^embedding/kernel$", 0.0, 0.06), (r"/(query|key|value)/kernel$", 0.0, 0.2),
          (r"/out/kernel$", 0.0, 0.15), (r"/Dense_0/kernel$", 0.0, 0.2), (r"/Dense_1/kernel$", 0.0, 0.15),
          (r"^output_projection/kernel$", 0.0, 0.5)]


def check(condition, message):
    if not condition:
        raise SystemExit(f"vivit_attention_fixtures.py: CHECK FAILED: {message}")
    print(f"  ok  {message}")


def map_tree(tree, fn, prefix=""):
    """{key: subtree or fn(name, leaf)}, keeping the key order."""
    return {k: map_tree(v, fn, f"{prefix}/{k}" if prefix else k) if isinstance(v, dict)
            else fn(f"{prefix}/{k}" if prefix else k, v) for k, v in tree.items()}


def flatten(tree, prefix=""):
    out = {}
    for k, v in tree.items():
        name = f"{prefix}/{k}" if prefix else k
        out.update(flatten(v, name) if isinstance(v, dict) else {name: v})
    return out


# ---------------------------------------------------------------------------------------------------------
# Scenic's ViViT


def import_scenic():
    sys.path[:0] = [SCENIC, SCENIC_SHIMS]
    try:
        import jax
        from scenic.projects.vivit import model
    except ImportError as error:
        raise SystemExit(f"vivit_attention_fixtures.py: {error}; set up jax, flax and Scenic as this file's docstring says")
    jax.config.update("jax_enable_x64", True)
    return model


def build(vivit, attention_type, order=None):
    """Scenic's ViViT as ViViTClassificationModel builds it for `attention_type`, at inference, in float64."""
    import jax.numpy as jnp
    import ml_collections
    attention = {"type": attention_type}
    if order is not None:
        attention["attention_order"] = order
    return vivit.ViViT(
        mlp_dim=MLP, num_layers=LAYERS, num_heads=HEADS, num_classes=CLASSES, hidden_size=WIDTH,
        patches=ml_collections.ConfigDict({"size": (TUBELET[1], TUBELET[2], TUBELET[0])}),  # Scenic's (h, w, t)
        temporal_encoding_config=ml_collections.ConfigDict({"method": "3d_conv"}),
        attention_config=ml_collections.ConfigDict(attention), classifier="gap", representation_size=None,
        dropout_rate=0.0, attention_dropout_rate=0.0, dtype=jnp.float64)


def random_params(module, seed):
    """Scenic's own tree (names, shapes and order from module.init) filled with float32 random values."""
    import jax
    import jax.numpy as jnp
    rng = np.random.default_rng(seed)
    tree = module.init(jax.random.PRNGKey(0), jnp.zeros((1, FRAMES, IMAGE, IMAGE, 3)), train=False)["params"]

    def fill(name, leaf):
        mean, std = next((mean, std) for pattern, mean, std in RANDOM if re.search(pattern, name))
        return (mean + std * rng.standard_normal(leaf.shape)).astype(np.float32)
    return map_tree(tree, fill)


def scenic_apply(module, params, clips):
    """clips (N, C, T, H, W) float32 -> Scenic's float64 logits (Scenic takes N, T, H, W, C) and, from the same
    apply, {module path: float64 output} for the CAPTURED modules (flax's capture_intermediates records each one's
    __call__ result; it adds no computation, so the logits are what a plain apply gives)."""
    import jax.numpy as jnp
    wide = map_tree(params, lambda _, a: jnp.asarray(a, dtype=jnp.float64))
    logits, state = module.apply(
        {"params": wide}, jnp.asarray(clips.astype(np.float64).transpose(0, 2, 3, 4, 1)), train=False,
        capture_intermediates=lambda m, method: method == "__call__" and "/".join(m.path) in CAPTURED,
        mutable=["intermediates"])
    check(logits.dtype == jnp.float64 and logits.shape == (clips.shape[0], CLASSES), f"Scenic logits {logits.shape} {logits.dtype}")
    captured = {name[:-len("/__call__")]: np.asarray(value[0])
                for name, value in flatten(state["intermediates"]).items()}
    check(sorted(captured) == sorted(CAPTURED) and all(a.dtype == np.float64 for a in captured.values()),
          f"Scenic activations {', '.join(f'{k} {v.shape}' for k, v in captured.items())}")
    return np.asarray(logits), captured


def write_checkpoint(path, params):
    """A Scenic TrainState as its checkpoints store it (flax.optim optimizer with the parameters as target),
    serialised by flax itself (which sorts every map's keys)."""
    from flax import serialization
    state = {
        "global_step": 1000,
        "optimizer": {"target": params, "state": {"step": np.int64(1000), "param_states": {}}},
        "model_state": {},
        "rng": np.array([0, 42], dtype=np.uint32),
        "accum_train_time": np.float64(12.5),
    }
    with open(path, "wb") as f:
        f.write(serialization.msgpack_serialize(state))
    with open(path, "rb") as f:
        restored = flatten(serialization.msgpack_restore(f.read())["optimizer"]["target"])
    flat = flatten(params)
    check(sorted(restored) == sorted(flat) and all(np.array_equal(restored[k], flat[k]) for k in flat),
          f"flax.serialization reads {os.path.relpath(path, FIXTURES)} back exactly ({len(flat)} tensors)")


# ---------------------------------------------------------------------------------------------------------
# The float64 numpy forward written from MODELS.md §1.5 (not from Scenic's code), on the Flax tree


def layer_norm(x, p):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * p["scale"] + p["bias"]


def mlp(x, p):
    y = x @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"]
    y = 0.5 * y * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (y + 0.044715 * y ** 3)))
    return y @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"]


def attend(q, k, v, axis):
    """Softmax attention of (B, nt, S, heads, hd) tensors along axis 1 (time) or 2 (space), the other batched."""
    q, k, v = (np.moveaxis(a, axis, 3) for a in (q, k, v))   # (B, other, heads, L, hd)
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return np.moveaxis(weights @ v, 3, axis)


def multi_head(y, p, axes):
    """Attention on the (B, nt, S, D) grid; the heads split into len(axes) equal groups in head order, group i
    attending along axes[i]; one out projection over all heads."""
    q, k, v = (np.einsum("btsd,dhk->btshk", y, p[part]["kernel"]) + p[part]["bias"] for part in ("query", "key", "value"))
    groups = zip(*(np.split(a, len(axes), axis=3) for a in (q, k, v)))
    heads = np.concatenate([attend(*group, axis) for group, axis in zip(groups, axes)], axis=3)
    return np.einsum("btshk,hkd->btsd", heads, p["out"]["kernel"]) + p["out"]["bias"]


def reference_forward(params, clips, attention_type, order="time_space"):
    p = map_tree(params, lambda _, a: a.astype(np.float64))
    b = clips.shape[0]
    t, h, w = TUBELET
    x = clips.astype(np.float64).reshape(b, 3, STEPS, t, IMAGE // h, h, IMAGE // w, w)
    x = np.einsum("bcTtHhWw,thwcd->bTHWd", x, p["embedding"]["kernel"]) + p["embedding"]["bias"]
    encoder = p["Transformer"]
    x = x.reshape(b, STEPS * PATCHES, WIDTH) + encoder["posembed_input"]["pos_embedding"]  # token = ti*S + hi*nw + wi
    x = x.reshape(b, STEPS, PATCHES, WIDTH)
    for i in range(LAYERS):
        block = encoder[f"encoderblock_{i}"]
        if attention_type == MODEL3:
            for axis in {"time_space": ("time", "space"), "space_time": ("space", "time")}[order]:
                x = x + multi_head(layer_norm(x, block[f"LayerNorm_{axis}"]), block[f"MultiHeadDotProductAttention_{axis}"],
                                   (1 if axis == "time" else 2,))
            x = x + mlp(layer_norm(x, block["LayerNorm_mlp"]), block["MlpBlock"])
        else:
            x = x + multi_head(layer_norm(x, block["LayerNorm_0"]), block["MultiHeadDotProductAttention_0"], (1, 2))
            x = x + mlp(layer_norm(x, block["LayerNorm_1"]), block["MlpBlock_0"])
    pooled = layer_norm(x, encoder["encoder_norm"]).mean(axis=(1, 2))   # gap over all nt * S tokens
    return pooled @ p["output_projection"]["kernel"] + p["output_projection"]["bias"]


# ---------------------------------------------------------------------------------------------------------
# Fixtures


def write_io(path, clips, logits, activations, reference):
    import flax
    import jax
    layouts = ", ".join(f"{name} {'N,T,P,D' if a.ndim == 4 else 'N,T*P,D'}" for name, a in activations.items())
    safetensors_io.write(path, {"clips": clips, "logits": logits.astype(np.float32),
                                **{name: a.astype(np.float32) for name, a in activations.items()}},
                         metadata={"made_by": "Tools/vivit_attention_fixtures.py", "clips_layout": "N,C,T,H,W",
                                   "activations_layout": f"{layouts} (tokens time-major, P patches per tubelet step)",
                                   "reference": f"Scenic ViViT (scenic/projects/vivit/model.py), {reference}, "
                                                f"float64 (jax {jax.__version__}, flax {flax.__version__})"})


def relative(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def make_fixture(vivit, folder, attention_type, seed, orders):
    """Writes folder/checkpoint.msgpack and one io file per attention order (None: Model 4); returns {order: logits}."""
    os.makedirs(folder, exist_ok=True)
    params = random_params(build(vivit, attention_type, orders[0]), seed)
    clips = np.random.default_rng(seed + 1).standard_normal((2, 3, FRAMES, IMAGE, IMAGE)).astype(np.float32)
    write_checkpoint(os.path.join(folder, "checkpoint.msgpack"), params)
    results = {}
    for order, file in zip(orders, ("io.safetensors", "space_time_io.safetensors")):
        logits, activations = scenic_apply(build(vivit, attention_type, order), params, clips)
        wide = map_tree(params, lambda _, a: a.astype(np.float64))
        last = activations[CAPTURED[-1]].reshape(clips.shape[0], STEPS * PATCHES, WIDTH)
        tail = (layer_norm(last, wide["Transformer"]["encoder_norm"]).mean(1) @ wide["output_projection"]["kernel"]
                + wide["output_projection"]["bias"])
        check(np.abs(tail - logits).max() < TOLERANCE,
              f"the last block's captured output -> encoder_norm, gap, output_projection == Scenic's logits: "
              f"max |Δlogit| {np.abs(tail - logits).max():.2e}")
        mine = reference_forward(params, clips, attention_type, order or "time_space")
        label = f"{attention_type}" + (f", attention_order {order}" if order else "")
        check(np.abs(logits - mine).max() < TOLERANCE,
              f"numpy forward from MODELS.md §1.5 == Scenic ({label}): max |Δlogit| {np.abs(logits - mine).max():.2e}")
        write_io(os.path.join(folder, file), clips, logits, activations, label)
        results[order] = logits
    return params, clips, results


def run_converter(arguments):
    python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    result = subprocess.run([python, os.path.join(HERE, "convert.py")] + arguments, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def check_converter(fsa_params, fdpa_params):
    model = {"hidden_size": WIDTH, "num_layers": LAYERS, "num_heads": HEADS, "mlp_dim": MLP, "tubelet_size": list(TUBELET),
             "num_frames": FRAMES, "image_size": IMAGE, "layer_norm_eps": EPS, "gelu": "tanh"}
    fsa = os.path.join(FIXTURES, "vivit_fsa", "checkpoint.msgpack")
    fdpa = os.path.join(FIXTURES, "vivit_fdpa", "checkpoint.msgpack")
    runs = [("vivit_factorised_self_attention", fsa, fsa_params, [], {**model, "attention_order": "time_space"}),
            ("vivit_factorised_self_attention", fsa, fsa_params, ["--attention-order", "space_time"], {**model, "attention_order": "space_time"}),
            ("vivit_factorised_dot_product_attention", fdpa, fdpa_params, ["--attention", "factorized_dot_product_attention"], model)]
    with tempfile.TemporaryDirectory() as scratch:
        for index, (architecture, source, params, flags, expected) in enumerate(runs):
            out = os.path.join(scratch, str(index))
            code, output = run_converter(["scenic-vivit", source, out, "--frames", str(FRAMES)] + flags)
            check(code == 0, f"convert.py scenic-vivit {os.path.basename(os.path.dirname(source))} {' '.join(flags)}: {output.strip()}")
            config = json.load(open(os.path.join(out, "config.json")))
            check(config["architecture"] == architecture and list(config["model"].items()) == list(expected.items())
                  and config["heads"] == [{"name": "label", "classes": CLASSES, "labels": None}],
                  f"config.json: {architecture}, model {json.dumps(config['model'])}")
            tensors, metadata = safetensors_io.read(os.path.join(out, "model.safetensors"))
            flat = flatten(params)
            check(sorted(tensors) == sorted(flat) and all(np.array_equal(tensors[k], flat[k]) for k in flat)
                  and metadata.get("format") == "flax", f"model.safetensors == the Flax tree, names and shapes kept ({len(flat)} tensors)")
        # Model 4's names are Model 1's: without the flag the tree reads as Model 1, which has a cls token.
        code, output = run_converter(["scenic-vivit", fdpa, os.path.join(scratch, "m1"), "--frames", str(FRAMES)])
        check(code == 1 and "missing tensor cls" in output and "--attention factorized_dot_product_attention" in output,
              f"vivit_fdpa without --attention reads as Model 1 and stops: {output.strip()}")


def make_factorised_attention_fixtures():
    vivit = import_scenic()
    print("ViViT Model 3 (Scenic factorized_self_attention_block):")
    fsa_params, _, fsa = make_fixture(vivit, os.path.join(FIXTURES, "vivit_fsa"), MODEL3, 31, ("time_space", "space_time"))
    check(relative(fsa["space_time"], fsa["time_space"]) > 0.1,
          f"the attention order matters: space_time vs time_space logits differ by {relative(fsa['space_time'], fsa['time_space']):.2f} relative")
    print("ViViT Model 4 (Scenic factorized_dot_product_attention):")
    fdpa_params, fdpa_clips, fdpa = make_fixture(vivit, os.path.join(FIXTURES, "vivit_fdpa"), MODEL4, 41, (None,))
    as_model1 = scenic_apply(build(vivit, "spacetime"), fdpa_params, fdpa_clips)[0]
    check(relative(as_model1, fdpa[None]) > 0.1,
          f"the same tree run as Model 1 (spacetime, gap) differs by {relative(as_model1, fdpa[None]):.2f} relative: only the flag tells")
    print("Converter:")
    check_converter(fsa_params, fdpa_params)

    print("Summary:")
    for name, logits in (("vivit_fsa time_space", fsa["time_space"]), ("vivit_fsa space_time", fsa["space_time"]),
                         ("vivit_fdpa", fdpa[None])):
        spread = logits.max(1) - logits.min(1)
        print(f"  {name:21s} max |logit| {np.abs(logits).max():.3f}, per-row range {', '.join(f'{s:.3f}' for s in spread)}, "
              f"argmax {logits.argmax(1).tolist()}")
    total = 0
    for folder in ("vivit_fsa", "vivit_fdpa"):
        for file in sorted(os.listdir(os.path.join(FIXTURES, folder))):
            size = os.path.getsize(os.path.join(FIXTURES, folder, file))
            total += size
            print(f"  {folder + '/' + file:40s} {size:>9,d} bytes")
    print(f"  {'total':40s} {total:>9,d} bytes")


if __name__ == "__main__":
    make_factorised_attention_fixtures()
