import json
import pickle
import struct

import numpy as np
import pytest

from tsfc import bundle
from tsfc.errors import BundleError

TENSORS = {"model.w": np.arange(12, dtype=np.float32).reshape(3, 4), "history": np.ones((8, 2), dtype=np.float32)}
MANIFEST = {"target": "OT", "columns": ["OT", "HUFL"], "config": {"window": 8, "lr": 0.001}}


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "model.tsfc"
    bundle.save(p, MANIFEST, TENSORS)
    return p


def header_length(raw: bytes) -> int:
    return struct.unpack("<Q", raw[:8])[0]


def write_safetensors(path, manifest_text: str, arrays: dict, digest: str | None = None):
    """A safetensors file with a hand-written manifest (valid checksum unless `digest` is given)."""
    from safetensors.numpy import save

    metadata = {"tsfc": manifest_text, "tsfc_sha256": digest or bundle._digest(manifest_text, arrays)}
    path.write_bytes(save(arrays, metadata=metadata))


def test_round_trip(path):
    manifest, arrays = bundle.load(path)
    assert manifest == {"format": "tsfc-bundle", "format_version": bundle.FORMAT_VERSION, **MANIFEST}
    assert set(arrays) == set(TENSORS)
    for name, array in TENSORS.items():
        np.testing.assert_array_equal(arrays[name], array)
        assert arrays[name].dtype == np.float32


def test_bit_flip_in_weights_fails_checksum(path):
    raw = bytearray(path.read_bytes())
    raw[8 + header_length(raw) + 5] ^= 0x01  # inside model.w / history bytes
    path.write_bytes(bytes(raw))
    with pytest.raises(BundleError, match="checksum"):
        bundle.load(path)


def test_edited_manifest_fails_checksum(path):
    raw = path.read_bytes()
    edited = raw.replace(b'\\"window\\": 8', b'\\"window\\": 9')
    assert edited != raw and len(edited) == len(raw)
    path.write_bytes(edited)
    with pytest.raises(BundleError, match="checksum"):
        bundle.load(path)


@pytest.mark.parametrize("keep", [0, 5, 100, -1])
def test_truncated_file(path, keep):
    raw = path.read_bytes()
    path.write_bytes(raw[:keep] if keep >= 0 else raw[:-3])
    with pytest.raises(BundleError, match="truncated|corrupt"):
        bundle.load(path)


def test_header_length_bomb(path):
    raw = path.read_bytes()
    path.write_bytes(struct.pack("<Q", 2**60) + raw[8:])
    with pytest.raises(BundleError, match="declares 1152921504606846976 bytes"):
        bundle.load(path)


