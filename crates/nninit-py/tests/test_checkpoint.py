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


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm")
def test_tmpfs_checkpoint_holds_the_disk_checkpoints_bytes(tmp_path):
    """On tmpfs the shard files are filled from every core (the Rust writer's
    userfaultfd path, for files of 64 MB and more); the bytes are those the
    single write stream puts on disk. A 2-layer GPT-2 of ~100 MB in 2 shards."""
    import tempfile

    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "gpt2", "vocab_size": 20000, "n_positions": 64, "n_embd": 768,
                               "n_layer": 2, "n_head": 12}))
    disk = tmp_path / "disk"
    nninit.init_checkpoint(cfg, disk, seed=4, max_shard_size="80MB")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        out = os.path.join(shm, "ck")
        nninit.init_checkpoint(cfg, out, seed=4, max_shard_size="80MB")
        got = files(out)
    want = files(disk)
    assert len([f for f in want if f.endswith(".safetensors")]) == 2
    assert max(len(b) for b in want.values()) > 64 << 20
    assert got == want
