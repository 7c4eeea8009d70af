"""Loading a saved model whatever wrote it: pickle, joblib (plain or compressed), cloudpickle, skops.

The format is told by the file's first bytes (and its name, where bytes cannot tell), so an
error can say which format it was and what the interpreter lacks to read it.
"""

from __future__ import annotations

import os
from typing import Any, Tuple

# First bytes of the compressed formats joblib.dump writes (joblib/compressor.py) and of a zip.
_MAGIC = [
    (b"ZF", "joblib (zlib, joblib < 0.10)"),
    (b"\x1f\x8b", "joblib (gzip-compressed)"),
    (b"BZh", "joblib (bz2-compressed)"),
    (b"\xfd7zXZ\x00", "joblib (xz-compressed)"),
    (b"\x5d\x00\x00", "joblib (lzma-compressed)"),
    (b"\x04\x22\x4d\x18", "joblib (lz4-compressed)"),
    (b"PK\x03\x04", "skops (zip archive)"),
]
# A zlib stream: 0x78 then a check byte making the 16-bit header a multiple of 31.
_ZLIB_SECOND = (b"\x01", b"\x5e", b"\x9c", b"\xda")
# What a format needs besides the standard library.
_NEEDS = {"lz4": "lz4", "skops": "skops", "cloudpickle": "cloudpickle"}


class ModelLoadError(Exception):
    """A model file that could not be loaded; the message names its format."""


def detect_format(path: str) -> str:
    """The format of a saved model, e.g. "pickle (protocol 4)", "joblib (zlib-compressed)"."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if len(head) >= 2 and head[:1] == b"\x78" and head[1:2] in _ZLIB_SECOND:
        return "joblib (zlib-compressed)"
    if head[:1] == b"\x80" and len(head) >= 2:
        protocol = head[1]
        if b"cloudpickle" in head:
            return "cloudpickle (pickle protocol %d)" % protocol
        if b"joblib.numpy_pickle" in head or path.lower().endswith(".joblib"):
            return "joblib (uncompressed, pickle protocol %d)" % protocol
        return "pickle (protocol %d)" % protocol
    if head[:1] in (b"(", b"c", b"]", b"}") and path.lower().endswith((".pkl", ".pickle", ".sav")):
        return "pickle (protocol 0 or 1)"
    return "unknown"


def _load_skops(path: str) -> Any:
    import skops.io as sio  # type: ignore

    # The file comes from the user's own run; skops lists the types it would not trust by
    # default, and they are trusted here as pickle files are.
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


def _load_pickle_like(path: str, fmt: str) -> Any:
    if fmt.startswith("joblib") or fmt.startswith("pickle") or fmt.startswith("cloudpickle"):
        try:
            import joblib  # type: ignore
        except ImportError:
            joblib = None
        if joblib is not None:
            # joblib.load reads plain pickles too, and the arrays joblib writes beside them.
            return joblib.load(path)
        if fmt.startswith("joblib"):
            raise ModelLoadError("reading a %s file needs the joblib package, which this interpreter cannot import (pip install joblib, or Debian's python3-joblib)" % fmt)
    import pickle

    with open(path, "rb") as handle:
        return pickle.load(handle)


def load_model(path: str) -> Tuple[Any, str]:
    """The model saved in `path` and its format; ModelLoadError (naming the format) otherwise."""
    if not os.path.isfile(path):
        raise ModelLoadError("%s is not a file" % path)
    fmt = detect_format(path)
    if fmt == "unknown" and not path.lower().endswith(".skops"):
        fmt_note = "its first bytes match no model format Provenant reads (pickle, joblib with zlib/gzip/bz2/xz/lzma/lz4, cloudpickle, skops)"
    else:
        fmt_note = None
    try:
        if fmt.startswith("skops") or path.lower().endswith(".skops"):
            fmt = "skops (zip archive)"
            return _load_skops(path), fmt
        if fmt_note:
            # Last resort: a pickle protocol 0/1 file under another name.
            try:
                return _load_pickle_like(path, "pickle"), "pickle"
            except Exception:
                raise ModelLoadError("%s: %s" % (path, fmt_note))
        return _load_pickle_like(path, fmt), fmt
    except ModelLoadError:
        raise
    except ModuleNotFoundError as err:
        missing = err.name or str(err)
        package = _NEEDS.get(missing.split(".")[0], missing.split(".")[0])
        raise ModelLoadError("%s is a %s file; loading it needs the module %r, which this interpreter cannot import (install %s)" % (path, fmt, missing, package))
    except Exception as err:
        raise ModelLoadError("%s is a %s file but could not be loaded (%s: %s)" % (path, fmt, type(err).__name__, err))
