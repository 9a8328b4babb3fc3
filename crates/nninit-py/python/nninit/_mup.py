"""muP / CompleteP (``nninit.mup``) and the coordinate check
(``nninit.coord_check``). The rules (which dims are infinite, each
parameter's kind, init rescaling, learning rates, weight decay, eps) and the
check's verdict are computed in Rust (``nninit_io::model::mup``,
``nninit_lab::coord``); this module walks the torch model, carries out the
plan and builds the optimizer's param groups."""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _nninit
from ._nninit import NninitError


def _tied(model: Any) -> List[Tuple[str, str]]:
    """Pairs of names that share one tensor (tied weights)."""
    first: Dict[int, str] = {}
    pairs = []
    for name, p in model.named_parameters(remove_duplicate=False):
        key = id(p)
        if key in first:
            pairs.append((first[key], name))
        else:
            first[key] = name
    return pairs


def _head_dims(model: Any) -> Dict[str, Tuple[int, int]]:
    """(num_heads, head_dim) of each attention module that says so."""
    out: Dict[str, Tuple[int, int]] = {}
    for name, mod in model.named_modules():
        heads = None
        for a in ("num_heads", "n_head", "num_attention_heads", "n_heads"):
            v = getattr(mod, a, None)
            if isinstance(v, int) and v > 0:
                heads = v
                break
        hd = getattr(mod, "head_dim", None)
        if heads is not None and not isinstance(hd, int):
            for a in ("embed_dim", "hidden_size", "n_embd", "dim"):
                v = getattr(mod, a, None)
                if isinstance(v, int) and v > 0:
                    hd = v // heads
                    break
        if heads is not None and isinstance(hd, int):
            out[name] = (heads, hd)
    cfg = getattr(model, "config", None)
    if cfg is not None and isinstance(getattr(cfg, "num_attention_heads", None), int):
        hd = getattr(cfg, "head_dim", None)
        if not isinstance(hd, int) and isinstance(getattr(cfg, "hidden_size", None), int):
            hd = cfg.hidden_size // cfg.num_attention_heads
        if isinstance(hd, int):
            out["<config>"] = (cfg.num_attention_heads, hd)
    return out


