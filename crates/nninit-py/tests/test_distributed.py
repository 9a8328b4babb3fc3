"""The same values for every world size and placement: 2 and 4 real
processes (gloo on 127.0.0.1, CPU), fully_shard (FSDP2), distribute_tensor
on Shard(0), Shard(1), Replicate and a 2x2 mesh, tensor parallelism
(parallelize_module with ColwiseParallel and RowwiseParallel), all gathered and compared
bit for bit with one process's init_module of the same model and seed."""

import os
import socket
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():  # pragma: no cover
    pytest.skip("torch.distributed is not built in", allow_module_level=True)

import nninit  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _dist_model import RULES, SCHEME_CASES, SEED, build, hf_models, own_model, stack_model  # noqa: E402

TIMEOUT_S = 240


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_world(world, out):
    port = free_port()
    procs = []
    try:
        for rank in range(world):
            env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                       MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo",
                       OMP_NUM_THREADS="1", RAYON_NUM_THREADS="1")
            procs.append(subprocess.Popen([sys.executable, os.path.join(HERE, "_dist_worker.py"), str(out)],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        logs = []
        for p in procs:
            o, _ = p.communicate(timeout=TIMEOUT_S)
            logs.append(o.decode(errors="replace"))
        for rank, (p, log) in enumerate(zip(procs, logs)):
            assert p.returncode == 0, f"rank {rank} exited {p.returncode}:\n{log[-4000:]}"
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.mark.parametrize("world", [2, 4])
def test_every_placement_gives_the_single_process_values(tmp_path, world):
    out = tmp_path / "gathered.pt"
    run_world(world, out)
    results = torch.load(out)
    single = nninit.init_module(build(), seed=SEED, rules=RULES).state_dict()
    own = nninit.init_module(own_model(), seed=SEED).state_dict()
    sd = results.pop("own fully_shard")
    assert set(sd) == set(own) and bool((own["1.v"][3] == 0).all())
    for k, v in own.items():
        assert torch.equal(sd[k], v), f"own fully_shard: {k} differs"
    for family, m in hf_models().items():
        single_hf = nninit.init_module(m, seed=SEED).state_dict()
        sd = results.pop(f"hf {family}")
        assert set(sd) == set(single_hf), family
        for k, v in single_hf.items():
            assert torch.equal(sd[k], v), f"hf {family} fully_shard: {k} differs"
    for name, scheme in SCHEME_CASES:
        single_s = nninit.init_module(stack_model(name), seed=SEED, scheme=scheme).state_dict()
        sd = results.pop(f"scheme {name} {scheme}")
        assert set(sd) == set(single_s), scheme
        for k, v in single_s.items():
            assert torch.equal(sd[k], v), f"scheme {scheme} on {name} under fully_shard: {k} differs"
    want = {"fully_shard", "Shard(0)", "Shard(1)", "Replicate", "tensor parallel"} | ({"2x2 mesh"} if world == 4 else set())
    assert set(results) == want
    assert bool((single["5.weight"][7] == 0).all()) and bool((single["5.weight"][6] != 0).all())
    for mode, sd in results.items():
        assert set(sd) == set(single), mode
        for k, v in single.items():
            assert sd[k].dtype == v.dtype and sd[k].shape == v.shape, (mode, k)
            assert torch.equal(sd[k].view(torch.int32), v.view(torch.int32)), f"{mode}: {k} differs"
