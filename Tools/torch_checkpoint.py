"""Reads PyTorch checkpoints (`torch.save` files: .pth, .pyth, .pt) with numpy only, and safely.

A checkpoint is a pickle whose tensors point at raw storages: in the zip format (torch >= 1.6) the pickle is
`<archive>/data.pkl` and storage KEY is the file `<archive>/data/KEY`; in the legacy format the file is a
sequence of pickles (magic number, protocol, system info, the object, the storage keys) followed by each
storage as an 8-byte element count and its bytes. Either way tensors are rebuilt by
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)` and storages are named by persistent
ids `('storage', torch.FloatStorage, key, location, numel[, view])`.

The unpickler only resolves the handful of globals a state dict needs (OrderedDict, the tensor rebuilders,
the storage types), so a checkpoint cannot run code on load, unlike a plain `pickle.load`.

    state = load("SLOWFAST_8x8_R50.pyth")           # nested dicts and lists, tensors as numpy arrays
"""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

# Storage type name -> numpy dtype of its little-endian elements.
STORAGE_TYPES = {
    "DoubleStorage": "<f8", "FloatStorage": "<f4", "HalfStorage": "<f2", "BFloat16Storage": "<u2",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1",
    "BoolStorage": "?",
}


class CheckpointError(ValueError):
    """A file that is not a readable PyTorch checkpoint, or one that needs more than a state dict's globals."""


class StorageType:
    """Stands for `torch.FloatStorage` and friends inside the pickle."""

    def __init__(self, name):
        self.dtype = np.dtype(STORAGE_TYPES[name])
        self.is_bfloat16 = name == "BFloat16Storage"


class Storage:
    """One storage: its key and element type, and its values once read (legacy files store them last)."""

    def __init__(self, key, storage_type):
        self.key, self.dtype, self.is_bfloat16 = key, storage_type.dtype, storage_type.is_bfloat16
        self.values = None


class StorageWindow:
    """What a persistent id names: a storage, or (legacy files) a window of `count` elements from `start`."""

    def __init__(self, storage, start=0, count=None):
        self.storage, self.start, self.count = storage, start, count

    def values(self):
        values = self.storage.values[self.start:]
        return values if self.count is None else values[:self.count]


class PendingTensor:
    """A tensor as `torch._utils._rebuild_tensor_v2` describes it: a strided window on a storage."""

    def __init__(self, window, offset, size, stride, *_):
        self.window, self.offset, self.size, self.stride = window, offset, tuple(size), tuple(stride)

    def array(self):
        storage = self.window.storage
        values = self.window.values()[self.offset:]
        if not self.size:
            result = values[:1].reshape(())
        else:
            if any(n > 0 and (n - 1) * s >= len(values) for n, s in zip(self.size, self.stride)):
                raise CheckpointError(f"a tensor of size {self.size} runs past its storage {storage.key}")
            itemsize = values.dtype.itemsize
            result = np.lib.stride_tricks.as_strided(values, self.size, tuple(s * itemsize for s in self.stride))
        result = np.array(result)  # a contiguous copy; keeps 0-d tensors 0-d
        return (result.astype(np.uint32) << 16).view(np.float32) if storage.is_bfloat16 else result


def rebuild_parameter(data, *_):
    """`torch._utils._rebuild_parameter`: a Parameter is its data."""
    return data


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals of a state dict, and collects the storages the pickle names."""

    def __init__(self, handle):
        super().__init__(handle, encoding="latin1")
        self.storages = {}

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return PendingTensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return rebuild_parameter
        if module == "torch" and name in STORAGE_TYPES:
            return StorageType(name)
        raise CheckpointError(f"the checkpoint needs {module}.{name}, which a state dict does not (refused for safety)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], StorageType)):
            raise CheckpointError(f"unsupported persistent id {pid!r}")
        key = str(pid[2])
        storage = self.storages.setdefault(key, Storage(key, pid[1]))
        if len(pid) > 5 and pid[5] is not None:  # legacy view metadata: (view key, offset, size)
            return StorageWindow(storage, pid[5][1], pid[5][2])
        return StorageWindow(storage)


def load(path):
    """The object saved in `path`, with every tensor as a numpy array."""
    try:
        if zipfile.is_zipfile(path):
            result = _load_zip(path)
        else:
            result = _load_legacy(path)
    except CheckpointError:
        raise
    except (pickle.UnpicklingError, EOFError, KeyError, struct.error, ValueError, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({error})") from None
    return _materialise(result)


def _load_zip(path):
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pickles) != 1:
            raise CheckpointError(f"{path}: a zip without exactly one data.pkl is not a torch checkpoint")
        prefix = pickles[0][: -len("data.pkl")]
        unpickler = RestrictedUnpickler(io.BytesIO(archive.read(pickles[0])))
        result = unpickler.load()
        for storage in unpickler.storages.values():
            storage.values = np.frombuffer(archive.read(f"{prefix}data/{storage.key}"), dtype=storage.dtype)
    return result


def _load_legacy(path):
    with open(path, "rb") as handle:
        if RestrictedUnpickler(handle).load() != LEGACY_MAGIC:
            raise CheckpointError(f"{path}: not a torch checkpoint (bad magic number)")
        RestrictedUnpickler(handle).load()  # protocol version
        RestrictedUnpickler(handle).load()  # system info (endianness, type sizes)
        unpickler = RestrictedUnpickler(handle)
        result = unpickler.load()
        keys = RestrictedUnpickler(handle).load()
        for key in keys:
            storage = unpickler.storages[str(key)]
            (count,) = struct.unpack("<q", handle.read(8))
            storage.values = np.frombuffer(handle.read(count * storage.dtype.itemsize), dtype=storage.dtype)
            if len(storage.values) != count:
                raise CheckpointError(f"{path}: storage {key} is truncated")
    return result


def _materialise(value):
    """Turns every pending tensor in the loaded object into a numpy array."""
    if isinstance(value, PendingTensor):
        return value.array()
    if isinstance(value, dict):
        return type(value)((k, _materialise(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_materialise(v) for v in value)
    return value