def mup(model: Any, *, base: Any, optimizer: str = "adam", lr: float, weight_decay: float = 0.0,
        depth_alpha: Optional[float] = None, scheme: Optional[str] = None, seed: int = 0,
        readout: str = "scaled", eps: float = 1e-8, rules: Any = None, roles: Any = None) -> List[dict]:
    """Initialize ``model`` in place for muP (and, with ``depth_alpha``,
    CompleteP: 1, or depth-muP: 0.5) and return its optimizer param groups,
    each with its absolute ``lr`` and ``weight_decay`` (and, for CompleteP,
    ``eps``) already multiplied, for ``torch.optim.Adam/AdamW/SGD(groups)``.

    ``base`` is a model of the base shape (the same architecture at the width
    the hyperparameters were tuned at) or a dict: parameter name -> base
    shape, or model width -> base width. A dimension is infinite where the
    model's size differs from the base's; width multipliers as
    microsoft/mup's ``InfShape``. In the multiplier-free form (no change to
    the forward pass, Tensor Programs V, Table 3): hidden weights keep the
    scheme's 1/fan_in init (``scheme`` default ``"torch"``) with lr/m; the
    readout's init is divided by sqrt(m) (``readout="zero"``: zeros) with
    lr/m; input weights, biases and norms keep the base lr (``MuAdam``;
    ``MuSGD``'s rules for ``optimizer="sgd"``); biases with torch's default
    init are drawn at their base fan_in, as ``set_base_shapes`` rescales
    them. CompleteP's residual multiplier m_L^-alpha must be applied in the
    forward pass; it is in each group as ``residual_multiplier`` and
    warned about. Tied input/output embeddings and a head dimension that
    grows with width need forward changes and are refused. Each group also
    carries ``names`` and ``kind``.
    """
    from . import _carry_out, _plan, _require_torch, _roles, _rules

    torch = _require_torch()
    if readout not in ("scaled", "zero"):
        raise NninitError(f"readout `{readout}`: allowed: scaled (init / sqrt(m)), zero")
    tied = _tied(model)
    if tied:
        a, b = tied[0]
        raise NninitError(
            f"muP: `{a}` and `{b}` are one tied tensor (tied input/output embeddings): the input embedding "
            "needs the base lr and an O(1) init, the readout lr/m and an init / sqrt(m), which one tensor cannot "
            "have without a forward multiplier; untie them (tie_word_embeddings=False)"
        )
    base_shapes = base_widths = None
    if isinstance(base, torch.nn.Module):
        base_shapes = [(n, [int(d) for d in p.shape]) for n, p in base.named_parameters()]
        mh, bh = _head_dims(model), _head_dims(base)
        for k, (_heads, hd) in mh.items():
            if k in bh and bh[k][1] != hd:
                raise NninitError(
                    f"muP: the attention head dimension of `{k}` grows with width ({bh[k][1]} in the base, {hd} "
                    "here): muP needs attention scaled by 1/head_dim instead of 1/sqrt(head_dim), a change to the "
                    "forward pass; keep head_dim fixed and grow the number of heads"
                )
    elif isinstance(base, Mapping) and base and all(isinstance(k, str) for k in base):
        base_shapes = [(k, [int(d) for d in v]) for k, v in base.items()]
    elif isinstance(base, Mapping) and base and all(isinstance(k, int) for k in base):
        base_widths = [(int(k), int(v)) for k, v in base.items()]
    else:
        raise NninitError(
            f"muP base {type(base).__name__}: allowed: a model of the base shape, a dict of parameter name -> base "
            "shape, or a dict of width -> base width (e.g. {1024: 64})"
        )
    the_plan, replay = _plan(model, _rules(rules), scheme or "torch", seed, _roles(roles))
    new_plan, rows, info = _nninit.mup_plan(
        the_plan, base_shapes=base_shapes, base_widths=base_widths, optimizer=optimizer, lr=float(lr),
        weight_decay=float(weight_decay), eps=float(eps), depth_alpha=depth_alpha, readout_zero=readout == "zero")
    # everything is checked: now write
    _carry_out(model, new_plan, replay, seed=seed)
    params = dict(model.named_parameters())
    groups: Dict[Tuple[float, float, Optional[float], str], dict] = {}
    for r in rows:
        key = (r["lr"], r["weight_decay"], r["eps"], r["kind"])
        g = groups.get(key)
        if g is None:
            g = {"params": [], "names": [], "lr": r["lr"], "weight_decay": r["weight_decay"], "kind": r["kind"]}
            if r["eps"] is not None:
                g["eps"] = r["eps"]
                g["residual_multiplier"] = info["residual_multiplier"]
            groups[key] = g
        g["params"].append(params[r["name"]])
        g["names"].append(r["name"])
    if depth_alpha is not None:
        import warnings

        warnings.warn(
            f"CompleteP: multiply every residual branch by m_L^-alpha = {info['residual_multiplier']:.6g} in the "
            f"forward pass (x + {info['residual_multiplier']:.6g} * F(x)); nninit cannot do it for you",
            stacklevel=2,
        )
    return list(groups.values())


_mup_init = mup


class CoordReport:
    """The coordinate check's result: ``str()`` is a table (layer x width,
    per step), ``.verdict`` is ``"stable"`` or ``"unstable"`` (Rust's rule:
    every layer's coordinate after the last step changes by at most
    ``max_growth`` from the smallest to the largest width), ``.reason`` says
    which layer drifts, ``.to_json()`` and ``.plot(path)`` (log-log SVG)."""

    def __init__(self, widths: List[int], steps: int, coords: Dict[str, List[List[float]]], mup: bool):
        self.widths = widths
        self.steps = steps
        self.coords = coords  # layer -> [width][step]
        self.mup = mup
        last = [(name, [c[-1] for c in per_width]) for name, per_width in coords.items()]
        title = f"coordinate check ({'muP' if mup else 'torch default'}), after {steps} steps"
        j = _nninit.coord_judge(widths, last, title)
        self.verdict: str = j["verdict"]
        self.reason: str = j["reason"]
        self.worst_layer: Optional[str] = j["worst_layer"]
        self.worst_growth: float = j["worst_growth"]
        self.growth: Dict[str, float] = dict(zip(coords, j["growth"]))
        self.max_growth: float = j["max_growth"]
        self._svg: str = j["svg"]

    def __str__(self) -> str:
        name_w = max([len("layer")] + [len(n) for n in self.coords])
        head = f"{'layer':<{name_w}}  step  " + "  ".join(f"{w:>9}" for w in self.widths) + "  growth"
        lines = [head]
        for name, per_width in self.coords.items():
            for t in range(self.steps + 1):
                cells = "  ".join(f"{per_width[i][t]:9.4g}" for i in range(len(self.widths)))
                g = f"  {self.growth[name]:.3g}x" if t == self.steps else ""
                lines.append(f"{name:<{name_w}}  {t:>4}  {cells}{g}")
        lines.append(f"verdict: {self.verdict}: {self.reason}")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({
            "widths": self.widths, "steps": self.steps, "mup": self.mup, "verdict": self.verdict,
            "reason": self.reason, "worst_layer": self.worst_layer, "worst_growth": self.worst_growth,
            "max_growth": self.max_growth, "growth": self.growth,
            "layers": {n: {str(w): c for w, c in zip(self.widths, per)} for n, per in self.coords.items()},
        }, indent=2)

    def plot(self, path: Any) -> None:
        """Write the log-log plot (width vs mean |coordinate| after the last
        step, one line per layer) as a self-contained SVG."""
        import os
        import tempfile

        path = os.fspath(path)
        d = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".nninit-", suffix=".svg")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self._svg)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def __repr__(self) -> str:
        return f"CoordReport(widths={self.widths}, verdict={self.verdict!r})"


