"""The bundle on disk: one safetensors file holding the weights and a strict-JSON manifest.

Layout (a standard safetensors file, readable by any safetensors tool):
- tensors ``model.<name>``: the network's state dict (float32);
- tensor ``history``: the last `window` unscaled rows of the fitted data (float32 [window, C]);
- ``__metadata__["tsfc"]``: the manifest, plain JSON (config, columns, scaler, split, training
  history, source file, versions);
- ``__metadata__["tsfc_sha256"]``: SHA-256 over the manifest and every tensor's name, dtype,
  shape and bytes.

Loading never executes anything stored in the file: no pickle, no `torch.load`. The header
is parsed and bounded here before safetensors reads the data.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import numpy as np

from tsfc.errors import BundleError
from tsfc.files import atomic_path, keep_generations

FORMAT = "tsfc-bundle"
FORMAT_VERSION = 1
OLDEST_READABLE = 1
MAX_HEADER_BYTES = 16 * 2**20
MAX_BUNDLE_BYTES = 4 * 2**30
MAX_JSON_DEPTH = 32
MAX_STRING_CHARS = 10_000
ALLOWED_DTYPES = {"F32"}


def save(path: str | os.PathLike, manifest: dict, tensors: dict[str, np.ndarray], keep: int = 0) -> list[Path]:
    """Write the bundle atomically: the previous file at `path` survives any failure.

    Args:
        path: destination file.
        manifest: JSON-serialisable description (must not contain NaN or infinity).
        tensors: float32 arrays by name.
        keep: earlier generations to keep beside `path` (`generations`): the file being
            replaced becomes ``PATH.prev``, the one before ``PATH.prev2``, and so on.

    Returns:
        The paths of the kept generations, newest first (empty when `keep` is 0 or there was
        no file to keep).

    Raises:
        OutputError: the file cannot be written.
    """
    from safetensors.numpy import save as st_save

    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest}
    arrays = {name: np.ascontiguousarray(a, dtype=np.float32) for name, a in tensors.items()}
    text = json.dumps(manifest, allow_nan=False, sort_keys=True)
    metadata = {"tsfc": text, "tsfc_sha256": _digest(text, arrays)}
    data = st_save(arrays, metadata=metadata)
    with atomic_path(path, "--bundle") as tmp:
        tmp.write_bytes(data)
        kept = keep_generations(path, generations(path, keep), "--bundle")
    return kept


def generations(path: str | os.PathLike, keep: int) -> list[Path]:
    """Where `save(keep=N)` keeps earlier bundles, newest first: PATH.prev, PATH.prev2, ... PATH.prevN."""
    path = Path(path).absolute()
    return [path.with_name(f"{path.name}.prev{'' if n == 1 else n}") for n in range(1, keep + 1)]


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of the bundle file's bytes (what `sha256sum` prints): a bundle's identity in lineage records."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise BundleError(f"{Path(path).absolute()}: cannot read bundle ({exc.strerror})") from None


def load(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and verify a bundle: its manifest and float32 arrays by name (see `load_with_checksum`)."""
    manifest, arrays, _ = load_with_checksum(path)
    return manifest, arrays


def load_with_checksum(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray], str]:
    """Read and verify a bundle.

    Returns:
        The manifest, the float32 arrays by name, and the SHA-256 of the bytes read (as
        `file_sha256` and `sha256sum` give it): the identity of this exact bundle, read in the
        same breath as its contents (the forecast ledger keys its forecasts by it).

    Raises:
        BundleError: missing, unreadable, not a bundle, corrupt, tampered with, or from an
            unsupported format version; the message says which.
    """
    path = Path(path).absolute()
    raw = _read(path)
    header = _parse_header(path, raw)
    metadata = header.pop("__metadata__", None)
    if not isinstance(metadata, dict) or not isinstance(metadata.get("tsfc"), str):
        raise BundleError(f"{path}: not a tsfc bundle (no tsfc manifest); fit one with `tsfc fit`")
    manifest = _strict_json(path, metadata["tsfc"])
    _check_strings(path, manifest)
    _check_version(path, manifest)
    _check_tensor_table(path, header, len(raw) - 8 - struct.unpack("<Q", raw[:8])[0])
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    try:
        arrays = st_load(raw)
    except (SafetensorError, ValueError) as exc:
        raise BundleError(f"{path}: corrupt weights ({exc}); fit the model again") from None
    if metadata.get("tsfc_sha256") != _digest(metadata["tsfc"], arrays):
        raise BundleError(f"{path}: checksum mismatch, the file was modified or damaged; fit the model again")
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise BundleError(f"{path}: tensor {name[:80]!r} holds non-finite values; fit the model again")
    return manifest, arrays, hashlib.sha256(raw).hexdigest()


