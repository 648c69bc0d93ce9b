#!/usr/bin/env python3
"""Turns a published video-model checkpoint into a Vivid model folder (DESIGN.md §4).

    python3 Tools/convert.py FORMAT SOURCE OUT [flags]

FORMAT:
  hf-vivit      SOURCE is a transformers `save_pretrained` folder of VivitForVideoClassification
                (config.json + model.safetensors [or a sharded index], or pytorch_model.bin).
                Output: architecture "vivit", keys = transformers 4 names (HF5 in-memory names are mapped back).
  scenic-vivit  SOURCE is a Scenic Flax msgpack checkpoint (parameters under ['optimizer']['target'],
                optionally one more ['params'] level). Model 1 (Transformer/encoderblock_N) becomes
                architecture "vivit" with transformers 4 names (MODELS.md §1.1 transforms); Model 2
                (SpatialTransformer/TemporalTransformer) becomes "vivit_factorised_encoder" keeping the
                flattened Flax names ("/"-joined) and the original Flax shapes.

OUT receives model.safetensors, config.json and the label files. Everything the weights can tell (widths,
layer counts, heads, MLP size, tubelet, image size, classes) is read from tensor names and shapes; flags
supply only what they cannot. Needs python3, numpy and msgpack; torch only to read a pytorch_model.bin.
Errors exit with status 1 and one line naming the offending tensor or flag.
"""

import argparse
import csv
import json
import math
import os
import re
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep Tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


class ConversionError(Exception):
    """A problem with the source or the flags; the message is shown to the user as one line."""


# ---------------------------------------------------------------------------------------------------------
# Reading sources


def read_flax_msgpack(path):
    """Reads a flax.serialization msgpack file without JAX: nested maps whose array leaves are msgpack
    ExtType 1 (ndarray: msgpack of [shape, dtype name, C-order bytes]) or 3 (numpy scalar, same payload);
    arrays over 1 GiB are stored as {'__msgpack_chunked_array__', 'shape', 'chunks'} maps."""
    try:
        import msgpack
    except ImportError:
        raise ConversionError("reading a Flax checkpoint needs the msgpack module (Debian: python3-msgpack)") from None

    def array_from_payload(payload):
        shape, dtype_name, buffer = msgpack.unpackb(payload, raw=True)
        name = dtype_name.decode("ascii") if isinstance(dtype_name, bytes) else str(dtype_name)
        if name == "bfloat16":
            raw = np.frombuffer(buffer, dtype="<u2")
            return safetensors_io.bf16_to_f32(raw).reshape(shape)
        try:
            dtype = np.dtype(name).newbyteorder("<")
        except TypeError:
            raise ConversionError(f"{path}: unsupported array dtype {name!r}") from None
        return np.frombuffer(buffer, dtype=dtype).reshape(shape)

    def ext_hook(code, payload):
        if code == 1:
            return array_from_payload(payload)
        if code == 3:
            return array_from_payload(payload)[()]
        if code == 2:
            real, imag = msgpack.unpackb(payload)
            return complex(real, imag)
        return msgpack.ExtType(code, payload)

    def unchunk(node):
        if isinstance(node, dict):
            if "__msgpack_chunked_array__" in node:
                shape = tuple(node["shape"][str(i)] for i in range(len(node["shape"])))
                chunks = [node["chunks"][str(i)] for i in range(len(node["chunks"]))]
                return np.concatenate([np.asarray(c).reshape(-1) for c in chunks]).reshape(shape)
            return {key: unchunk(value) for key, value in node.items()}
        return node

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise ConversionError(f"cannot read {path}: {error.strerror}") from None
    try:
        tree = msgpack.unpackb(data, ext_hook=ext_hook, raw=False, strict_map_key=False)
    except ConversionError:
        raise
    except Exception as error:  # msgpack raises several unrelated types on corrupt input
        raise ConversionError(f"{path} is not a Flax msgpack checkpoint ({type(error).__name__}: {error})") from None
    return unchunk(tree)


