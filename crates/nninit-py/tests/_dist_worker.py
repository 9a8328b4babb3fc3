"""One rank of the sharding test (started by test_distributed.py with RANK,
WORLD_SIZE, MASTER_ADDR=127.0.0.1 and MASTER_PORT set): the same model
sharded several ways, init_module on each, every tensor gathered whole;
rank 0 saves them to argv[1]."""

import datetime
import os
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Replicate, Shard, distribute_tensor

sys.path.insert(0, os.path.dirname(__file__))
import nninit  # noqa: E402
from _dist_model import RULES, SCHEME_CASES, SEED, build, hf_models, own_model, stack_model  # noqa: E402


def place(m, mesh, placements_for):
    for mod in m.modules():
        for n, p in list(mod.named_parameters(recurse=False)):
            setattr(mod, n, nn.Parameter(distribute_tensor(p.detach(), mesh, placements_for(p.dim()))))


def gathered(m):
    return {k: (v.full_tensor() if isinstance(v, DTensor) else v).clone() for k, v in m.state_dict().items()}


def main():
    out = sys.argv[1]
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    dist.init_process_group("gloo", rank=rank, world_size=world, timeout=datetime.timedelta(seconds=90))
    results = {}
    mesh = init_device_mesh("cpu", (world,))

    from torch.distributed.fsdp import fully_shard

    m = build()
    for layer in m:
        if isinstance(layer, (nn.Linear, nn.Embedding)):
            fully_shard(layer, mesh=mesh)
    fully_shard(m, mesh=mesh)
    nninit.init_module(m, seed=SEED, rules=RULES)
    results["fully_shard"] = gathered(m)

    for mode, pl in [
        ("Shard(0)", lambda d: [Shard(0)]),
        ("Shard(1)", lambda d: [Shard(1)] if d >= 2 else [Replicate()]),
        ("Replicate", lambda d: [Replicate()]),
    ]:
        m = build()
        place(m, mesh, pl)
        nninit.init_module(m, seed=SEED, rules=RULES)
        results[mode] = gathered(m)

    # tensor parallel: column-wise then row-wise Linear, the rest plain tensors
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module

    m = build()
    parallelize_module(m, mesh, {"0": ColwiseParallel(), "2": RowwiseParallel()})
    nninit.init_module(m, seed=SEED, rules=RULES)
    results["tensor parallel"] = gathered(m)

    if world == 4:
        mesh2 = init_device_mesh("cpu", (2, 2))
        m = build()
        place(m, mesh2, lambda d: [Shard(0), Shard(1)] if d >= 2 else [Shard(0), Replicate()])
        nninit.init_module(m, seed=SEED, rules=RULES)
        results["2x2 mesh"] = gathered(m)

    # a user's module with its own reset_parameters under FSDP2
    m = own_model()
    fully_shard(m[1], mesh=mesh)
    fully_shard(m, mesh=mesh)
    nninit.init_module(m, seed=SEED)
    results["own fully_shard"] = gathered(m)

    # every transformers family under FSDP2: its _init_weights recorded on an
    # unsharded twin, the plan carried out by region fills on each shard
    for family, m in hf_models().items():
        fully_shard(m, mesh=mesh)
        nninit.init_module(m, seed=SEED)
        results[f"hf {family}"] = gathered(m)

    # the LLM stacks' schemes (decided by role) under FSDP2
    for name, scheme in SCHEME_CASES:
        m = stack_model(name)
        fully_shard(m, mesh=mesh)
        nninit.init_module(m, seed=SEED, scheme=scheme)
        results[f"scheme {name} {scheme}"] = gathered(m)

    if rank == 0:
        torch.save(results, out)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
    # Leave without running C++ static destructors: torch's gloo backend can
    # abort in them ("terminate called without an active exception", seen
    # once in about 30 runs here) after the work is done and the group is
    # destroyed. The results were saved and every rank passed the barrier.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