def _read(path: Path) -> bytes:
    if not path.exists():
        raise BundleError(f"{path.absolute()}: no bundle here; run `tsfc fit` first or pass --bundle PATH")
    if not path.is_file():
        raise BundleError(f"{path.absolute()}: not a regular file; pass --bundle with a bundle file")
    size = path.stat().st_size
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(f"{path.absolute()}: {size} bytes is too large for a tsfc bundle")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{path.absolute()}: cannot read bundle ({exc.strerror})") from None


def _parse_header(path: Path, raw: bytes) -> dict:
    if len(raw) < 8:
        raise BundleError(f"{path}: truncated or not a tsfc bundle; fit the model again")
    if len(raw) > 8 and raw[8:9] != b"{":  # every safetensors header is a JSON object
        raise BundleError(f"{path}: not a tsfc bundle (not a safetensors file); pass --bundle with a file written by `tsfc fit`")
    (length,) = struct.unpack("<Q", raw[:8])
    if length > MAX_HEADER_BYTES or 8 + length > len(raw):
        raise BundleError(f"{path}: corrupt or truncated header (declares {length} bytes); fit the model again")
    try:
        text = raw[8 : 8 + length].decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{path}: not a tsfc bundle (header is not UTF-8 JSON)") from None
    header = _strict_json(path, text)
    if not isinstance(header, dict):
        raise BundleError(f"{path}: not a tsfc bundle (header is not a JSON object)")
    return header


def _check_tensor_table(path: Path, header: dict, body_bytes: int) -> None:
    """Every tensor float32, its shape consistent with its byte range, ranges inside the body."""
    for name, entry in header.items():
        if not isinstance(entry, dict) or entry.get("dtype") not in ALLOWED_DTYPES:
            raise BundleError(f"{path}: tensor {name[:80]!r} has an unsupported type; fit the model again")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(d, int) and 0 <= d < 2**31 for d in shape)):
            raise BundleError(f"{path}: tensor {name[:80]!r} has an invalid shape; fit the model again")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise BundleError(f"{path}: tensor {name[:80]!r} has invalid offsets; fit the model again")
        start, end = offsets
        if not 0 <= start <= end <= body_bytes or end - start != 4 * int(np.prod(shape, dtype=np.int64)):
            raise BundleError(f"{path}: tensor {name[:80]!r} does not fit the file (truncated?); fit the model again")


def _check_strings(path: Path, value: object) -> None:
    """No string in the manifest longer than `MAX_STRING_CHARS` (they end up in tables and messages)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += list(item.keys()) + list(item.values())
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str) and len(item) > MAX_STRING_CHARS:
            raise BundleError(
                f"{path}: manifest holds a string of {len(item)} characters (limit {MAX_STRING_CHARS}); "
                "not a tsfc bundle, fit the model again"
            )


def _check_version(path: Path, manifest: object) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{path}: not a tsfc bundle; fit one with `tsfc fit`")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise BundleError(f"{path}: bundle has no valid format version; fit the model again")
    if version > FORMAT_VERSION:
        raise BundleError(
            f"{path}: made by a newer tsfc (bundle format {version}, this tsfc reads up to {FORMAT_VERSION}); upgrade tsfc"
        )
    if version < OLDEST_READABLE:
        raise BundleError(f"{path}: bundle format {version} is too old for this tsfc; fit the model again")


def _strict_json(path: Path, text: str):
    """Parse JSON rejecting NaN/Infinity literals, duplicate keys and deep nesting."""

    def no_constants(name: str):
        raise ValueError(f"{name} is not valid JSON")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key")
        return dict(pairs)

    if _nesting(text) > MAX_JSON_DEPTH:  # checked first so a nesting bomb cannot exhaust the stack
        raise BundleError(f"{path}: manifest is nested too deeply; not a tsfc bundle")
    try:
        return json.loads(text, parse_constant=no_constants, object_pairs_hook=no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise BundleError(f"{path}: manifest is not strict JSON ({exc}); fit the model again") from None


def _nesting(text: str) -> int:
    """Deepest bracket nesting of JSON `text`, ignoring brackets inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _digest(manifest_text: str, arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256(manifest_text.encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name], dtype=np.float32)
        h.update(f"\0{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()
