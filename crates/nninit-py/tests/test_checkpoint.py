"""init_checkpoint: the CLI's checkpoint, and N parts (as N launcher ranks)
writing the bytes of one run."""

import json
import os
import subprocess

import pytest

import nninit

CFG = {"model_type": "gpt2", "vocab_size": 100, "n_positions": 16, "n_embd": 8, "n_layer": 2, "n_head": 2}


def files(d):
    return {p: open(os.path.join(d, p), "rb").read() for p in sorted(os.listdir(d))}


def test_parts_and_ranks_write_the_cli_bytes(cli, tmp_path, monkeypatch):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(CFG))
    whole = tmp_path / "cli"
    subprocess.run([cli, "init", "--hf-config", str(cfg), "--seed", "2", "--max-shard-size", "3000B",
                    "--out", str(whole)], check=True, capture_output=True, timeout=120)
    want = files(whole)
    assert len(want) > 4
    for n in (1, 2, 3):
        out = tmp_path / f"py{n}"
        for i in range(1, n + 1):
            nninit.init_checkpoint(cfg, out, seed=2, max_shard_size="3000B", part=(i, n))
        assert files(out) == want, n
    # part from RANK / WORLD_SIZE, as torchrun sets them
    out = tmp_path / "ranks"
    for rank in range(3):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "3")
        wrote = nninit.init_checkpoint(str(cfg), str(out), seed=2, max_shard_size="3000B")
        assert ("config.json" in wrote) == (rank == 0)
    assert files(out) == want


def test_checkpoint_errors(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(CFG))
    with pytest.raises(ValueError, match="I/N"):
        nninit.init_checkpoint(cfg, tmp_path / "o", part=(3, 2))
    with pytest.raises(ValueError, match="I/N"):
        nninit.init_checkpoint(cfg, tmp_path / "o", part="x")
    with pytest.raises(OSError, match="cannot read"):
        nninit.init_checkpoint(tmp_path / "missing.json", tmp_path / "o")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="invalid JSON"):
        nninit.init_checkpoint(tmp_path / "bad.json", tmp_path / "o")
