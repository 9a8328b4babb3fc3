"""init_checkpoint: the CLI's checkpoint, and N parts (as N launcher ranks)
writing the bytes of one run."""

import json
import os
import subprocess

import nninit
import pytest

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


def model_dir(d):
    """A model directory as `huggingface-cli download` leaves it, without weights."""
    d.mkdir()
    (d / "config.json").write_text(json.dumps(CFG))
    for name, text in [("tokenizer.json", "{}"), ("tokenizer_config.json", "{}"), ("vocab.json", "{}"),
                       ("merges.txt", "#"), ("generation_config.json", "{}"), ("README.md", "# m"),
                       ("LICENSE", "MIT")]:
        (d / name).write_text(text)
    return d


def test_a_model_directory_is_initialized_in_place(cli, tmp_path):
    d = model_dir(tmp_path / "m")
    before = files(d)
    wrote = nninit.init_checkpoint(d / "config.json", d, seed=1)
    assert wrote == ["model.safetensors"]
    after = files(d)
    for name, b in before.items():
        assert after[name] == b, f"{name} was touched"
    manifest = json.loads(after[".nninit-manifest.json"])
    assert manifest["files"] == ["model.safetensors"], "the input config is not the run's"
    # the CLI does the same, with the same bytes
    c = model_dir(tmp_path / "c")
    subprocess.run([cli, "init", "--hf-config", str(c / "config.json"), "--seed", "1", "--out", str(c)],
                   check=True, capture_output=True, timeout=120)
    assert files(c) == after
    # a second run replaces its own files, still leaving the others alone
    nninit.init_checkpoint(d / "config.json", d, seed=2)
    again = files(d)
    assert again["model.safetensors"] != after["model.safetensors"]
    assert {k: again[k] for k in before} == before


def test_weight_files_nninit_did_not_write_are_refused_by_name(tmp_path):
    d = model_dir(tmp_path / "m")
    (d / "pytorch_model.bin").write_bytes(b"weights")
    (d / "model.safetensors.index.json").write_text("{}")
    with pytest.raises(OSError) as e:
        nninit.init_checkpoint(d / "config.json", d)
    msg = str(e.value)
    assert "pytorch_model.bin" in msg and "model.safetensors.index.json" in msg and "force=True" in msg
    assert sorted(os.listdir(d)) == sorted(["config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json",
                                            "merges.txt", "generation_config.json", "README.md", "LICENSE",
                                            "pytorch_model.bin", "model.safetensors.index.json"])
    # a config.json that is not the run's input is not replaced silently
    e2 = model_dir(tmp_path / "e")
    other = tmp_path / "other.json"
    other.write_text(json.dumps(dict(CFG, n_layer=1)))
    with pytest.raises(OSError, match="config.json"):
        nninit.init_checkpoint(other, e2)
    nninit.init_checkpoint(other, e2, force=True)
    assert json.loads((e2 / "config.json").read_text())["n_layer"] == 1


def test_ctrl_c_stops_a_long_write_and_leaves_nothing(tmp_path):
    """SIGINT as soon as the first shard of a 480 MB GPT-2 checkpoint is
    being written: KeyboardInterrupt within seconds, no temporary file or
    staging directory left."""
    import glob
    import signal
    import threading
    import time

    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_embd": 768,
                               "n_layer": 12, "n_head": 12}))
    out = tmp_path / "out"
    done = threading.Event()

    def interrupt_once_writing():
        # a shard's temporary file, in the staging directory beside `out`
        while not done.is_set():
            if glob.glob(str(tmp_path / ".nninit-*" / ".nninit-*.tmp")) or glob.glob(str(out / ".nninit-*.tmp")):
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.0005)

    watcher = threading.Thread(target=interrupt_once_writing)
    t0 = time.monotonic()
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            nninit.init_checkpoint(cfg, out, max_shard_size="100MB")
    finally:
        done.set()
        watcher.join()
    took = time.monotonic() - t0
    assert took < 20, took
    leftovers = [n for n in os.listdir(tmp_path) if n.startswith(".nninit-")]
    if out.exists():
        leftovers += [n for n in os.listdir(out) if n != ".nninit-manifest.json"]
    assert leftovers == [], leftovers


def test_a_config_read_that_blocks_holds_neither_the_gil_nor_ctrl_c(tmp_path):
    """The config is a FIFO nobody writes: the read blocks. Other Python
    threads keep running, and SIGINT raises KeyboardInterrupt."""
    import signal
    import threading
    import time

    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            nninit.init_checkpoint(fifo, tmp_path / "out")
    finally:
        timer.cancel()
        stop.set()
        ticker.join()
        # let the blocked reader finish (it sees EOF, then invalid JSON)
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
    assert time.monotonic() - t0 < 15
    assert len(ticks) >= 20, "another thread was frozen while the config read blocked"


def test_rules_over_a_config_give_the_cli_bytes(cli, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(CFG))
    rules = tmp_path / "r.toml"
    rules.write_text('[[rules]]\nmatch = "*.ln_*.weight"\ninit = "constant(val=0.5)"\n')
    subprocess.run([cli, "init", "--hf-config", str(cfg), "--seed", "2", "--rules", str(rules),
                    "--out", str(tmp_path / "cli")], check=True, capture_output=True, timeout=120)
    nninit.init_checkpoint(cfg, tmp_path / "py", seed=2, rules={"*.ln_*.weight": "constant(val=0.5)"})
    assert files(tmp_path / "py") == files(tmp_path / "cli")
    nninit.init_checkpoint(cfg, tmp_path / "file", seed=2, rules=rules)
    assert files(tmp_path / "file") == files(tmp_path / "cli")
    with pytest.raises(ValueError, match="matches no tensor"):
        nninit.init_checkpoint(cfg, tmp_path / "bad", rules=[("*.nothing", "zeros")])
    assert not (tmp_path / "bad").exists()
