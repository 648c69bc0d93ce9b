#!/usr/bin/env python3
"""Turns a published video-model checkpoint into a Vivid model folder (DESIGN.md §4).

    python3 Tools/convert.py FORMAT SOURCE OUT [flags]

FORMAT:
  hf-vivit      SOURCE is a transformers `save_pretrained` folder of VivitForVideoClassification
                (config.json + model.safetensors [or a sharded index], or pytorch_model.bin).
                Output: architecture "vivit", keys = transformers 4 names (HF5 in-memory names are mapped back).
  hf-timesformer SOURCE is a transformers 4 or 5 `save_pretrained` folder of TimesformerForVideoClassification
                (divided space-time attention). Output: architecture "timesformer", the transformers names.
  scenic-vivit  SOURCE is a Scenic Flax msgpack checkpoint (parameters under ['optimizer']['target'],
                optionally one more ['params'] level). Model 1 (Transformer/encoderblock_N) becomes
                architecture "vivit" with transformers 4 names (MODELS.md §1.1 transforms); Model 2
                (SpatialTransformer/TemporalTransformer) becomes "vivit_factorised_encoder" keeping the
                flattened Flax names ("/"-joined) and the original Flax shapes. Models 3 and 4 (MODELS.md §1.5)
                keep those names too: "vivit_factorised_self_attention" (blocks with MultiHeadDotProductAttention_time/
                _space) and "vivit_factorised_dot_product_attention". --attention names the type where the tree
                cannot: a Model 4 tree has Model 1's names (without cls), so it needs
                --attention factorized_dot_product_attention. --attention-order (Model 3 only; default
                time_space, Scenic's) is not in the weights either.
  pytorchvideo  SOURCE is a pytorchvideo / PySlowFast `.pyth` (weights under ["model_state"]) of an ir-CSN
                (`create_csn`, hub `csn_r101`). Output: architecture "csn", pytorchvideo names, BN eps 1e-5,
                the windowed head pool, PySlowFast's test preprocessing; or a SlowFast (`create_slowfast`,
                hub `slowfast_r50`, `slowfast_r101`, `slowfast_16x8_r101_50_50`): architecture "slowfast".
  vmz-csn       SOURCE is VMZ's `ir_csn_152` state dict (torchvision VideoResNet names), renamed 1:1 to
                pytorchvideo's (MODELS.md §3.2). Output: "csn", BN eps 1e-3, global head pool, VMZ's mean/std.
  epic-slowfast SOURCE is the EPIC-KITCHENS-100 SlowFast checkpoint (PySlowFast names under ["model_state"], heads
                head.projection_verb and head.projection_noun), renamed 1:1 to pytorchvideo's (MODELS.md §4).
  mmaction-uniformerv2 SOURCE is an MMAction2 UniFormerV2 checkpoint ({"meta", "state_dict"}: backbone.* and
                cls_head.fc_cls.*, MODELS.md §5.1). Output: architecture "uniformerv2", the checkpoint's names
                (prefixes kept); the decoder reads the last layers, one per dec.J. Not in the weights: --frames
                (required; the u8/u16/u32 of the file name) and --heads (default 12, B/16's; L/14: 16). Frames
                are sampled as MMAction2's UniformSample ("sampling": "uniform", no stride), 4 views x 3 crops.

OUT receives model.safetensors, config.json and the label files. Everything the weights can tell (widths,
layer counts, heads, MLP size, tubelet, image size, classes, kernels) is read from the few tensors that show
it; flags supply only what they cannot. This file holds no list of expected tensors: once OUT is written,
`vivid keys --model OUT` (VIVID_BIN, else this checkout's .build/release or .build/debug vivid) gives the names
and shapes Vivid's loading code asks for under that config.json, and every tensor written must match it, with
none missing or extra. Without a built vivid the names and shapes are not checked (a note says so).
Needs python3, numpy and msgpack; PyTorch files are read without torch (Tools/torch_checkpoint.py).
Errors exit with status 1 and one line naming the offending tensor or flag.
"""

import argparse
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep Tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
import torch_checkpoint  # noqa: E402


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


def read_torch_state_dict(path, containers=("state_dict",)):
    """A state dict saved by torch.save, read without torch (Tools/torch_checkpoint.py), its floating-point
    tensors as float32. The first of `containers` found at the top level holds it (a training checkpoint
    keeps the weights beside the optimizer state). BatchNorm's `num_batches_tracked` counters are dropped:
    inference never reads them."""
    try:
        loaded = torch_checkpoint.load(path)
    except OSError as error:
        raise ConversionError(f"cannot read {path}: {error.strerror}") from None
    except torch_checkpoint.CheckpointError as error:
        raise ConversionError(str(error)) from None
    state = loaded
    for key in containers:
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            state = loaded[key]
            break
    if not isinstance(state, dict) or not state:
        raise ConversionError(f"{path}: no state dict (expected a map of tensors{', or one under ' + ' / '.join(containers) if containers else ''})")
    result = {}
    for name, value in state.items():
        if str(name).endswith("num_batches_tracked"):
            continue
        if not isinstance(value, np.ndarray):
            raise ConversionError(f"{path}: entry {name} is not a tensor ({type(value).__name__})")
        if value.dtype.kind != "f":
            raise ConversionError(f"{path}: tensor {name} is {value.dtype}, not floating point")
        result[str(name)] = value.astype(np.float32)
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


def require(tensors, name, ndim=None, what="tensor"):
    if name not in tensors:
        raise ConversionError(f"missing {what} {name}")
    value = tensors[name]
    if ndim is not None and value.ndim != ndim:
        raise ConversionError(f"{what} {name} has shape {tuple(value.shape)}; expected {ndim} dimensions")
    return value


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


def solve_frames_and_image(tokens, tubelet, frames, image, source, with_cls=True):
    """ViViT Models 1, 3 and 4: a position embedding of (frames/t)*(image/h)*(image/w) tokens (plus 1 for
    Model 1's cls) fixes only the product; one of frames or image size must come from the config or flags."""
    t, h, w = tubelet
    if h != w:
        raise ConversionError(f"non-square tubelet {tubelet} is not supported")
    patches = tokens - 1 if with_cls else tokens
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


def plan_heads(layout, classes_by_head, args, order=None):
    """The config's heads and head_layout from the projections found and the flags.
    classes_by_head: {None: C} for one projection, else {name: C}. Separate heads come in `order` when it
    names exactly them, else sorted, unless --split-names orders them."""
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
    found = sorted(classes_by_head)
    order = list(order) if order is not None and sorted(order) == found else found
    if names is not None:
        if sorted(names) != found:
            raise ConversionError(f"--split-names {args.split_names} differ from the checkpoint's heads {','.join(found)}")
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


class Conversion:
    """What a format's converter read: the architecture and its `model` hyperparameters, the tensors under the
    names the Swift model loads, the heads, the preprocessing its source uses (DESIGN §4 keys, before flags
    override them) and label lists the checkpoint implies ({head: (file name, labels)})."""

    def __init__(self, architecture, model, tensors, head_layout, heads_plan, preprocessing, default_labels, weights_format="pt"):
        self.architecture, self.model, self.tensors = architecture, model, tensors
        self.head_layout, self.heads_plan = head_layout, heads_plan
        self.preprocessing, self.default_labels, self.weights_format = preprocessing, default_labels, weights_format


