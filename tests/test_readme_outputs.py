"""docs/make_readme_outputs.py: the marked README blocks it rewrites (the commands themselves run only there)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("make_readme_outputs", ROOT / "docs" / "make_readme_outputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rewrite_replaces_only_the_marked_blocks(script):
    text = ("intro\n<!-- output: a -->\n```\nold a\n```\n<!-- /output -->\nmiddle\n"
            "<!-- output: b -->\n```console\n$ old\nold b\n```\n<!-- /output -->\nend\n")
    new = script.rewrite(text, {"a": "$ tsfc a\nnew a", "b": "$ tsfc b"})
    assert new == ("intro\n<!-- output: a -->\n```console\n$ tsfc a\nnew a\n```\n<!-- /output -->\nmiddle\n"
                   "<!-- output: b -->\n```console\n$ tsfc b\n```\n<!-- /output -->\nend\n")
    assert script.rewrite(new, {"a": "$ tsfc a\nnew a", "b": "$ tsfc b"}) == new  # a second run changes nothing


def test_the_readme_has_one_block_per_session(script):
    script.check_markers((ROOT / "README.md").read_text(encoding="utf-8"))  # exits on a mismatch
    with pytest.raises(SystemExit, match=r"missing \['info'\]"):
        script.check_markers((ROOT / "README.md").read_text(encoding="utf-8").replace("output: info -->", "x -->"))
