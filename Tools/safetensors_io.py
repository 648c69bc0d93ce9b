"""A tiny safetensors reader and writer that needs only numpy.

Format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, N bytes of
UTF-8 JSON (padded with spaces to a multiple of 8), then the data section. The header maps each tensor
name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section) and may
hold "__metadata__", a map of strings to strings.

    tensors, metadata = read("model.safetensors")      # float tensors come back as float32
    write("out.safetensors", {"x": array}, metadata={"k": "v"}, dtype="F16")

Used by Tools/convert.py, so that converting a checkpoint needs python3, numpy and msgpack only.
"""

import json
import struct

import numpy as np

# safetensors dtype name -> numpy dtype of the stored little-endian values. BF16 is stored as raw uint16.
_STORED = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_FLOAT = ("F64", "F32", "F16", "BF16")
_HEADER_LIMIT = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    """A malformed file or an unsupported dtype."""


def bf16_to_f32(raw):
    """bfloat16 bit patterns (uint16 array) -> float32 values (exact)."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(values):
    """float32 values -> bfloat16 bit patterns (uint16), rounding to nearest even; NaN stays NaN."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) >> 16
    nan = np.isnan(values)
    rounded = np.where(nan, (bits >> 16) | np.uint32(0x0040), rounded)
    return rounded.astype(np.uint16)


def read_header(path):
    """(header dict without __metadata__, metadata dict, byte offset of the data section)."""
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) != 8:
            raise SafetensorsError(f"{path}: too short to be a safetensors file")
        (length,) = struct.unpack("<Q", prefix)
        if length > _HEADER_LIMIT:
            raise SafetensorsError(f"{path}: header length {length} is implausible")
        raw = f.read(length)
        if len(raw) != length:
            raise SafetensorsError(f"{path}: truncated header")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafetensorsError(f"{path}: header is not JSON ({error})") from None
    metadata = header.pop("__metadata__", None) or {}
    return header, metadata, 8 + length


def read(path, float32=True):
    """Reads every tensor of a safetensors file.

    Returns (tensors, metadata): tensors maps name -> numpy array in file order; floating-point tensors
    (F64, F32, F16, BF16) come back as float32 unless float32=False (then F64 stays float64, F16 stays
    float16 and BF16 becomes float32). Integer and bool tensors keep their type.
    """
    header, metadata, start = read_header(path)
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=start) if _data_size(path, start) > 0 else np.zeros(0, np.uint8)
    tensors = {}
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        dtype = entry.get("dtype")
        if dtype not in _STORED:
            raise SafetensorsError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        shape = [int(n) for n in entry["shape"]]
        begin, end = (int(n) for n in entry["data_offsets"])
        stored = _STORED[dtype]
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * stored.itemsize or end > len(data) or begin < 0:
            raise SafetensorsError(f"{path}: tensor {name} has data_offsets {begin}..{end} that do not fit shape {shape} {dtype}")
        values = np.frombuffer(data[begin:end].tobytes(), dtype=stored).reshape(shape)
        if dtype == "BF16":
            values = bf16_to_f32(values).reshape(shape)
        if float32 and dtype in _FLOAT:
            values = values.astype(np.float32)
        else:
            values = values.astype(values.dtype.newbyteorder("="))
        tensors[name] = values
    return tensors, metadata


def _data_size(path, start):
    with open(path, "rb") as f:
        f.seek(0, 2)
        return f.tell() - start


def write(path, tensors, metadata=None, dtype="F32"):
    """Writes tensors (name -> array) to a safetensors file.

    Floating-point arrays are stored as `dtype` ('F32', 'F16', 'BF16' or 'F64'); integer and bool arrays
    keep their own type. Tensors are laid out by descending element size, then name (as the reference
    library does), so every tensor is aligned to its element size when the file is memory-mapped.
    """
    if dtype not in _FLOAT:
        raise SafetensorsError(f"unsupported float dtype {dtype}; use F32, F16, BF16 or F64")
    names = {np.dtype(np.int64): "I64", np.dtype(np.int32): "I32", np.dtype(np.int16): "I16",
             np.dtype(np.int8): "I8", np.dtype(np.uint8): "U8", np.dtype(np.bool_): "BOOL"}
    prepared = []
    for name, array in tensors.items():
        array = np.asarray(array)
        if array.dtype.kind == "f":
            kind = dtype
            if kind == "BF16":
                raw = f32_to_bf16(array.astype(np.float32))
            else:
                raw = array.astype(_STORED[kind])
        elif array.dtype.newbyteorder("=") in names:
            kind = names[array.dtype.newbyteorder("=")]
            raw = array.astype(_STORED[kind])
        else:
            raise SafetensorsError(f"tensor {name} has unsupported type {array.dtype}")
        prepared.append((name, kind, list(array.shape), np.ascontiguousarray(raw).tobytes()))
    prepared.sort(key=lambda item: (-_STORED[item[1]].itemsize, item[0]))

    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for name, kind, shape, raw in prepared:
        header[name] = {"dtype": kind, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for _, _, _, raw in prepared:
            f.write(raw)