def vivit_preprocessing(model):
    """ViViT's clip is fixed by its position embeddings; the rest follows Scenic's Kinetics evaluation (MODELS.md §1.3)."""
    image = model["image_size"]
    return {"frames_per_clip": model["num_frames"], "stride": 2, "short_side": max(256, image), "crop_size": image,
            "fixed_crop": True, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "views": (4, 3)}


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
    head_layout, heads_plan = plan_heads(layout, classes, args)
    gelu = args.gelu or gelu_from_hidden_act(config.get("hidden_act", "gelu_fast"))
    model = {
        "hidden_size": int(width), "num_layers": layers, "num_heads": heads, "mlp_dim": int(mlp),
        "tubelet_size": tubelet, "num_frames": frames, "image_size": image,
        "layer_norm_eps": float(config.get("layer_norm_eps", 1e-6)), "gelu": gelu,
    }
    return Conversion("vivit", model, tensors, head_layout, heads_plan, vivit_preprocessing(model),
                      config_labels(config, head_layout, heads_plan))


def config_labels(config, head_layout, heads_plan):
    """A transformers config with real class names (not LABEL_n) gives the single head its labels:
    {head: ("labels.txt", names)}, else {}."""
    id2label = config.get("id2label") or {}
    if head_layout == "single" and len(id2label) == heads_plan[0][1]:
        names = [str(id2label.get(str(i), id2label.get(i, ""))) for i in range(len(id2label))]
        if all(names) and not all(re.fullmatch(r"LABEL_\d+", n) for n in names):
            return {heads_plan[0][0]: ("labels.txt", names)}
    return {}


# Scenic's model.attention_config.type (--attention; Model 3's config name is factorized_self_attention_block)
# -> the architecture Vivid runs.
SCENIC_ARCHITECTURES = {"spacetime": "vivit", "factorized_encoder": "vivit_factorised_encoder",
                        "factorized_self_attention": "vivit_factorised_self_attention",
                        "factorized_dot_product_attention": "vivit_factorised_dot_product_attention"}


def convert_scenic_vivit(source, args):
    params = scenic_parameters(source)
    origin = os.path.basename(source)
    names = set(params)
    factorised = any(n.startswith(("SpatialTransformer/", "TemporalTransformer/")) for n in names)
    unfactorised = any(n.startswith("Transformer/") for n in names)
    if factorised == unfactorised:
        tops = ", ".join(sorted({n.split("/")[0] for n in names}))
        raise ConversionError(f"{origin}: not a ViViT Model 1 (Transformer/) or factorised-encoder (SpatialTransformer/, TemporalTransformer/) tree; top level: {tops}")
    # Model 3's blocks have their own names; Model 4's tree has Model 1's, so only the flag tells it. A flag that
    # contradicts the tree stops at the first tensor its sizes are read from ("missing tensor ..."), at the cls
    # check, or at `vivid keys`, which names the first missing or unexpected tensor.
    if factorised:
        found = "factorized_encoder"
    elif any(n.startswith("Transformer/encoderblock_0/MultiHeadDotProductAttention_time/") for n in names):
        found = "factorized_self_attention"
    else:
        found = "spacetime"
    attention = args.attention or found
    if args.attention_order is not None and attention != "factorized_self_attention":
        raise ConversionError(f"--attention-order is only valid with --attention factorized_self_attention (this is {attention})")

    kernel = require(params, "embedding/kernel", 5)
    t, h, w, channels, width = kernel.shape
    if channels != 3:
        raise ConversionError(f"tensor embedding/kernel {tuple(kernel.shape)} has {channels} input channels; expected 3")
    tubelet = [int(t), int(h), int(w)]
    if h != w:
        raise ConversionError(f"tensor embedding/kernel: non-square tubelet {tubelet} is not supported")

    def encoder_size(scope, self_attention_blocks=False):
        if self_attention_blocks:
            attention_name, mlp_name = "MultiHeadDotProductAttention_time", "MlpBlock"
        else:
            attention_name, mlp_name = "MultiHeadDotProductAttention_0", "MlpBlock_0"
        query_name = f"{scope}/encoderblock_0/{attention_name}/query/kernel"
        count = layer_indices(names, re.compile("^" + re.escape(scope) + r"/encoderblock_(\d+)/"))
        if count == 0:
            raise ConversionError(f"missing tensor {query_name}")
        query = require(params, query_name, 3)
        _, heads, head_dim = query.shape
        if heads * head_dim != width:
            raise ConversionError(f"tensor {query_name} {tuple(query.shape)}: heads x head_dim != hidden size {width} (unsupported)")
        mlp = require(params, f"{scope}/encoderblock_0/{mlp_name}/Dense_0/kernel", 2).shape[1]
        return {"num_layers": count, "num_heads": int(heads), "mlp_dim": int(mlp)}

    layout, projections = projection_names(params, "output_projection", "/", "kernel")
    classes = {head: require(params, name, 2).shape[1] for head, name in projections.items()}
    common = {"tubelet_size": tubelet, "layer_norm_eps": 1e-6, "gelu": args.gelu or "tanh"}

    if attention == "factorized_encoder":
        spatial = encoder_size("SpatialTransformer")
        temporal = encoder_size("TemporalTransformer")
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
        head_layout, heads_plan = plan_heads(layout, classes, args)
        model = {"hidden_size": int(width), "spatial": spatial, "temporal": temporal, "num_frames": frames, "image_size": image}
        model.update(common)
        return Conversion("vivit_factorised_encoder", order_model(model), params, head_layout, heads_plan,
                          vivit_preprocessing(model), {}, weights_format="flax")

    encoder = encoder_size("Transformer", self_attention_blocks=attention == "factorized_self_attention")
    tokens = require(params, "Transformer/posembed_input/pos_embedding", 3).shape[1]
    # Scenic refuses a token classifier for Models 3 and 4 (gap pooling): no cls, one position per tubelet.
    model1 = attention == "spacetime"
    if model1 and "cls" not in params:
        raise ConversionError(f"missing tensor cls (1, 1, {width}) in {origin}: Vivid's Model 1 classifies the cls token; "
                              "a Model 4 tree has Model 1's names and no cls (pass --attention factorized_dot_product_attention)")
    if not model1 and "cls" in params:
        raise ConversionError(f"unexpected tensor cls {tuple(params['cls'].shape)} in {origin}: {attention} has no cls token")
    frames, image = solve_frames_and_image(tokens, tubelet, args.frames, args.image_size, "Transformer/posembed_input/pos_embedding", model1)
    if attention == "factorized_dot_product_attention" and encoder["num_heads"] % 2:
        raise ConversionError(f"Model 4 splits the heads in two halves: {encoder['num_heads']} heads is odd")
    head_layout, heads_plan = plan_heads(layout, classes, args)
    model = {"hidden_size": int(width), "num_layers": encoder["num_layers"], "num_heads": encoder["num_heads"],
             "mlp_dim": encoder["mlp_dim"], "num_frames": frames, "image_size": image}
    model.update(common)
    if not model1:
        if attention == "factorized_self_attention":
            model["attention_order"] = args.attention_order or "time_space"
        return Conversion(SCENIC_ARCHITECTURES[attention], order_model(model), params, head_layout, heads_plan,
                          vivit_preprocessing(model), {}, weights_format="flax")
    tensors = scenic_model1_to_hf(params, origin)
    return Conversion("vivit", order_model(model), tensors, head_layout, heads_plan, vivit_preprocessing(model), {})