def flatten_tree(tree, prefix=""):
    """{'a': {'b': x}} -> {'a/b': x}; empty maps vanish."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_tree(value, name))
        else:
            flat[name] = value
    return flat


def scenic_parameters(path):
    """The flattened parameter tree of a Scenic checkpoint: ['optimizer']['target'] (or a train state's
    ['params']), with one optional extra ['params'] level."""
    tree = read_flax_msgpack(path)
    if not isinstance(tree, dict):
        raise ConversionError(f"{path}: the checkpoint is not a map of parameters")
    if isinstance(tree.get("optimizer"), dict) and isinstance(tree["optimizer"].get("target"), dict):
        params = tree["optimizer"]["target"]
    elif isinstance(tree.get("params"), dict):
        params = tree["params"]
    elif "embedding" in tree:
        params = tree
    else:
        raise ConversionError(f"{path}: no ['optimizer']['target'] parameters (top-level keys: {', '.join(sorted(map(str, tree)))})")
    if set(params) == {"params"} and isinstance(params["params"], dict):
        params = params["params"]
    flat = flatten_tree(params)
    for name, value in flat.items():
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise ConversionError(f"{path}: parameter {name} is not a floating-point array ({type(value).__name__})")
    return {name: value.astype(np.float32) for name, value in flat.items()}


def read_hf_folder(source):
    """(config dict, tensors as float32) of a transformers save_pretrained folder."""
    folder = source if os.path.isdir(source) else os.path.dirname(source)
    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        raise ConversionError(f"{folder} has no config.json (a transformers save_pretrained folder is expected)")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)

    if not os.path.isdir(source):
        files = [source]
    else:
        candidates = ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"]
        found = [name for name in candidates if os.path.isfile(os.path.join(folder, name))]
        if not found:
            raise ConversionError(f"{folder} has none of {', '.join(candidates)}")
        first = os.path.join(folder, found[0])
        if first.endswith(".index.json"):
            with open(first, encoding="utf-8") as f:
                shards = sorted(set(json.load(f)["weight_map"].values()))
            files = [os.path.join(folder, shard) for shard in shards]
        else:
            files = [first]

    tensors = {}
    for path in files:
        if path.endswith(".safetensors"):
            try:
                part, _ = safetensors_io.read(path)
            except (OSError, safetensors_io.SafetensorsError) as error:
                raise ConversionError(f"cannot read {path}: {error}") from None
        else:
            part = read_torch_state_dict(path)
        for name, value in part.items():
            if name in tensors:
                raise ConversionError(f"tensor {name} appears in more than one shard")
            tensors[name] = value
    return config, tensors


def read_torch_state_dict(path):
    try:
        import torch
    except ImportError:
        raise ConversionError(f"reading {os.path.basename(path)} needs torch; convert the folder to model.safetensors or install torch") from None
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    result = {}
    for name, value in state.items():
        if not hasattr(value, "detach"):
            raise ConversionError(f"{path}: entry {name} is not a tensor")
        result[name] = value.detach().to(torch.float32).cpu().numpy() if value.is_floating_point() else value.cpu().numpy()
    return result


# ---------------------------------------------------------------------------------------------------------
# Shapes and names

# transformers 5 renames ViViT modules in memory (MODELS.md §1.4); hub files keep the 4.x names.
HF5_RENAMES = [
    (re.compile(r"^vivit\.layers\.(\d+)\."), r"vivit.encoder.layer.\1."),
    (re.compile(r"\.attention\.(?:attention\.)?q_proj\."), ".attention.attention.query."),
    (re.compile(r"\.attention\.(?:attention\.)?k_proj\."), ".attention.attention.key."),
    (re.compile(r"\.attention\.(?:attention\.)?v_proj\."), ".attention.attention.value."),
    (re.compile(r"\.attention\.o_proj\."), ".attention.output.dense."),
    (re.compile(r"\.mlp\.fc1\."), ".intermediate.dense."),
    (re.compile(r"\.mlp\.fc2\."), ".output.dense."),
]


def hf4_name(name):
    for pattern, replacement in HF5_RENAMES:
        name = pattern.sub(replacement, name)
    return name


def hf_layer_shapes(prefix, width, mlp):
    """transformers names and shapes of one ViViT encoder layer."""
    shapes = {}
    for part in ("query", "key", "value"):
        shapes[f"{prefix}.attention.attention.{part}.weight"] = (width, width)
        shapes[f"{prefix}.attention.attention.{part}.bias"] = (width,)
    shapes[f"{prefix}.attention.output.dense.weight"] = (width, width)
    shapes[f"{prefix}.attention.output.dense.bias"] = (width,)
    shapes[f"{prefix}.intermediate.dense.weight"] = (mlp, width)
    shapes[f"{prefix}.intermediate.dense.bias"] = (mlp,)
    shapes[f"{prefix}.output.dense.weight"] = (width, mlp)
    shapes[f"{prefix}.output.dense.bias"] = (width,)
    for norm in ("layernorm_before", "layernorm_after"):
        shapes[f"{prefix}.{norm}.weight"] = (width,)
        shapes[f"{prefix}.{norm}.bias"] = (width,)
    return shapes


def flax_block_shapes(prefix, width, heads, head_dim, mlp):
    """Scenic names and shapes of one EncoderBlock."""
    attention = f"{prefix}/MultiHeadDotProductAttention_0"
    shapes = {}
    for norm in ("LayerNorm_0", "LayerNorm_1"):
        shapes[f"{prefix}/{norm}/scale"] = (width,)
        shapes[f"{prefix}/{norm}/bias"] = (width,)
    for part in ("query", "key", "value"):
        shapes[f"{attention}/{part}/kernel"] = (width, heads, head_dim)
        shapes[f"{attention}/{part}/bias"] = (heads, head_dim)
    shapes[f"{attention}/out/kernel"] = (heads, head_dim, width)
    shapes[f"{attention}/out/bias"] = (width,)
    shapes[f"{prefix}/MlpBlock_0/Dense_0/kernel"] = (width, mlp)
    shapes[f"{prefix}/MlpBlock_0/Dense_0/bias"] = (mlp,)
    shapes[f"{prefix}/MlpBlock_0/Dense_1/kernel"] = (mlp, width)
    shapes[f"{prefix}/MlpBlock_0/Dense_1/bias"] = (width,)
    return shapes


def require(tensors, name, ndim=None, what="tensor"):
    if name not in tensors:
        raise ConversionError(f"missing {what} {name}")
    value = tensors[name]
    if ndim is not None and value.ndim != ndim:
        raise ConversionError(f"{what} {name} has shape {tuple(value.shape)}; expected {ndim} dimensions")
    return value


def check_exact(tensors, expected, source):
    """Every expected name present with its shape, and nothing else."""
    for name, shape in expected.items():
        if name not in tensors:
            raise ConversionError(f"missing tensor {name} {tuple(shape)} in {source}")
        if tuple(tensors[name].shape) != tuple(shape):
            raise ConversionError(f"tensor {name} has shape {tuple(tensors[name].shape)}; expected {tuple(shape)}")
    unexpected = sorted(set(tensors) - set(expected))
    if unexpected:
        more = f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""
        raise ConversionError(f"unexpected tensor {unexpected[0]} {tuple(tensors[unexpected[0]].shape)} in {source}{more}")


def layer_indices(names, pattern):
    """Sorted layer numbers found by `pattern` (one group); they must be 0..n-1."""
    found = sorted({int(m.group(1)) for m in map(pattern.match, names) if m})
    if found != list(range(len(found))):
        missing = sorted(set(range(max(found) + 1)) - set(found))
        raise ConversionError(f"layer numbers are not contiguous: {pattern.pattern} has no layer {missing[0]}")
    return len(found)


def square_side(count, what):
    side = math.isqrt(count)
    if side * side != count:
        raise ConversionError(f"{what}: {count} patches per frame is not a square grid")
    return side


def solve_frames_and_image(tokens, tubelet, frames, image, source):
    """Model 1: a position embedding of 1 + (frames/t)*(image/h)*(image/w) tokens fixes only the product;
    one of frames or image size must come from the config or flags."""
    t, h, w = tubelet
    if h != w:
        raise ConversionError(f"non-square tubelet {tubelet} is not supported")
    patches = tokens - 1
    if frames is None and image is None:
        raise ConversionError(f"{source}: the weights cannot tell frames from image size "
                              f"({patches} tokens = frames/{t} x (image/{h})^2); pass --frames N (published checkpoints: 32)")
    if frames is not None:
        if frames <= 0 or frames % t:
            raise ConversionError(f"--frames {frames} is not a positive multiple of the tubelet's {t} frames")
        steps = frames // t
        if patches % steps:
            raise ConversionError(f"{frames} frames ({steps} tubelets) do not divide the position embedding's {patches} tokens")
        derived = square_side(patches // steps, f"{source} with {frames} frames") * h
        if image is not None and image != derived:
            raise ConversionError(f"image size {image} contradicts the position embedding: {frames} frames imply image size {derived}")
        return frames, derived
    if image % h:
        raise ConversionError(f"image size {image} is not a multiple of the tubelet's {h} pixels")
    per_frame = (image // h) ** 2
    if patches % per_frame:
        raise ConversionError(f"image size {image} ({per_frame} patches per frame) does not divide the position embedding's {patches} tokens")
    return (patches // per_frame) * t, image


# ---------------------------------------------------------------------------------------------------------
# Heads


def projection_names(tensors, base, separator, param):
    """('single', {base: classes}) or ('separate', {name: classes}) from tensors such as
    `classifier.weight` / `classifier_verb.weight` (separator '.') or `output_projection/kernel`."""
    single = f"{base}{separator}{param}"
    pattern = re.compile(re.escape(base) + r"_([A-Za-z0-9]+)" + re.escape(separator + param) + "$")
    separate = {m.group(1): name for name in tensors for m in [pattern.match(name)] if m}
    if single in tensors and separate:
        raise ConversionError(f"both {single} and {sorted(separate.values())[0]} present: cannot tell the head layout")
    if single in tensors:
        return "single", {None: single}
    if separate:
        return "separate", separate
    raise ConversionError(f"missing tensor {single} (the classifier)")


def plan_heads(layout, classes_by_head, args):
    """The config's heads and head_layout from the projections found and the flags.
    classes_by_head: {None: C} for one projection, else {name: C}."""
    splits = parse_int_list(args.class_splits, "--class-splits") if args.class_splits else None
    names = [n.strip() for n in args.split_names.split(",")] if args.split_names else None
    if names is not None and (any(not n for n in names) or len(set(names)) != len(names)):
        raise ConversionError(f"--split-names {args.split_names} must be distinct non-empty names")
    if layout == "single":
        total = classes_by_head[None]
        if splits is None:
            if names is not None and len(names) != 1:
                raise ConversionError("--split-names without --class-splits needs exactly one name")
            return "single", [(names[0] if names else "label", total)]
        if names is None:
            raise ConversionError("--class-splits needs --split-names (e.g. --class-splits 300,97 --split-names noun,verb)")
        if len(names) != len(splits):
            raise ConversionError(f"--class-splits has {len(splits)} parts but --split-names has {len(names)} names")
        if sum(splits) != total or any(s <= 0 for s in splits):
            raise ConversionError(f"--class-splits {args.class_splits} adds up to {sum(splits)}; the classifier has {total} outputs")
        return ("split" if len(splits) > 1 else "single"), list(zip(names, splits))
    if splits is not None:
        raise ConversionError(f"--class-splits contradicts the checkpoint's separate heads ({', '.join(sorted(classes_by_head))})")
    order = sorted(classes_by_head)
    if names is not None:
        if sorted(names) != order:
            raise ConversionError(f"--split-names {args.split_names} differ from the checkpoint's heads {','.join(order)}")
        order = names
    return "separate", [(name, classes_by_head[name]) for name in order]


def parse_int_list(text, flag):
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise ConversionError(f"{flag} {text} is not a comma-separated list of integers") from None
    return values


def parse_float_triple(text, flag):
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise ConversionError(f"{flag} {text} is not three comma-separated numbers") from None
    if len(values) != 3:
        raise ConversionError(f"{flag} {text} needs three values (R,G,B)")
    return values


# ---------------------------------------------------------------------------------------------------------
# Formats


def gelu_from_hidden_act(act):
    if act in ("gelu_fast", "gelu_pytorch_tanh", "gelu_new", "gelu_accurate"):
        return "tanh"
    if act == "gelu":
        return "erf"
    raise ConversionError(f"config.json hidden_act {act!r} is not a GELU this converter knows")


def convert_hf_vivit(source, args):
    config, raw = read_hf_folder(source)
    if config.get("model_type", "vivit") != "vivit":
        raise ConversionError(f"config.json model_type is {config.get('model_type')!r}, not 'vivit'")
    tensors = {}
    for name, value in raw.items():
        mapped = hf4_name(name)
        if mapped in tensors:
            raise ConversionError(f"tensors {name} and another map to the same name {mapped}")
        tensors[mapped] = value.astype(np.float32)
    origin = os.path.basename(os.path.normpath(source))

    embed = require(tensors, "vivit.embeddings.patch_embeddings.projection.weight", 5)
    width, channels, t, h, w = embed.shape
    if channels != 3:
        raise ConversionError(f"tensor vivit.embeddings.patch_embeddings.projection.weight has {channels} input channels; expected 3")
    layers = layer_indices(tensors, re.compile(r"^vivit\.encoder\.layer\.(\d+)\."))
    if layers == 0:
        raise ConversionError("missing tensor vivit.encoder.layer.0.attention.attention.query.weight (no encoder layers)")
    mlp = require(tensors, "vivit.encoder.layer.0.intermediate.dense.weight", 2).shape[0]
    heads = config.get("num_attention_heads")
    if not isinstance(heads, int) or heads <= 0 or width % heads:
        raise ConversionError(f"config.json num_attention_heads {heads!r} does not divide the hidden size {width}")
    if config.get("head_dim") not in (None, width // heads):
        raise ConversionError(f"config.json head_dim {config['head_dim']} x {heads} heads differs from the hidden size {width}")
    tubelet = [int(t), int(h), int(w)]
    for key, actual in (("hidden_size", width), ("num_hidden_layers", layers), ("intermediate_size", mlp)):
        if key in config and config[key] != actual:
            raise ConversionError(f"config.json {key} {config[key]} contradicts the weights ({actual})")
    if "tubelet_size" in config and list(config["tubelet_size"]) != tubelet:
        raise ConversionError(f"config.json tubelet_size {config['tubelet_size']} contradicts the weights {tubelet}")

    # qkv_bias=False checkpoints have no q/k/v biases: the Swift model always adds one, so store zeros.
    if config.get("qkv_bias", True) is False:
        for layer in range(layers):
            for part in ("query", "key", "value"):
                name = f"vivit.encoder.layer.{layer}.attention.attention.{part}.bias"
                if name not in tensors:
                    tensors[name] = np.zeros(width, np.float32)

    positions = require(tensors, "vivit.embeddings.position_embeddings", 3).shape[1]
    image = config.get("image_size")
    if isinstance(image, (list, tuple)):
        if len(set(image)) != 1:
            raise ConversionError(f"config.json image_size {image} is not square")
        image = image[0]
    config_frames = config.get("num_frames")
    if args.image_size is not None:
        image = args.image_size
    frames, image = solve_frames_and_image(positions, tubelet, args.frames if args.frames is not None else config_frames,
                                           image, "vivit.embeddings.position_embeddings")

    layout, projections = projection_names(tensors, "classifier", ".", "weight")
    classes = {head: require(tensors, name, 2).shape[0] for head, name in projections.items()}
    expected = {
        "vivit.embeddings.cls_token": (1, 1, width),
        "vivit.embeddings.position_embeddings": (1, (frames // t) * (image // h) ** 2 + 1, width),
        "vivit.embeddings.patch_embeddings.projection.weight": (width, 3, t, h, w),
        "vivit.embeddings.patch_embeddings.projection.bias": (width,),
        "vivit.layernorm.weight": (width,),
        "vivit.layernorm.bias": (width,),
    }
    for layer in range(layers):
        expected.update(hf_layer_shapes(f"vivit.encoder.layer.{layer}", width, mlp))
    for head, name in projections.items():
        base = name[: -len(".weight")]
        expected[f"{base}.weight"] = (classes[head], width)
        expected[f"{base}.bias"] = (classes[head],)
    check_exact(tensors, expected, origin)

    head_layout, heads_plan = plan_heads(layout, classes, args)
    gelu = args.gelu or gelu_from_hidden_act(config.get("hidden_act", "gelu_fast"))
    model = {
        "hidden_size": int(width), "num_layers": layers, "num_heads": heads, "mlp_dim": int(mlp),
        "tubelet_size": tubelet, "num_frames": frames, "image_size": image,
        "layer_norm_eps": float(config.get("layer_norm_eps", 1e-6)), "gelu": gelu,
    }
    # A config with real class names (not LABEL_n) gives the single head its labels.
    labels_from_config = None
    id2label = config.get("id2label") or {}
    if head_layout == "single" and len(id2label) == heads_plan[0][1]:
        names = [str(id2label.get(str(i), id2label.get(i, ""))) for i in range(len(id2label))]
        if all(names) and not all(re.fullmatch(r"LABEL_\d+", n) for n in names):
            labels_from_config = names
    return "vivit", model, tensors, head_layout, heads_plan, labels_from_config


def convert_scenic_vivit(source, args):
    params = scenic_parameters(source)
    origin = os.path.basename(source)
    names = set(params)
    factorised = any(n.startswith(("SpatialTransformer/", "TemporalTransformer/")) for n in names)
    unfactorised = any(n.startswith("Transformer/") for n in names)
    if factorised == unfactorised:
        tops = ", ".join(sorted({n.split("/")[0] for n in names}))
        raise ConversionError(f"{origin}: not a ViViT Model 1 (Transformer/) or factorised-encoder (SpatialTransformer/, TemporalTransformer/) tree; top level: {tops}")

    kernel = require(params, "embedding/kernel", 5)
    t, h, w, channels, width = kernel.shape
    if channels != 3:
        raise ConversionError(f"tensor embedding/kernel {tuple(kernel.shape)} has {channels} input channels; expected 3")
    tubelet = [int(t), int(h), int(w)]
    if h != w:
        raise ConversionError(f"tensor embedding/kernel: non-square tubelet {tubelet} is not supported")

    def encoder_size(scope):
        count = layer_indices(names, re.compile("^" + re.escape(scope) + r"/encoderblock_(\d+)/"))
        if count == 0:
            raise ConversionError(f"missing tensor {scope}/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel")
        query = require(params, f"{scope}/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel", 3)
        _, heads, head_dim = query.shape
        if heads * head_dim != width:
            raise ConversionError(f"tensor {scope}/encoderblock_0/MultiHeadDotProductAttention_0/query/kernel {tuple(query.shape)}: "
                                  f"heads x head_dim != hidden size {width} (unsupported)")
        mlp = require(params, f"{scope}/encoderblock_0/MlpBlock_0/Dense_0/kernel", 2).shape[1]
        shapes = {f"{scope}/encoder_norm/scale": (width,), f"{scope}/encoder_norm/bias": (width,)}
        for layer in range(count):
            shapes.update(flax_block_shapes(f"{scope}/encoderblock_{layer}", width, heads, head_dim, mlp))
        return {"num_layers": count, "num_heads": int(heads), "mlp_dim": int(mlp)}, shapes

    layout, projections = projection_names(params, "output_projection", "/", "kernel")
    classes = {head: require(params, name, 2).shape[1] for head, name in projections.items()}
    expected = {"embedding/kernel": tuple(kernel.shape), "embedding/bias": (width,)}
    for head, name in projections.items():
        base = name[: -len("/kernel")]
        expected[f"{base}/kernel"] = (width, classes[head])
        expected[f"{base}/bias"] = (classes[head],)
    common = {"tubelet_size": tubelet, "layer_norm_eps": 1e-6, "gelu": args.gelu or "tanh"}

    if factorised:
        spatial, spatial_shapes = encoder_size("SpatialTransformer")
        temporal, temporal_shapes = encoder_size("TemporalTransformer")
        spatial_tokens = require(params, "SpatialTransformer/posembed_input/pos_embedding", 3).shape[1]
        temporal_tokens = require(params, "TemporalTransformer/posembed_input/pos_embedding", 3).shape[1]
        image = square_side(spatial_tokens - 1, "SpatialTransformer/posembed_input/pos_embedding") * h
        frames = (temporal_tokens - 1) * t
        if args.frames is not None and args.frames != frames:
            raise ConversionError(f"--frames {args.frames} contradicts TemporalTransformer/posembed_input/pos_embedding "
                                  f"(1, {temporal_tokens}, {width}): {temporal_tokens - 1} tubelets of {t} frames = {frames} frames")
        if args.image_size is not None and args.image_size != image:
            raise ConversionError(f"--image-size {args.image_size} contradicts SpatialTransformer/posembed_input/pos_embedding "
                                  f"(1, {spatial_tokens}, {width}): image size {image}")
        expected.update(spatial_shapes)
        expected.update(temporal_shapes)
        expected.update({
            "cls_SpatialTransformer": (1, 1, width), "cls_TemporalTransformer": (1, 1, width),
            "SpatialTransformer/posembed_input/pos_embedding": (1, spatial_tokens, width),
            "TemporalTransformer/posembed_input/pos_embedding": (1, temporal_tokens, width),
        })
        check_exact(params, expected, origin)
        head_layout, heads_plan = plan_heads(layout, classes, args)
        model = {"hidden_size": int(width), "spatial": spatial, "temporal": temporal, "num_frames": frames, "image_size": image}
        model.update(common)
        return "vivit_factorised_encoder", order_model(model), params, head_layout, heads_plan, None

    encoder, encoder_shapes = encoder_size("Transformer")
    tokens = require(params, "Transformer/posembed_input/pos_embedding", 3).shape[1]
    frames, image = solve_frames_and_image(tokens, tubelet, args.frames, args.image_size, "Transformer/posembed_input/pos_embedding")
    expected.update(encoder_shapes)
    expected.update({"cls": (1, 1, width), "Transformer/posembed_input/pos_embedding": (1, tokens, width)})
    check_exact(params, expected, origin)
    head_layout, heads_plan = plan_heads(layout, classes, args)
    tensors = scenic_model1_to_hf(params, encoder["num_layers"], width)
    model = {"hidden_size": int(width), "num_layers": encoder["num_layers"], "num_heads": encoder["num_heads"],
             "mlp_dim": encoder["mlp_dim"], "num_frames": frames, "image_size": image}
    model.update(common)
    return "vivit", order_model(model), tensors, head_layout, heads_plan, None


def scenic_model1_to_hf(params, layers, width):
    """MODELS.md §1.1: Flax kernels -> transformers (out, in) weights, LayerNorm scale -> weight."""
    out = {
        "vivit.embeddings.cls_token": params["cls"],
        "vivit.embeddings.position_embeddings": params["Transformer/posembed_input/pos_embedding"],
        "vivit.embeddings.patch_embeddings.projection.weight": params["embedding/kernel"].transpose(4, 3, 0, 1, 2),
        "vivit.embeddings.patch_embeddings.projection.bias": params["embedding/bias"],
        "vivit.layernorm.weight": params["Transformer/encoder_norm/scale"],
        "vivit.layernorm.bias": params["Transformer/encoder_norm/bias"],
    }
    for layer in range(layers):
        src, dst = f"Transformer/encoderblock_{layer}", f"vivit.encoder.layer.{layer}"
        attention = f"{src}/MultiHeadDotProductAttention_0"
        for part in ("query", "key", "value"):
            out[f"{dst}.attention.attention.{part}.weight"] = params[f"{attention}/{part}/kernel"].reshape(width, width).T
            out[f"{dst}.attention.attention.{part}.bias"] = params[f"{attention}/{part}/bias"].reshape(-1)
        out[f"{dst}.attention.output.dense.weight"] = params[f"{attention}/out/kernel"].reshape(width, width).T
        out[f"{dst}.attention.output.dense.bias"] = params[f"{attention}/out/bias"]
        out[f"{dst}.layernorm_before.weight"] = params[f"{src}/LayerNorm_0/scale"]
        out[f"{dst}.layernorm_before.bias"] = params[f"{src}/LayerNorm_0/bias"]
        out[f"{dst}.layernorm_after.weight"] = params[f"{src}/LayerNorm_1/scale"]
        out[f"{dst}.layernorm_after.bias"] = params[f"{src}/LayerNorm_1/bias"]
        out[f"{dst}.intermediate.dense.weight"] = params[f"{src}/MlpBlock_0/Dense_0/kernel"].T
        out[f"{dst}.intermediate.dense.bias"] = params[f"{src}/MlpBlock_0/Dense_0/bias"]
        out[f"{dst}.output.dense.weight"] = params[f"{src}/MlpBlock_0/Dense_1/kernel"].T
        out[f"{dst}.output.dense.bias"] = params[f"{src}/MlpBlock_0/Dense_1/bias"]
    for name, value in params.items():
        match = re.fullmatch(r"output_projection(_[A-Za-z0-9]+)?/(kernel|bias)", name)
        if match:
            suffix = match.group(1) or ""
            out[f"classifier{suffix}.{'weight' if match.group(2) == 'kernel' else 'bias'}"] = value.T if match.group(2) == "kernel" else value
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in out.items()}


def order_model(model):
    keys = ["hidden_size", "num_layers", "num_heads", "mlp_dim", "spatial", "temporal",
            "tubelet_size", "num_frames", "image_size", "layer_norm_eps", "gelu"]
    return {key: model[key] for key in keys if key in model}


# ---------------------------------------------------------------------------------------------------------
# Output


def read_label_file(path):
    """Labels in index order: a text file with one label per line, or a CSV with `id` and `key` columns
    (EPIC-KITCHENS class lists)."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except OSError as error:
        raise ConversionError(f"cannot read the label file {path}: {error.strerror}") from None
    if path.lower().endswith(".csv"):
        rows = list(csv.DictReader(text.splitlines()))
        if not rows or "key" not in rows[0] or "id" not in rows[0]:
            raise ConversionError(f"label file {path} is a CSV without 'id' and 'key' columns")
        try:
            by_id = {int(row["id"]): row["key"].strip() for row in rows}
        except ValueError:
            raise ConversionError(f"label file {path} has a non-integer id") from None
        if sorted(by_id) != list(range(len(rows))):
            raise ConversionError(f"label file {path}: ids are not 0..{len(rows) - 1}")
        return [by_id[i] for i in range(len(rows))]
    lines = [line.strip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def write_folder(out, name, architecture, model, tensors, head_layout, heads_plan, labels_from_config, args, fmt, source):
    labels = {}
    for spec in args.labels or []:
        head, sep, path = spec.partition("=")
        if not sep or not head or not path:
            raise ConversionError(f"--labels {spec} must be HEAD=FILE")
        if head not in [h for h, _ in heads_plan]:
            raise ConversionError(f"--labels {spec}: no head named {head!r} (heads: {', '.join(h for h, _ in heads_plan)})")
        if head in labels:
            raise ConversionError(f"--labels given twice for head {head}")
        labels[head] = (path, read_label_file(path))
    if labels_from_config is not None and heads_plan[0][0] not in labels:
        labels[heads_plan[0][0]] = ("labels.txt", labels_from_config)

    files = {}
    for head, classes in heads_plan:
        if head not in labels:
            continue
        path, names = labels[head]
        if len(names) != classes:
            raise ConversionError(f"label file {path} has {len(names)} labels; head '{head}' has {classes} classes")
        if any("\n" in n or "\r" in n for n in names):
            raise ConversionError(f"label file {path} has a label with a line break")
        stem = os.path.splitext(os.path.basename(path))[0] or head
        filename = f"{stem}.txt"
        if filename in files.values() or filename in ("config.json", "model.safetensors"):
            filename = f"{head}_{filename}"
        files[head] = filename

    image = model["image_size"]
    crop = args.crop if args.crop is not None else image
    if crop != image:
        raise ConversionError(f"--crop {crop} contradicts the model's image size {image} (its position embedding is fixed)")
    short_side = args.short_side if args.short_side is not None else max(256, crop)
    if short_side < crop:
        raise ConversionError(f"--short-side {short_side} is smaller than the crop {crop}")
    stride = args.stride if args.stride is not None else 2
    if stride <= 0:
        raise ConversionError(f"--stride {stride} must be positive")
    views = (4, 3)
    if args.views:
        match = re.fullmatch(r"(\d+)x(\d+)", args.views)
        if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
            raise ConversionError(f"--views {args.views} must be TxS, e.g. 4x3")
        views = (int(match.group(1)), int(match.group(2)))
    mean = parse_float_triple(args.mean, "--mean") if args.mean else [0.5, 0.5, 0.5]
    std = parse_float_triple(args.std, "--std") if args.std else [0.5, 0.5, 0.5]
    if any(s <= 0 for s in std):
        raise ConversionError(f"--std {args.std} must be positive")

    config = {
        "name": name,
        "architecture": architecture,
        "model": model,
        "heads": [{"name": head, "classes": int(classes), "labels": files.get(head)} for head, classes in heads_plan],
        "head_layout": head_layout,
        "preprocessing": {
            "frames_per_clip": model["num_frames"], "stride": stride, "short_side": short_side, "crop_size": crop,
            "mean": mean, "std": std, "temporal_views": views[0], "spatial_crops": views[1],
        },
        "aggregation": "per_view",
    }
    dtype = {"f32": "F32", "f16": "F16", "bf16": "BF16"}[args.dtype]
    os.makedirs(out, exist_ok=True)
    metadata = {"format": "pt" if architecture == "vivit" else "flax", "vivid_source_format": fmt,
                "vivid_source": os.path.basename(os.path.normpath(source))}
    safetensors_io.write(os.path.join(out, "model.safetensors"), tensors, metadata=metadata, dtype=dtype)
    for head, filename in files.items():
        with open(os.path.join(out, filename), "w", encoding="utf-8") as f:
            f.write("\n".join(labels[head][1]) + "\n")
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    return config


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="convert.py", description="Convert a published checkpoint into a Vivid model folder (config.json + model.safetensors).",
        epilog="Example: convert.py scenic-vivit checkpoint OUT --class-splits 300,97 --split-names noun,verb --stride 1")
    parser.add_argument("format", help="hf-vivit | scenic-vivit")
    parser.add_argument("source", help="checkpoint folder or file")
    parser.add_argument("out", help="model folder to write")
    parser.add_argument("--frames", type=int, help="frames per clip, where the weights cannot tell (Scenic Model 1)")
    parser.add_argument("--image-size", type=int, help="image size, the alternative to --frames for Scenic Model 1")
    parser.add_argument("--class-splits", help="split one projection into heads, e.g. 300,97")
    parser.add_argument("--split-names", help="the heads' names, in projection order, e.g. noun,verb")
    parser.add_argument("--labels", action="append", metavar="HEAD=FILE", help="label file of a head (repeatable); one label per line or an id,key CSV")
    parser.add_argument("--name", help="model name (default: OUT's folder name)")
    parser.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32", help="weight type on disk")
    parser.add_argument("--stride", type=int, help="frame stride (default 2)")
    parser.add_argument("--short-side", type=int, help="resize short side (default 256)")
    parser.add_argument("--crop", type=int, help="crop size (default and only valid value: the model's image size)")
    parser.add_argument("--mean", help="per-channel mean on 0-1 pixels, R,G,B (default 0.5,0.5,0.5)")
    parser.add_argument("--std", help="per-channel std on 0-1 pixels, R,G,B (default 0.5,0.5,0.5)")
    parser.add_argument("--views", help="default views TxS (default 4x3)")
    parser.add_argument("--gelu", choices=["tanh", "erf"], help="GELU form (default: tanh, or from config.json hidden_act)")
    return parser.parse_args(argv)


FORMATS = {"hf-vivit": convert_hf_vivit, "scenic-vivit": convert_scenic_vivit}


def main(argv=None):
    args = parse_arguments(argv)
    try:
        if args.format not in FORMATS:
            raise ConversionError(f"unknown format {args.format!r} (known: {', '.join(FORMATS)})")
        if not os.path.exists(args.source):
            raise ConversionError(f"{args.source} does not exist")
        architecture, model, tensors, head_layout, heads_plan, labels_from_config = FORMATS[args.format](args.source, args)
        name = args.name or os.path.basename(os.path.normpath(args.out))
        config = write_folder(args.out, name, architecture, model, tensors, head_layout, heads_plan,
                              labels_from_config, args, args.format, args.source)
    except ConversionError as error:
        print(f"convert.py: error: {error}", file=sys.stderr)
        return 1
    count = sum(int(np.prod(v.shape)) for v in tensors.values())
    heads = ", ".join(f"{h['name']} {h['classes']}" for h in config["heads"])
    print(f"wrote {args.out}: {architecture}, {len(tensors)} tensors, {count:,} parameters, heads: {heads} ({config['head_layout']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