@pytest.mark.parametrize(
    "manifest_text, message",
    [
        ('{"format": "tsfc-bundle", "format_version": 1, "lr": NaN}', "strict JSON"),
        ('{"format": "tsfc-bundle", "format_version": 1, "lr": Infinity}', "strict JSON"),
        ('{"format": "tsfc-bundle", "format_version": 1, "target": "a", "target": "b"}', "duplicate key"),
        ('{"format": "tsfc-bundle", "format_version": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
    ],
)
def test_manifest_must_be_strict_json(tmp_path, manifest_text, message):
    path = tmp_path / "model.tsfc"
    write_safetensors(path, manifest_text, TENSORS)
    with pytest.raises(BundleError, match=message):
        bundle.load(path)


def test_brackets_inside_strings_are_not_nesting(tmp_path):
    path = tmp_path / "model.tsfc"
    manifest = {**MANIFEST, "columns": ["[" * 40, "x{" * 40]}
    bundle.save(path, manifest, TENSORS)
    assert bundle.load(path)[0]["columns"] == manifest["columns"]


def test_newer_format_version_asks_for_upgrade(tmp_path):
    path = tmp_path / "model.tsfc"
    bundle.save(path, {**MANIFEST, "format_version": bundle.FORMAT_VERSION + 1}, TENSORS)
    with pytest.raises(BundleError, match="newer tsfc"):
        bundle.load(path)


def test_not_a_tsfc_bundle(tmp_path):
    path = tmp_path / "model.tsfc"
    write_safetensors(path, json.dumps({"format": "something-else", "format_version": 1}), TENSORS)
    with pytest.raises(BundleError, match="not a tsfc bundle"):
        bundle.load(path)


def test_float64_tensor_refused(tmp_path):
    path = tmp_path / "model.tsfc"
    text = json.dumps({"format": "tsfc-bundle", "format_version": 1})
    write_safetensors(path, text, {"model.w": np.zeros((2, 2), dtype=np.float64)})
    with pytest.raises(BundleError, match="unsupported type"):
        bundle.load(path)


def test_non_finite_weights_refused(tmp_path):
    path = tmp_path / "model.tsfc"
    bundle.save(path, MANIFEST, {"model.w": np.array([1.0, np.nan], dtype=np.float32)})
    with pytest.raises(BundleError, match="non-finite"):
        bundle.load(path)


def test_missing_bundle(tmp_path):
    with pytest.raises(BundleError, match="no bundle here"):
        bundle.load(tmp_path / "absent.tsfc")


class Marker:
    """Unpickling this runs a shell command that creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("force_unsafe_torch_load", [False, True])
@pytest.mark.parametrize("container", ["pickle", "torch.save"])
def test_pickle_in_place_of_bundle_is_never_executed(tmp_path, monkeypatch, container, force_unsafe_torch_load):
    if force_unsafe_torch_load:
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker = tmp_path / "pwned"
    path = tmp_path / "model.tsfc"
    if container == "pickle":
        path.write_bytes(pickle.dumps(Marker(marker)))
    else:
        import torch

        torch.save({"model": Marker(marker)}, path)
    assert not marker.exists()
    with pytest.raises(BundleError):
        bundle.load(path)
    from tsfc.pipeline import load_bundle

    with pytest.raises(BundleError):
        load_bundle(path)
    assert not marker.exists()


def test_save_leaves_old_bundle_when_manifest_cannot_be_written(path):
    before = path.read_bytes()
    with pytest.raises(ValueError):
        bundle.save(path, {"lr": float("nan")}, TENSORS)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.tsfc"]


# ---------------------------------------------------------------- generations (tsfc update --keep)

def test_save_keeps_generations_newest_first_and_drops_the_oldest(path):
    written = [path.read_bytes()]
    for n in range(1, 4):
        kept = bundle.save(path, {**MANIFEST, "target": f"v{n}"}, TENSORS, keep=2)
        written.append(path.read_bytes())
        assert kept == bundle.generations(path, 2)[: min(n, 2)]
    assert bundle.generations(path, 3) == [path.with_name(f"model.tsfc.{s}") for s in ("prev", "prev2", "prev3")]
    assert (path.with_name("model.tsfc.prev").read_bytes(), path.with_name("model.tsfc.prev2").read_bytes()) == (
        written[2], written[1])
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.tsfc", "model.tsfc.prev", "model.tsfc.prev2"]
    assert bundle.save(path, MANIFEST, TENSORS) == [] and path.with_name("model.tsfc.prev").read_bytes() == written[2]


def test_a_failure_while_keeping_generations_loses_no_bundle(path, monkeypatch):
    """Killed (here: failing) after the older generations moved but before the copy is written:
    the bundle is untouched and every earlier file still exists under some generation's name."""
    from tsfc import files
    from tsfc.errors import OutputError

    bundle.save(path, {**MANIFEST, "target": "v1"}, TENSORS, keep=2)
    before = {p.name: p.read_bytes() for p in path.parent.iterdir()}

    def disk_full(*args, **kwargs):
        raise OutputError("cannot write: the disk is full")

    monkeypatch.setattr(files, "write_bytes", disk_full)
    with pytest.raises(OutputError):
        bundle.save(path, {**MANIFEST, "target": "v2"}, TENSORS, keep=2)
    after = {p.name: p.read_bytes() for p in path.parent.iterdir()}
    assert after["model.tsfc"] == before["model.tsfc"]
    assert set(before.values()) <= set(after.values()) and not [n for n in after if n.endswith(".tmp")]