# Scenic ViViT Model 1 -> transformers 4 names, 1:1, with MODELS.md §1.1's transforms: Flax (in, out) kernels become
# (out, in) weights, the per-head q/k/v (D, heads, head_dim) and out (heads, head_dim, D) kernels and their biases
# are flattened, the tubelet kernel (t, h, w, C, D) becomes (D, C, t, h, w), LayerNorm scale becomes weight.
SCENIC_MODEL1_NAMES = [
    (re.compile(r"^cls$"), lambda m: "vivit.embeddings.cls_token", None),
    (re.compile(r"^Transformer/posembed_input/pos_embedding$"), lambda m: "vivit.embeddings.position_embeddings", None),
    (re.compile(r"^embedding/kernel$"), lambda m: "vivit.embeddings.patch_embeddings.projection.weight",
     lambda v: v.transpose(4, 3, 0, 1, 2)),
    (re.compile(r"^embedding/bias$"), lambda m: "vivit.embeddings.patch_embeddings.projection.bias", None),
    (re.compile(r"^Transformer/encoder_norm/(scale|bias)$"), lambda m: f"vivit.layernorm.{'weight' if m[1] == 'scale' else 'bias'}", None),
    (re.compile(r"^Transformer/encoderblock_(\d+)/MultiHeadDotProductAttention_0/(query|key|value)/kernel$"),
     lambda m: f"vivit.encoder.layer.{m[1]}.attention.attention.{m[2]}.weight", lambda v: v.reshape(v.shape[0], -1).T),
    (re.compile(r"^Transformer/encoderblock_(\d+)/MultiHeadDotProductAttention_0/(query|key|value)/bias$"),
     lambda m: f"vivit.encoder.layer.{m[1]}.attention.attention.{m[2]}.bias", lambda v: v.reshape(-1)),
    (re.compile(r"^Transformer/encoderblock_(\d+)/MultiHeadDotProductAttention_0/out/kernel$"),
     lambda m: f"vivit.encoder.layer.{m[1]}.attention.output.dense.weight", lambda v: v.reshape(-1, v.shape[-1]).T),
    (re.compile(r"^Transformer/encoderblock_(\d+)/MultiHeadDotProductAttention_0/out/bias$"),
     lambda m: f"vivit.encoder.layer.{m[1]}.attention.output.dense.bias", None),
    (re.compile(r"^Transformer/encoderblock_(\d+)/LayerNorm_([01])/(scale|bias)$"),
     lambda m: f"vivit.encoder.layer.{m[1]}.{('layernorm_before', 'layernorm_after')[int(m[2])]}.{'weight' if m[3] == 'scale' else 'bias'}", None),
    (re.compile(r"^Transformer/encoderblock_(\d+)/MlpBlock_0/Dense_([01])/kernel$"),
     lambda m: f"vivit.encoder.layer.{m[1]}.{('intermediate', 'output')[int(m[2])]}.dense.weight", lambda v: v.T),
    (re.compile(r"^Transformer/encoderblock_(\d+)/MlpBlock_0/Dense_([01])/bias$"),
     lambda m: f"vivit.encoder.layer.{m[1]}.{('intermediate', 'output')[int(m[2])]}.dense.bias", None),
    (re.compile(r"^output_projection(_[A-Za-z0-9]+)?/kernel$"), lambda m: f"classifier{m[1] or ''}.weight", lambda v: v.T),
    (re.compile(r"^output_projection(_[A-Za-z0-9]+)?/bias$"), lambda m: f"classifier{m[1] or ''}.bias", None),
]


def scenic_model1_to_hf(params, origin):
    """A Model 1 tree renamed by SCENIC_MODEL1_NAMES. A name outside the map is refused here; a tensor the tree
    lacks, or a shape that does not fit, is left to `vivid keys`, which names it under its transformers name."""
    out = {}
    for name, value in params.items():
        for pattern, rename, transform in SCENIC_MODEL1_NAMES:
            match = pattern.match(name)
            if match:
                try:
                    out[rename(match)] = np.ascontiguousarray(transform(value) if transform else value, dtype=np.float32)
                except (ValueError, IndexError):
                    raise ConversionError(f"tensor {name} {tuple(value.shape)} in {origin} cannot be converted to {rename(match)}") from None
                break
        else:
            raise ConversionError(f"unexpected tensor {name} {tuple(value.shape)} in {origin} (not a ViViT Model 1 name)")
    return out


def order_model(model):
    keys = ["hidden_size", "num_layers", "num_heads", "mlp_dim", "spatial", "temporal",
            "tubelet_size", "num_frames", "image_size", "layer_norm_eps", "gelu", "attention_order"]
    return {key: model[key] for key in keys if key in model}


# ---------------------------------------------------------------------------------------------------------
# Channel-separated networks (pytorchvideo names; MODELS.md §3)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINETICS_400_LABELS = os.path.join(ROOT, "Models", "labels", "kinetics400.txt")
KINETICS_710_LABELS = os.path.join(ROOT, "Models", "labels", "kinetics710.txt")
EPIC_VERB_LABELS = os.path.join(ROOT, "Models", "labels", "epic100_verbs.txt")
EPIC_NOUN_LABELS = os.path.join(ROOT, "Models", "labels", "epic100_nouns.txt")
# The label lists Vivid ships, by (head, classes): a converted head of that name and size gets them by default.
STANDARD_LABELS = {("label", 400): KINETICS_400_LABELS, ("label", 710): KINETICS_710_LABELS,
                   ("verb", 97): EPIC_VERB_LABELS, ("noun", 300): EPIC_NOUN_LABELS}


def standard_labels(heads_plan):
    """{head: (file, labels)} for the heads whose name and class count match a list in Models/labels/."""
    labels = {}
    for head, classes in heads_plan:
        path = STANDARD_LABELS.get((head, classes))
        if path and os.path.isfile(path):
            labels[head] = (path, read_label_file(path))
    return labels

# VMZ's ir_csn_152 (torchvision VideoResNet names) -> pytorchvideo's create_csn: a 1:1 map, MODELS.md §3.2.
VMZ_CSN_NAMES = [
    (re.compile(r"^stem\.0\.(weight)$"), r"blocks.0.conv.\1"),
    (re.compile(r"^stem\.1\.(\w+)$"), r"blocks.0.norm.\1"),
    (re.compile(r"^layer([1-4])\.(\d+)\.conv1\.0\.(weight)$"), r"blocks.\1.res_blocks.\2.branch2.conv_a.\3"),
    (re.compile(r"^layer([1-4])\.(\d+)\.conv1\.1\.(\w+)$"), r"blocks.\1.res_blocks.\2.branch2.norm_a.\3"),
    (re.compile(r"^layer([1-4])\.(\d+)\.conv2\.0\.(weight)$"), r"blocks.\1.res_blocks.\2.branch2.conv_b.\3"),
    (re.compile(r"^layer([1-4])\.(\d+)\.conv2\.1\.(\w+)$"), r"blocks.\1.res_blocks.\2.branch2.norm_b.\3"),
    (re.compile(r"^layer([1-4])\.(\d+)\.conv3\.0\.(weight)$"), r"blocks.\1.res_blocks.\2.branch2.conv_c.\3"),
    (re.compile(r"^layer([1-4])\.(\d+)\.conv3\.1\.(\w+)$"), r"blocks.\1.res_blocks.\2.branch2.norm_c.\3"),
    (re.compile(r"^layer([1-4])\.(\d+)\.downsample\.0\.(weight)$"), r"blocks.\1.res_blocks.\2.branch1_conv.\3"),
    (re.compile(r"^layer([1-4])\.(\d+)\.downsample\.1\.(\w+)$"), r"blocks.\1.res_blocks.\2.branch1_norm.\3"),
    (re.compile(r"^fc\.(weight|bias)$"), r"blocks.5.proj.\1"),
]