def coord_check(build: Callable[[int], Any], widths: Sequence[int], batch: Tuple[Any, Any], *, steps: int = 5,
                optimizer: str = "adam", lr: float, mup: bool = True, base_width: Optional[int] = None,
                loss_fn: Optional[Callable[[Any, Any], Any]] = None, seed: int = 0) -> CoordReport:
    """Build ``build(width)`` for each width, initialize it with
    ``nninit.mup`` (base ``build(base_width)``, default the smallest width)
    or with torch's defaults (``mup=False``, on nninit's streams), train
    ``steps`` steps of ``optimizer`` (adam, adamw, sgd) with ``lr`` on
    ``batch`` = (inputs, targets) (cross-entropy unless ``loss_fn``), and
    record each parametrized module's mean absolute output coordinate before
    each step and after the last."""
    from . import _require_torch, init_module

    torch = _require_torch()
    widths = [int(w) for w in widths]
    if len(widths) < 2 or any(w <= 0 for w in widths):
        raise NninitError(f"coord_check widths {widths}: allowed: at least two widths >= 1")
    if not isinstance(steps, int) or steps < 1:
        raise NninitError(f"coord_check steps `{steps}`: allowed: a whole number >= 1")
    base_w = int(base_width) if base_width is not None else min(widths)
    x, y = batch
    if loss_fn is None:
        def loss_fn(out: Any, target: Any) -> Any:
            return torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]).float(), target.reshape(-1))
    coords: Dict[str, List[List[float]]] = {}
    for wi, w in enumerate(widths):
        model = build(w)
        if mup:
            groups = _mup_init(model, base=build(base_w), optimizer=optimizer, lr=lr, seed=seed)
            groups = [{k: v for k, v in g.items() if k in ("params", "lr", "weight_decay", "eps")} for g in groups]
        else:
            init_module(model, seed=seed, scheme="torch")
            groups = [{"params": list(model.parameters()), "lr": lr}]
        opt_cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}.get(optimizer.lower())
        if opt_cls is None:
            raise NninitError(f"optimizer `{optimizer}`: allowed: adam, adamw, sgd")
        opt = opt_cls(groups, lr=lr)
        seen: Dict[str, List[float]] = {}
        hooks = []
        for name, mod in model.named_modules():
            if name and any(True for _ in mod.parameters(recurse=False)):
                def hook(_m: Any, _i: Any, out: Any, name: str = name, seen: Dict[str, List[float]] = seen) -> None:
                    t = out[0] if isinstance(out, tuple) else out
                    seen.setdefault(name, []).append(float(t.detach().abs().float().mean()))
                hooks.append(mod.register_forward_hook(hook))
        try:
            for t in range(steps + 1):
                out = model(x)
                if t == steps:
                    break
                opt.zero_grad()
                loss = loss_fn(out, y)
                if not math.isfinite(float(loss.detach())):
                    break
                loss.backward()
                opt.step()
        finally:
            for h in hooks:
                h.remove()
        for name, vals in seen.items():
            vals = vals + [math.nan] * (steps + 1 - len(vals))
            coords.setdefault(name, [[math.nan] * (steps + 1) for _ in widths])[wi] = vals[: steps + 1]
    return CoordReport(widths, steps, coords, mup)