# Every published CSN and SlowFast strides space by 2 in stages 2-4 (CSN time too), on conv_b and branch1,
# after a (1, 2, 2)-strided stem; the weights cannot show strides, and no published variant differs.
STAGE_STRIDES = [1, 2, 2, 2]
STEM_STRIDE = [1, 2, 2]


def read_csn(tensors, origin, args, eps, head_pool):
    """The `csn` model of a state dict in pytorchvideo names: stem, stage depths and widths and classes from
    the shapes; strides are the published ones; eps and head pooling come from the source format or flags."""
    names = set(tensors)
    stem = require(tensors, "blocks.0.conv.weight", 5)
    stem_channels, channels, *stem_kernel = (int(n) for n in stem.shape)
    if channels != 3:
        raise ConversionError(f"tensor blocks.0.conv.weight {tuple(stem.shape)} has {channels} input channels; expected 3")
    stages = sorted({int(m.group(1)) for m in map(re.compile(r"^blocks\.(\d+)\.res_blocks\.").match, names) if m})
    if stages != [1, 2, 3, 4]:
        raise ConversionError(f"{origin}: res stages {stages or 'none'}; an ir-CSN has blocks.1 to blocks.4")
    depths, inner_channels, output_channels = [], [], []
    for stage in stages:
        scope = f"blocks.{stage}.res_blocks"
        depth = layer_indices(names, re.compile("^" + re.escape(scope) + r"\.(\d+)\."))
        inner = require(tensors, f"{scope}.0.branch2.conv_a.weight", 5).shape[0]
        outputs = require(tensors, f"{scope}.0.branch2.conv_c.weight", 5).shape[0]
        conv_b = require(tensors, f"{scope}.0.branch2.conv_b.weight", 5)
        if conv_b.shape[1] != 1:
            raise ConversionError(f"tensor {scope}.0.branch2.conv_b.weight {tuple(conv_b.shape)} is not a depthwise "
                                  "convolution: not an ir-CSN")
        depths.append(depth)
        inner_channels.append(int(inner))
        output_channels.append(int(outputs))

    layout, projections = projection_names(tensors, "blocks.5.proj", ".", "weight")
    classes = {head: require(tensors, name, 2).shape[0] for head, name in projections.items()}
    head_layout, heads_plan = plan_heads(layout, classes, args)

    frames = args.frames if args.frames is not None else 32
    if frames <= 0:
        raise ConversionError(f"--frames {frames} must be positive")
    head_pool = args.head_pool or head_pool
    if head_pool == "windowed":
        # The published windowed head pools (4, 7, 7): its training clip (32 frames at 224) after the 8x temporal
        # and 32x spatial reduction; at a 256 crop it averages 2x2 overlapping windows.
        kernel = parse_int_list(args.head_pool_kernel, "--head-pool-kernel") if args.head_pool_kernel else [max(1, frames // 8), 7, 7]
        if len(kernel) != 3 or any(k <= 0 for k in kernel):
            raise ConversionError(f"--head-pool-kernel {args.head_pool_kernel} must be three positive sizes T,H,W")
    elif args.head_pool_kernel:
        raise ConversionError("--head-pool-kernel needs --head-pool windowed")
    model = {
        "depths": depths, "stem_channels": stem_channels, "stem_kernel": stem_kernel, "stem_stride": STEM_STRIDE,
        "stem_pool": args.stem_pool != "none", "inner_channels": inner_channels, "output_channels": output_channels,
        "temporal_strides": STAGE_STRIDES, "spatial_strides": STAGE_STRIDES,
        "batch_norm_eps": args.bn_eps if args.bn_eps is not None else eps, "head_pool": head_pool,
    }
    if head_pool == "windowed":
        model["head_pool_kernel"] = kernel
    return model, head_layout, heads_plan, frames


def convert_pytorchvideo(source, args):
    """A pytorchvideo model-zoo checkpoint: the weights under ["model_state"] (PySlowFast's trainer) or bare."""
    tensors = read_torch_state_dict(source, ("model_state", "state_dict"))
    origin = os.path.basename(source)
    if any(".multipathway_blocks." in name or ".multipathway_fusion." in name for name in tensors):
        found = "slowfast"
    elif "blocks.0.conv.weight" in tensors:
        found = "csn"
    else:
        raise ConversionError(f"{origin}: neither a CSN (blocks.0.conv) nor a SlowFast (multipathway blocks) state dict")
    if args.arch is not None and args.arch != found:
        raise ConversionError(f"--arch {args.arch} contradicts the checkpoint, whose names are a {found}'s")
    if found == "slowfast":
        return convert_pytorchvideo_slowfast(tensors, origin, args)
    # pytorchvideo's CSN (MODELS.md §3.2, §3.3): eps 1e-5, per-position logits averaged, PySlowFast's test views.
    model, head_layout, heads_plan, frames = read_csn(tensors, origin, args, eps=1e-5, head_pool="windowed")
    preprocessing = {"frames_per_clip": frames, "stride": 2, "short_side": 256, "crop_size": 256, "fixed_crop": False,
                     "mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225], "views": (10, 3)}
    return Conversion("csn", model, tensors, head_layout, heads_plan, preprocessing, standard_labels(heads_plan))


def convert_vmz_csn(source, args):
    """VMZ's ir_csn_152 state dict, renamed to pytorchvideo's names."""
    raw = read_torch_state_dict(source, ("state_dict", "model_state", "model"))
    origin = os.path.basename(source)
    tensors = {}
    for name, value in raw.items():
        for pattern, replacement in VMZ_CSN_NAMES:
            if pattern.match(name):
                tensors[pattern.sub(replacement, name)] = value
                break
        else:
            raise ConversionError(f"unexpected tensor {name} {tuple(value.shape)} in {origin} (not a VMZ ir-CSN name)")
    # VMZ (MODELS.md §3.1, §3.3): Caffe2's BatchNorm eps 1e-3, a global average before fc, Kinetics mean/std,
    # 10 clips of 32 frames at stride 2, 3 crops of 256.
    model, head_layout, heads_plan, frames = read_csn(tensors, origin, args, eps=1e-3, head_pool="global")
    preprocessing = {"frames_per_clip": frames, "stride": 2, "short_side": 256, "crop_size": 256, "fixed_crop": False,
                     "mean": [0.43216, 0.394666, 0.37645], "std": [0.22803, 0.22145, 0.216989], "views": (10, 3)}
    return Conversion("csn", model, tensors, head_layout, heads_plan, preprocessing, standard_labels(heads_plan))


# ---------------------------------------------------------------------------------------------------------
# SlowFast (pytorchvideo names; MODELS.md §4)

# PySlowFast's native names (the EPIC-KITCHENS SlowFast) -> pytorchvideo's create_slowfast: 1:1, MODELS.md §4.
PYSLOWFAST_NAMES = [
    (re.compile(r"^s1\.pathway([01])_stem\.conv\.(weight)$"), lambda m: f"blocks.0.multipathway_blocks.{m[1]}.conv.{m[2]}"),
    (re.compile(r"^s1\.pathway([01])_stem\.bn\.(\w+)$"), lambda m: f"blocks.0.multipathway_blocks.{m[1]}.norm.{m[2]}"),
    (re.compile(r"^s([1-4])_fuse\.conv_f2s\.(weight)$"), lambda m: f"blocks.{int(m[1]) - 1}.multipathway_fusion.conv_fast_to_slow.{m[2]}"),
    (re.compile(r"^s([1-4])_fuse\.bn\.(\w+)$"), lambda m: f"blocks.{int(m[1]) - 1}.multipathway_fusion.norm.{m[2]}"),
    (re.compile(r"^s([2-5])\.pathway([01])_res(\d+)\.(branch1|branch1_bn|branch2\.[abc]|branch2\.[abc]_bn)\.(\w+)$"),
     lambda m: f"blocks.{int(m[1]) - 1}.multipathway_blocks.{m[2]}.res_blocks.{m[3]}.{PYSLOWFAST_BRANCHES[m[4]]}.{m[5]}"),
    (re.compile(r"^head\.projection(_[A-Za-z0-9]+)?\.(weight|bias)$"), lambda m: f"blocks.6.proj{m[1] or ''}.{m[2]}"),
]
PYSLOWFAST_BRANCHES = {"branch1": "branch1_conv", "branch1_bn": "branch1_norm"}
PYSLOWFAST_BRANCHES.update({f"branch2.{x}": f"branch2.conv_{x}" for x in "abc"})
PYSLOWFAST_BRANCHES.update({f"branch2.{x}_bn": f"branch2.norm_{x}" for x in "abc"})


def read_slowfast(tensors, origin, args, head_pool, head_order=None):
    """The `slowfast` model of a state dict in pytorchvideo names: widths, depths, every block's temporal
    kernel, fusion kernel and widths, and classes from the shapes; alpha and frames from flags (default 4, 32)."""
    names = set(tensors)
    stages = sorted({int(m.group(1)) for m in map(re.compile(r"^blocks\.(\d+)\.multipathway_blocks\.\d+\.res_blocks\.").match, names) if m})
    if stages != [1, 2, 3, 4]:
        raise ConversionError(f"{origin}: res stages {stages or 'none'}; a SlowFast has blocks.1 to blocks.4")
    pathways, depths = [], []
    for pathway in (0, 1):
        stem = require(tensors, f"blocks.0.multipathway_blocks.{pathway}.conv.weight", 5)
        if stem.shape[1] != 3:
            raise ConversionError(f"tensor blocks.0.multipathway_blocks.{pathway}.conv.weight {tuple(stem.shape)} has {stem.shape[1]} input channels; expected 3")
        pathways.append({"stem_channels": int(stem.shape[0]), "stem_kernel": [int(n) for n in stem.shape[2:]],
                         "inner_channels": [], "output_channels": [], "conv_a_kernels": []})
    fusion_channels, fusion_kernels = [], set()
    for stage in stages:
        fusion = require(tensors, f"blocks.{stage - 1}.multipathway_fusion.conv_fast_to_slow.weight", 5)
        fusion_channels.append(int(fusion.shape[0]))
        fusion_kernels.add(int(fusion.shape[2]))
        scope = f"blocks.{stage}.multipathway_blocks"
        depth = layer_indices(names, re.compile("^" + re.escape(scope) + r"\.0\.res_blocks\.(\d+)\."))
        depths.append(depth)
        for pathway, sizes in enumerate(pathways):
            if layer_indices(names, re.compile("^" + re.escape(scope) + rf"\.{pathway}\.res_blocks\.(\d+)\.")) != depth:
                raise ConversionError(f"{origin}: stage blocks.{stage} has different depths in the slow and fast pathways")
            inner = require(tensors, f"{scope}.{pathway}.res_blocks.0.branch2.conv_a.weight", 5).shape[0]
            outputs = require(tensors, f"{scope}.{pathway}.res_blocks.0.branch2.conv_c.weight", 5).shape[0]
            kernels = [int(require(tensors, f"{scope}.{pathway}.res_blocks.{index}.branch2.conv_a.weight", 5).shape[2])
                       for index in range(depth)]
            sizes["inner_channels"].append(int(inner))
            sizes["output_channels"].append(int(outputs))
            sizes["conv_a_kernels"].append(kernels)
    if len(fusion_kernels) != 1:
        raise ConversionError(f"{origin}: the fusion convolutions have different temporal kernels {sorted(fusion_kernels)}")

    layout, projections = projection_names(tensors, "blocks.6.proj", ".", "weight")
    classes = {head: require(tensors, name, 2).shape[0] for head, name in projections.items()}
    head_layout, heads_plan = plan_heads(layout, classes, args, head_order)

    frames = args.frames if args.frames is not None else 32
    alpha = args.alpha if args.alpha is not None else 4
    if alpha <= 0 or frames < alpha:
        raise ConversionError(f"--alpha {alpha} must be positive and at most the {frames} frames per clip")
    head_pool = args.head_pool or head_pool
    model = {"depths": depths, "alpha": alpha, "slow": pathways[0], "fast": pathways[1], "fusion_kernel": fusion_kernels.pop(),
             "fusion_channels": fusion_channels, "spatial_strides": STAGE_STRIDES,
             "batch_norm_eps": args.bn_eps if args.bn_eps is not None else 1e-5, "head_pool": head_pool}
    if head_pool == "windowed":
        # Published: slow (T/alpha, 7, 7) and fast (T, 7, 7), the final maps of a 224 training crop.
        fast = parse_int_list(args.head_pool_kernel, "--head-pool-kernel") if args.head_pool_kernel else [frames, 7, 7]
        if len(fast) != 3 or any(k <= 0 for k in fast) or fast[0] < alpha:
            raise ConversionError(f"--head-pool-kernel {args.head_pool_kernel} must be three positive sizes T,H,W with T >= alpha")
        model["head_pool_kernels"] = [[fast[0] // alpha] + fast[1:], fast]
    elif args.head_pool_kernel:
        raise ConversionError("--head-pool-kernel needs --head-pool windowed")
    return model, head_layout, heads_plan, frames


def convert_pytorchvideo_slowfast(tensors, origin, args):
    model, head_layout, heads_plan, frames = read_slowfast(tensors, origin, args, head_pool="windowed")
    # MODELS.md §4.1: PySlowFast's Kinetics test, 10 clips x 3 crops of 256.
    preprocessing = {"frames_per_clip": frames, "stride": 2, "short_side": 256, "crop_size": 256, "fixed_crop": False,
                     "mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225], "views": (10, 3)}
    return Conversion("slowfast", model, tensors, head_layout, heads_plan, preprocessing, standard_labels(heads_plan))


def convert_epic_slowfast(source, args):
    """The EPIC-KITCHENS SlowFast (PySlowFast names, `head.projection_verb` and `head.projection_noun`)."""
    raw = read_torch_state_dict(source, ("model_state", "state_dict"))
    origin = os.path.basename(source)
    tensors = {}
    for name, value in raw.items():
        for pattern, rename in PYSLOWFAST_NAMES:
            match = pattern.match(name)
            if match:
                tensors[rename(match)] = value
                break
        else:
            raise ConversionError(f"unexpected tensor {name} {tuple(value.shape)} in {origin} (not a PySlowFast SlowFast name)")
    # PySlowFast averages softmax outputs over the head's window positions, pytorchvideo averages logits: equal
    # at the 224 training crop (one position); at 256 Vivid averages logits (the only form a linear head pools).
    # Verb before noun, as EPIC-KITCHENS lists them (the checkpoint's order is its dict's, not a contract).
    model, head_layout, heads_plan, frames = read_slowfast(tensors, origin, args, head_pool="windowed", head_order=("verb", "noun"))
    # MODELS.md §4.1, EKSF configs/EPIC-KITCHENS/SLOWFAST_8x8_R50.yaml: 32 frames at rate 2, 10 clips x 1
    # centre crop of 256.
    preprocessing = {"frames_per_clip": frames, "stride": 2, "short_side": 256, "crop_size": 256, "fixed_crop": False,
                     "mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225], "views": (10, 1)}
    return Conversion("slowfast", model, tensors, head_layout, heads_plan, preprocessing, standard_labels(heads_plan))


# ---------------------------------------------------------------------------------------------------------
# TimeSformer (transformers names; MODELS.md §2)

# TSF configs/Kinetics/TimeSformer_divST_{8x32_224,16x16_448,96x4_224}.yaml: frames per clip -> sampling rate.
TIMESFORMER_STRIDES = {8: 32, 16: 16, 96: 4}


def timesformer_preprocessing(model):
    """TSF's Kinetics test (MODELS.md §2): 1 clip x 3 crops of the image size, short side resized to it. The
    frame stride is the published config's for its clip length; other lengths keep the 8x32 and 16x16 configs'
    span of 256 frames. Mean 0.45 and std 0.225 are what TSF trained and tested with (and what the hub's
    preprocessor_config.json says); transformers' converter checked its logits with 0.5 / 0.5 (--mean, --std)."""
    frames, image = model["num_frames"], model["image_size"]
    return {"frames_per_clip": frames, "stride": TIMESFORMER_STRIDES.get(frames, max(1, 256 // frames)),
            "short_side": image, "crop_size": image, "fixed_crop": True,
            "mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225], "views": (1, 3)}


def convert_hf_timesformer(source, args):
    """A transformers TimesformerForVideoClassification folder. transformers 4 and 5 save the same tensor names
    (5 renames none of TimeSformer's modules) and the same config keys but for torch_dtype (4) / dtype (5),
    which is not read here."""
    config, raw = read_hf_folder(source)
    expected_model = "a transformers TimesformerForVideoClassification save_pretrained folder is expected"
    if config.get("model_type") != "timesformer":
        raise ConversionError(f"config.json model_type is {config.get('model_type')!r}, not 'timesformer' ({expected_model})")
    architectures = config.get("architectures") or ["TimesformerForVideoClassification"]
    if "TimesformerForVideoClassification" not in architectures:
        raise ConversionError(f"config.json architectures is {architectures}, not TimesformerForVideoClassification ({expected_model})")
    attention = config.get("attention_type", "divided_space_time")
    if attention != "divided_space_time":
        raise ConversionError(f"config.json attention_type {attention!r} is not supported (supported: divided_space_time)")
    if config.get("qkv_bias", True) is not True:
        raise ConversionError(f"config.json qkv_bias is {config['qkv_bias']!r}: only TimeSformers with q/k/v biases "
                              "(qkv_bias true, as published) are supported")
    tensors = {name: value.astype(np.float32) for name, value in raw.items()}

    embed = require(tensors, "timesformer.embeddings.patch_embeddings.projection.weight", 4)
    width, channels, patch, patch_w = (int(n) for n in embed.shape)
    if channels != 3:
        raise ConversionError(f"tensor timesformer.embeddings.patch_embeddings.projection.weight has {channels} input channels; expected 3")
    if patch != patch_w:
        raise ConversionError(f"tensor timesformer.embeddings.patch_embeddings.projection.weight {tuple(embed.shape)}: non-square patches are not supported")
    layers = layer_indices(tensors, re.compile(r"^timesformer\.encoder\.layer\.(\d+)\."))
    if layers == 0:
        raise ConversionError("missing tensor timesformer.encoder.layer.0.attention.attention.qkv.weight (no encoder layers)")
    mlp = int(require(tensors, "timesformer.encoder.layer.0.intermediate.dense.weight", 2).shape[0])
    heads = config.get("num_attention_heads")
    if not isinstance(heads, int) or heads <= 0 or width % heads:
        raise ConversionError(f"config.json num_attention_heads {heads!r} does not divide the hidden size {width}")
    # The clip is fixed by the weights: one time embedding per frame, one position embedding per patch of a frame.
    frames = int(require(tensors, "timesformer.embeddings.time_embeddings", 3).shape[1])
    positions = require(tensors, "timesformer.embeddings.position_embeddings", 3).shape[1]
    image = square_side(positions - 1, "timesformer.embeddings.position_embeddings") * patch
    # TimesformerLayer itself reads num_frames, image_size and patch_size (as ints) to unflatten the tokens.
    for key, actual in (("hidden_size", width), ("num_hidden_layers", layers), ("intermediate_size", mlp),
                        ("num_frames", frames), ("image_size", image), ("patch_size", patch)):
        if key in config and config[key] != actual:
            raise ConversionError(f"config.json {key} {config[key]} contradicts the weights ({actual})")
    for flag, value, actual in (("--frames", args.frames, frames), ("--image-size", args.image_size, image)):
        if value is not None and value != actual:
            raise ConversionError(f"{flag} {value} contradicts the weights ({actual}: the time and position embeddings fix the clip)")

    layout, projections = projection_names(tensors, "classifier", ".", "weight")
    classes = {head: require(tensors, name, 2).shape[0] for head, name in projections.items()}
    head_layout, heads_plan = plan_heads(layout, classes, args)
    model = {
        "hidden_size": width, "num_layers": layers, "num_heads": heads, "mlp_dim": mlp, "patch_size": patch,
        "num_frames": frames, "image_size": image, "layer_norm_eps": float(config.get("layer_norm_eps", 1e-6)),
        "gelu": args.gelu or gelu_from_hidden_act(config.get("hidden_act", "gelu")), "attention_type": attention,
    }
    # The published configs carry the Kinetics / SSv2 class names; otherwise a shipped list of that size.
    labels = config_labels(config, head_layout, heads_plan) or standard_labels(heads_plan)
    return Conversion("timesformer", model, tensors, head_layout, heads_plan, timesformer_preprocessing(model), labels)


# ---------------------------------------------------------------------------------------------------------
# UniFormerV2 (MMAction2 names; MODELS.md §5, §5.1)


def uniformerv2_preprocessing(model):
    """MMAction2's UniFormerV2 test pipeline (configs/recognition/uniformerv2/): UniformSample(clip_len=frames,
    num_clips=4, test_mode=True), the short side resized to the image size and three crops of it, the data
    preprocessor's mean 114.75 and std 57.375 of 255. (The L/14-336 u32 configs take 2 clips: --views 2x3.)"""
    image = model["image_size"]
    return {"sampling": "uniform", "frames_per_clip": model["num_frames"], "short_side": image, "crop_size": image,
            "fixed_crop": True, "mean": [0.45, 0.45, 0.45], "std": [0.225, 0.225, 0.225], "views": (4, 3)}


def convert_mmaction_uniformerv2(source, args):
    """An MMAction2 UniFormerV2 checkpoint: the recognizer's state dict (backbone.*, cls_head.fc_cls.*) under
    ["state_dict"], beside mmengine's ["meta"]. Names are kept; BatchNorm counters are dropped on reading."""
    tensors = read_torch_state_dict(source, ("state_dict",))
    origin = os.path.basename(source)
    names = set(tensors)
    blocks = re.compile(r"^backbone\.transformer\.resblocks\.(\d+)\.")
    decoders = re.compile(r"^backbone\.transformer\.dec\.(\d+)\.")
    if not any(map(blocks.match, names)) or not any(map(decoders.match, names)):
        found = sorted({".".join(name.split(".")[:2]) for name in names})
        raise ConversionError(f"{origin}: not a UniFormerV2 state dict: expected backbone.transformer.resblocks.N... and "
                              f"backbone.transformer.dec.J... (found {', '.join(found[:6])}{', ...' if len(found) > 6 else ''})")

    embed = require(tensors, "backbone.conv1.weight", 5)
    width, channels, kernel_t, patch, patch_w = (int(n) for n in embed.shape)
    if channels != 3:
        raise ConversionError(f"tensor backbone.conv1.weight {tuple(embed.shape)} has {channels} input channels; expected 3")
    if patch != patch_w:
        raise ConversionError(f"tensor backbone.conv1.weight {tuple(embed.shape)}: non-square patches are not supported")
    # conv1 embeds each frame (kernel (1, p, p)), or with temporal_downsample spans kernel_size frames striding
    # by 2; every config uses kernel_size 3, the only one Vivid runs.
    if kernel_t not in (1, 3):
        raise ConversionError(f"tensor backbone.conv1.weight {tuple(embed.shape)}: temporal kernel {kernel_t} is not supported "
                              "(1, or 3 with temporal_downsample)")
    temporal_downsample = kernel_t == 3
    positions = require(tensors, "backbone.positional_embedding", 2).shape[0]
    image = square_side(positions - 1, "backbone.positional_embedding") * patch
    layers = layer_indices(names, blocks)
    decoder_layers = layer_indices(names, decoders)
    if decoder_layers > layers:
        raise ConversionError(f"{origin}: {decoder_layers} decoder blocks (dec.J) but only {layers} layers to read")
    mlp = int(require(tensors, "backbone.transformer.resblocks.0.mlp.c_fc.weight", 2).shape[0])
    decoder = require(tensors, "backbone.transformer.dec.0.attn.in_proj_weight", 2)
    if decoder.shape[1] != width:
        raise ConversionError(f"tensor backbone.transformer.dec.0.attn.in_proj_weight {tuple(decoder.shape)}: the decoder's "
                              f"width (n_dim) differs from the backbone's {width}, which MMAction2's forward cannot run")
    decoder_mlp = int(require(tensors, "backbone.transformer.dec.0.mlp.c_fc.weight", 2).shape[0])
    # no_lmhra=False puts lmhra1 before attention and, with double_lmhra (every config that has them), lmhra2 after.
    lmhra = [any(name.startswith(f"backbone.transformer.resblocks.0.lmhra{k}.") for name in names) for k in (1, 2)]
    if lmhra[0] != lmhra[1]:
        present, absent = ("lmhra1", "lmhra2") if lmhra[0] else ("lmhra2", "lmhra1")
        raise ConversionError(f"{origin}: the blocks have {present} but not {absent}: Vivid runs UniFormerV2 with both local "
                              "MHRAs (no_lmhra False, double_lmhra True) or none")

    # Heads and frames are in no tensor (MODELS.md §5.1); the released configs give the decoder the backbone's heads.
    heads = args.heads if args.heads is not None else 12
    if heads <= 0 or width % heads:
        raise ConversionError(f"{heads} heads{' (the default; pass --heads)' if args.heads is None else ''} do not divide the "
                              f"width {width} (B/16 has 12 heads, L/14 16)")
    if args.frames is None:
        raise ConversionError("--frames N is required: a UniFormerV2's clip length is in none of its tensors "
                              "(released: 8, 16 or 32, the u8/u16/u32 of the checkpoint's name)")
    if args.frames <= 0 or (temporal_downsample and args.frames % 2):
        raise ConversionError(f"--frames {args.frames} must be positive"
                              + (" and even (conv1 strides time by 2: temporal_downsample)" if temporal_downsample else ""))
    if args.image_size is not None and args.image_size != image:
        raise ConversionError(f"--image-size {args.image_size} contradicts backbone.positional_embedding ({positions} tokens: image size {image})")

    layout, projections = projection_names(tensors, "cls_head.fc_cls", ".", "weight")
    classes = {head: require(tensors, name, 2).shape[0] for head, name in projections.items()}
    head_layout, heads_plan = plan_heads(layout, classes, args)
    model = {
        "hidden_size": width, "num_layers": layers, "num_heads": heads, "mlp_dim": mlp, "patch_size": patch,
        "image_size": image, "num_frames": args.frames, "temporal_downsample": temporal_downsample, "local_mhra": lmhra[0],
        "decoder_layers": decoder_layers, "decoder_heads": heads, "decoder_mlp_dim": decoder_mlp, "layer_norm_eps": 1e-5,
    }
    return Conversion("uniformerv2", model, tensors, head_layout, heads_plan, uniformerv2_preprocessing(model),
                      standard_labels(heads_plan))


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


def write_folder(out, name, conversion, args, fmt, source):
    heads_plan = conversion.heads_plan
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
    for head, default in conversion.default_labels.items():
        labels.setdefault(head, default)

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

    defaults = conversion.preprocessing
    crop = args.crop if args.crop is not None else defaults["crop_size"]
    if defaults["fixed_crop"] and crop != defaults["crop_size"]:
        raise ConversionError(f"--crop {crop} contradicts the model's image size {defaults['crop_size']} (its position embedding is fixed)")
    if crop <= 0:
        raise ConversionError(f"--crop {crop} must be positive")
    short_side = args.short_side if args.short_side is not None else max(defaults["short_side"], crop)
    if short_side < crop:
        raise ConversionError(f"--short-side {short_side} is smaller than the crop {crop}")
    # Uniform sampling (MMAction2's UniformSample) spreads each view's frames over the whole video: no stride.
    if defaults.get("sampling") == "uniform":
        if args.stride is not None:
            raise ConversionError(f"--stride {args.stride} does not apply: this model samples its frames uniformly over the video")
        clip = {"sampling": "uniform", "frames_per_clip": defaults["frames_per_clip"]}
    else:
        stride = args.stride if args.stride is not None else defaults["stride"]
        if stride <= 0:
            raise ConversionError(f"--stride {stride} must be positive")
        clip = {"frames_per_clip": defaults["frames_per_clip"], "stride": stride}
    views = defaults["views"]
    if args.views:
        match = re.fullmatch(r"(\d+)x(\d+)", args.views)
        if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
            raise ConversionError(f"--views {args.views} must be TxS, e.g. 4x3")
        views = (int(match.group(1)), int(match.group(2)))
    mean = parse_float_triple(args.mean, "--mean") if args.mean else defaults["mean"]
    std = parse_float_triple(args.std, "--std") if args.std else defaults["std"]
    if any(s <= 0 for s in std):
        raise ConversionError(f"--std {args.std} must be positive")

    config = {
        "name": name,
        "architecture": conversion.architecture,
        "model": conversion.model,
        "heads": [{"name": head, "classes": int(classes), "labels": files.get(head)} for head, classes in heads_plan],
        "head_layout": conversion.head_layout,
        "preprocessing": {
            **clip, "short_side": short_side, "crop_size": crop,
            "mean": mean, "std": std, "temporal_views": views[0], "spatial_crops": views[1],
        },
        "aggregation": "per_view",
    }
    dtype = {"f32": "F32", "f16": "F16", "bf16": "BF16"}[args.dtype]
    os.makedirs(out, exist_ok=True)
    metadata = {"format": conversion.weights_format, "vivid_source_format": fmt,
                "vivid_source": os.path.basename(os.path.normpath(source))}
    safetensors_io.write(os.path.join(out, "model.safetensors"), conversion.tensors, metadata=metadata, dtype=dtype)
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
    parser.add_argument("format", help="hf-vivit | hf-timesformer | scenic-vivit | pytorchvideo | vmz-csn | epic-slowfast | "
                                       "mmaction-uniformerv2")
    parser.add_argument("source", help="checkpoint folder or file")
    parser.add_argument("out", help="model folder to write")
    parser.add_argument("--frames", type=int, help="frames per clip, where the weights cannot tell (Scenic Models 1, 3, 4; CSN, default 32; "
                                                   "UniFormerV2, required)")
    parser.add_argument("--image-size", type=int, help="image size, the alternative to --frames for Scenic Models 1, 3, 4")
    parser.add_argument("--attention", choices=list(SCENIC_ARCHITECTURES),
                        help="scenic-vivit: the ViViT attention type (default: read from the tree; a Model 4 tree reads as "
                             "Model 1, so factorized_dot_product_attention must be given)")
    parser.add_argument("--attention-order", choices=["time_space", "space_time"],
                        help="scenic-vivit with factorized_self_attention: the order of the two attentions in a block "
                             "(not in the weights; default time_space, Scenic's)")
    parser.add_argument("--class-splits", help="split one projection into heads, e.g. 300,97")
    parser.add_argument("--split-names", help="the heads' names, in projection order, e.g. noun,verb")
    parser.add_argument("--labels", action="append", metavar="HEAD=FILE", help="label file of a head (repeatable); one label per line or an id,key CSV")
    parser.add_argument("--name", help="model name (default: OUT's folder name)")
    parser.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32", help="weight type on disk")
    parser.add_argument("--stride", type=int, help="frame stride (default 2; not for uniform sampling)")
    parser.add_argument("--short-side", type=int, help="resize short side (default 256)")
    parser.add_argument("--crop", type=int, help="crop size (default and only valid value: the model's image size)")
    parser.add_argument("--mean", help="per-channel mean on 0-1 pixels, R,G,B (default 0.5,0.5,0.5)")
    parser.add_argument("--std", help="per-channel std on 0-1 pixels, R,G,B (default 0.5,0.5,0.5)")
    parser.add_argument("--views", help="default views TxS (default 4x3)")
    parser.add_argument("--arch", choices=["csn", "slowfast"], help="pytorchvideo: the expected architecture (checked against the names)")
    parser.add_argument("--bn-eps", type=float, help="BatchNorm eps (default: pytorchvideo 1e-5, VMZ 1e-3)")
    parser.add_argument("--head-pool", choices=["global", "windowed"],
                        help="CNN head pooling (default: pytorchvideo windowed, VMZ global)")
    parser.add_argument("--alpha", type=int, help="SlowFast: frames of the fast pathway per slow frame (default 4)")
    parser.add_argument("--head-pool-kernel", help="windowed head pool T,H,W (CSN default frames/8,7,7; SlowFast: the fast "
                                                   "pathway's, default frames,7,7, the slow one's T divided by alpha)")
    parser.add_argument("--stem-pool", choices=["max", "none"], default="max", help="CSN stem max pool (default max, as published)")
    parser.add_argument("--gelu", choices=["tanh", "erf"], help="GELU form (default: tanh, or from config.json hidden_act)")
    parser.add_argument("--heads", type=int, help="mmaction-uniformerv2: attention heads of the backbone and the decoder "
                                                  "(not in the weights; default 12, B/16's; L/14: 16)")
    return parser.parse_args(argv)


FORMATS = {"hf-vivit": convert_hf_vivit, "hf-timesformer": convert_hf_timesformer, "scenic-vivit": convert_scenic_vivit,
           "pytorchvideo": convert_pytorchvideo, "vmz-csn": convert_vmz_csn, "epic-slowfast": convert_epic_slowfast,
           "mmaction-uniformerv2": convert_mmaction_uniformerv2}


def vivid_binary():
    """The built `vivid` (VIVID_BIN, else this checkout's release or debug build), or None."""
    candidates = [os.environ.get("VIVID_BIN")] + [os.path.join(ROOT, ".build", c, "vivid") for c in ("release", "debug")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def check_against_vivid(out, tensors):
    """Compares the written tensors with `vivid keys --model OUT`, the list Vivid's loading code asks for, so
    that the names and shapes live in one place (the Swift model). Without a built binary it says so and skips."""
    binary = vivid_binary()
    if binary is None:
        print(f"convert.py: note: the tensor names and shapes in {out} were not checked (no built vivid to ask `vivid keys`: "
              "`swift build -c release` first, or set VIVID_BIN)", file=sys.stderr)
        return
    result = subprocess.run([binary, "keys", "--model", out, "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        try:
            message = json.loads(result.stdout)["error"]
        except (ValueError, KeyError, TypeError):
            message = result.stderr.strip() or f"exit status {result.returncode}"
        raise ConversionError(f"{binary} keys --model {out} failed (a binary older than this checkout?): {message}")
    expected = {entry["key"]: tuple(entry["shape"]) for entry in json.loads(result.stdout)["tensors"]}
    written = {name: tuple(value.shape) for name, value in tensors.items()}
    for name, shape in expected.items():
        if name not in written:
            raise ConversionError(f"the folder lacks tensor {name} {shape}, which vivid loads (vivid keys)")
        if written[name] != shape:
            raise ConversionError(f"tensor {name} was written as {written[name]}; vivid loads it as {shape} (vivid keys)")
    extra = sorted(set(written) - set(expected))
    if extra:
        raise ConversionError(f"tensor {extra[0]} is written but vivid does not load it (vivid keys)")


def main(argv=None):
    args = parse_arguments(argv)
    try:
        if args.format not in FORMATS:
            raise ConversionError(f"unknown format {args.format!r} (known: {', '.join(FORMATS)})")
        if not os.path.exists(args.source):
            raise ConversionError(f"{args.source} does not exist")
        conversion = FORMATS[args.format](args.source, args)
        name = args.name or os.path.basename(os.path.normpath(args.out))
        created = not os.path.exists(args.out)
        config = write_folder(args.out, name, conversion, args, args.format, args.source)
        try:
            check_against_vivid(args.out, conversion.tensors)
        except ConversionError:
            if created:  # a folder that would not load is not left behind (one that was there is not removed)
                shutil.rmtree(args.out, ignore_errors=True)
            raise
    except ConversionError as error:
        print(f"convert.py: error: {error}", file=sys.stderr)
        return 1
    tensors = conversion.tensors
    count = sum(int(np.prod(v.shape)) for v in tensors.values())
    heads = ", ".join(f"{h['name']} {h['classes']}" for h in config["heads"])
    print(f"wrote {args.out}: {conversion.architecture}, {len(tensors)} tensors, {count:,} parameters, heads: {heads} ({config['head_layout']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
