"""``nninit.probe``: one forward and one backward pass through any PyTorch
module, per-layer statistics, and the verdict of nninit's probe rules
(symmetric, vanishing, exploding, healthy; dead, saturated) with a
recommendation as ``init_module`` rules.

This file only collects numbers with hooks; the rules that turn them into a
verdict, the layer where it goes wrong and the recommended initializers are
the Rust library's (``nninit_lab::probe::rules``), the same code as
``nninit probe``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Optional

from . import _nninit

# activation modules and the names nninit's Activation parser reads
_ACTIVATIONS = {
    "ReLU": lambda m: "relu",
    "ReLU6": lambda m: "relu",
    "Tanh": lambda m: "tanh",
    "Sigmoid": lambda m: "sigmoid",
    "GELU": lambda m: "gelu",
    "SiLU": lambda m: "silu",
    "ELU": lambda m: f"elu({m.alpha})",
    "SELU": lambda m: "selu",
    "LeakyReLU": lambda m: f"leaky_relu({m.negative_slope})",
}

_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def _first_tensor(x: Any):
    torch = _torch()
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for v in x:
            t = _first_tensor(v)
            if t is not None:
                return t
    if isinstance(x, dict):
        for v in x.values():
            t = _first_tensor(v)
            if t is not None:
                return t
    return None


def _torch():
    import torch

    return torch


def _finite_all(t) -> bool:
    torch = _torch()
    return bool(torch.isfinite(t).all())


class ProbeReport:
    """What ``nninit.probe`` found. ``print(report)`` shows a table;
    ``to_dict()`` / ``to_json()`` give ``verdict``, ``verdicts``,
    ``recommendation``, ``reason``, ``first_bad``, ``layers`` and the residual
    ``stream``; ``plot(path)`` writes an SVG of activation std and gradient
    norms per layer on a log scale."""

    verdict: str
    verdicts: List[str]
    first_bad: Optional[str]
    reason: str
    recommendation: Dict[str, str]
    loss: float
    forward_growth: float
    backward_growth: float
    layers: List[Dict[str, Any]]
    stream: List[Dict[str, Any]]
    stream_growth: float

    def __init__(self, d: Dict[str, Any]):
        self._d = d
        for k, v in d.items():
            setattr(self, k, v)

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(json.dumps(self._d))

    def to_json(self, indent: Optional[int] = 2) -> str:
        return json.dumps(self._d, indent=indent)

    def __repr__(self) -> str:
        return f"ProbeReport(verdict={self.verdict!r}, layers={len(self.layers)})"

    def __str__(self) -> str:
        def f(x):
            if x is None:
                return "-"
            if isinstance(x, float):
                return f"{x:.3g}"
            return str(x)

        cols = ["name", "kind", "fan_in", "fan_out", "act_mean", "act_std", "dead_frac", "saturated_frac",
                "backward_norm", "grad_norm", "grad_rel", "symmetry"]
        head = ["layer", "kind", "fan_in", "fan_out", "act_mean", "act_std", "dead", "sat", "back_norm",
                "grad_norm", "grad_rel", "sym"]
        rows = [[f(r.get(c)) for c in cols] for r in self.layers]
        width = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(head, width))]
        for r in rows:
            lines.append("  ".join(v.ljust(w) for v, w in zip(r, width)))
        if self.stream:
            lines.append(
                f"residual stream: {len(self.stream)} blocks, output std x{self.stream_growth:.3g} "
                "from the first to the last (reported apart from the per-layer signal)"
            )
        where = f" (first at `{self.first_bad}`)" if self.first_bad else ""
        lines.append(f"verdict: {', '.join(self.verdicts)}{where}")
        lines.append(self.reason)
        if self.recommendation:
            lines.append("recommendation (nninit.init_module(model, rules=report.recommendation)):")
            for k, v in self.recommendation.items():
                lines.append(f"  {k}: {v}")
        return "\n".join(lines)

    def plot(self, path: str) -> str:
        """Write an SVG: activation std, backward signal and weight-gradient
        norm per layer, log scale. Returns the path."""
        series = [
            ("activation std", "#1f77b4", [r.get("act_std") for r in self.layers]),
            ("backward norm", "#d62728", [r.get("backward_norm") for r in self.layers]),
            ("weight grad norm", "#2ca02c", [r.get("grad_norm") for r in self.layers]),
        ]
        vals = [v for _, _, s in series for v in s if v is not None and v > 0 and math.isfinite(v)]
        lo, hi = (math.log10(min(vals)), math.log10(max(vals))) if vals else (0.0, 1.0)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        w, h, ml, mr, mt, mb = 760, 360, 60, 170, 30, 40
        n = max(len(self.layers), 2)

        def xy(i, v):
            x = ml + (w - ml - mr) * i / (n - 1)
            y = mt + (h - mt - mb) * (1 - (math.log10(v) - lo) / (hi - lo))
            return x, y

        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
               f'<rect width="{w}" height="{h}" fill="white"/>',
               f'<text x="{ml}" y="18" font-size="13">nninit.probe: {", ".join(self.verdicts)}</text>']
        for k in range(math.floor(lo), math.ceil(hi) + 1):
            if lo <= k <= hi:
                y = mt + (h - mt - mb) * (1 - (k - lo) / (hi - lo))
                out.append(f'<line x1="{ml}" x2="{w - mr}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
                out.append(f'<text x="{ml - 6}" y="{y + 4:.1f}" text-anchor="end">1e{k}</text>')
        for j, (label, color, s) in enumerate(series):
            pts = [xy(i, v) for i, v in enumerate(s) if v is not None and v > 0 and math.isfinite(v)]
            if pts:
                out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                           + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
            out.append(f'<text x="{w - mr + 10}" y="{mt + 16 * j + 10}" fill="{color}">{label}</text>')
        step = max(1, len(self.layers) // 12)
        for i in range(0, len(self.layers), step):
            x = ml + (w - ml - mr) * i / (n - 1)
            out.append(f'<text x="{x:.1f}" y="{h - mb + 14}" text-anchor="middle">{i}</text>')
        label = f"layer (forward order, {len(self.layers)} with parameters)"
        out.append(f'<text x="{(ml + w - mr) / 2:.0f}" y="{h - 6}" text-anchor="middle">{label}</text>')
        out.append("</svg>")
        with open(path, "w") as fh:
            fh.write("\n".join(out))
        return path


def _call(model, inputs):
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, tuple):
        return model(*inputs)
    return model(inputs)


def _loss(out, target, loss_fn):
    torch = _torch()
    o = _first_tensor(out)
    if loss_fn is not None:
        loss = loss_fn(out, target)
    elif target is not None and not target.is_floating_point() and o is not None:
        loss = torch.nn.functional.cross_entropy(o.reshape(-1, o.shape[-1]).float(), target.reshape(-1))
    else:
        if o is None:
            raise ValueError("nninit.probe: the model returned no tensor; pass loss_fn to say what to differentiate")
        loss = o.float().pow(2).sum()
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"nninit.probe: the loss must be a scalar tensor, got {shape}")
    return loss.reshape(())


def probe(model, inputs, target=None, *, loss_fn=None, seed: int = 0) -> ProbeReport:
    """Diagnose a PyTorch model's initialization with one forward and one
    backward pass on ``inputs`` (a tensor, a tuple of tensors, or a dict of
    keyword arguments).

    The loss is ``loss_fn(output, target)`` when given, cross-entropy when
    ``target`` holds class indices, otherwise the sum of squares of the output.
    One row per module with parameters, in forward execution order: output
    statistics, dead/saturated fractions of a following activation, the
    gradient norm at the module's output, its weight's gradient, and how alike
    the weight's rows are. The verdict, the first layer where it goes wrong and
    a recommendation (``init_module`` rules) come from nninit's rules. The
    growth of a residual stream across blocks is reported apart
    (``report.stream``), so a healthy pre-norm transformer is not called
    exploding for it. Parameters, ``requires_grad`` flags, ``.grad``, buffers
    (BatchNorm statistics) and train/eval mode are left as they were; hooks
    are removed even when the forward raises. ``seed`` seeds torch's global
    generator for the pass (dropout) and is restored afterwards.
    """
    torch = _torch()
    params = list(model.parameters())
    if not params:
        raise ValueError("nninit.probe: the model has no parameters: there is nothing to diagnose")
    flat = []
    if isinstance(inputs, dict):
        flat = [v for v in inputs.values() if isinstance(v, torch.Tensor)]
    elif isinstance(inputs, (tuple, list)):
        flat = [v for v in inputs if isinstance(v, torch.Tensor)]
    elif isinstance(inputs, torch.Tensor):
        flat = [inputs]
    for i, t in enumerate(flat):
        if t.is_floating_point() and not _finite_all(t):
            raise ValueError(f"nninit.probe: input {i} contains NaN or inf; the probe needs finite inputs")

    modes = [(m, m.training) for m in model.modules()]
    req = [(p, p.requires_grad) for p in params]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    rng_state = torch.get_rng_state()
    records: List[Dict[str, Any]] = []  # modules with parameters and activations, in execution order
    blocks: List[Dict[str, Any]] = []
    handles = []

    def leaf_hook(name, kind, act_name, has_params):
        def hook(mod, inp, out):
            t = _first_tensor(out)
            if t is None or not t.is_floating_point():
                return
            rec = {"name": name, "kind": kind, "act": act_name, "params": has_params, "module": mod}
            d = t.detach().float()
            n = max(d.numel(), 1)
            # one pass each for the mean and the root mean square (torch.std
            # is several times slower): var = E[x^2] - E[x]^2
            mu = float(d.sum(dtype=torch.float64)) / n
            ms = float(torch.linalg.vector_norm(d)) ** 2 / n
            rec["act_mean"], rec["act_std"] = mu, math.sqrt(max(ms - mu * mu, 0.0))
            # a non-finite value makes the mean non-finite: no extra pass
            rec["nonfinite"] = not (math.isfinite(rec["act_mean"]) and math.isfinite(rec["act_std"]))
            rec["numel"] = d.numel()
            if act_name is not None:
                b = d.reshape(d.shape[0], -1) if d.dim() >= 2 else d.reshape(1, -1)
                rec["fractions"] = _nninit.unit_fractions(act_name, b.cpu().contiguous().numpy())
            if t.requires_grad and has_params:
                def grad_hook(g, rec=rec):
                    n = float(g.detach().float().norm())
                    rec["backward_norm"] = n
                    rec["nonfinite"] = rec["nonfinite"] or not math.isfinite(n)
                t.register_hook(grad_hook)
            records.append(rec)
        return hook

    def block_hook(name):
        def hook(mod, inp, out):
            x, y = _first_tensor(inp), _first_tensor(out)
            if x is not None and y is not None and x.shape == y.shape and y.is_floating_point():
                blocks.append({"name": name, "kind": type(mod).__name__,
                               "std": float(y.detach().float().std(unbiased=False))})
        return hook

    try:
        for name, m in model.named_modules():
            kind = type(m).__name__
            direct = any(True for _ in m.parameters(recurse=False))
            act = _ACTIVATIONS[kind](m) if kind in _ACTIVATIONS else None
            if direct or act is not None:
                handles.append(m.register_forward_hook(leaf_hook(name, kind, act, direct)))
            elif name and kind not in _CONTAINERS and any(True for _ in m.parameters()):
                handles.append(m.register_forward_hook(block_hook(name)))
        torch.manual_seed(seed)
        with torch.enable_grad():
            for p in params:
                p.requires_grad_(True)
            try:
                out = _call(model, inputs)
            except Exception as e:  # the model's own error, with the probe's context
                msg = f"nninit.probe: the model's forward failed on the given inputs: {e}"
                try:
                    err = type(e)(msg)
                except Exception:
                    err = RuntimeError(msg)
                raise err from e
            loss = _loss(out, target, loss_fn)
            grads = torch.autograd.grad(loss, params, allow_unused=True)
    finally:
        for h in handles:
            h.remove()
        for p, r in req:
            p.requires_grad_(r)
        for m, t in modes:
            m.training = t
        with torch.no_grad():
            for b, v in buffers:
                b.copy_(v)
        torch.set_rng_state(rng_state)

    grad_of = {id(p): g for p, g in zip(params, grads)}
    # fold each activation into the module with parameters right before it
    layers: List[Dict[str, Any]] = []
    seen = set()
    for i, rec in enumerate(records):
        if not rec["params"]:
            continue
        if id(rec["module"]) in seen:  # a module called twice: its first call
            continue
        seen.add(id(rec["module"]))
        nxt = records[i + 1] if i + 1 < len(records) else None
        follows = nxt["act"] if nxt is not None and not nxt["params"] else None
        dead, sat = nxt["fractions"] if nxt is not None and follows is not None else (0.0, 0.0)
        m = rec["module"]
        own = dict(m.named_parameters(recurse=False))
        wname = "weight" if "weight" in own else next(
            (n for n, p in own.items() if p.dim() >= 2), next(iter(own)))
        w = own[wname]
        fan_in = fan_out = None
        if w.dim() >= 2:
            fan_in, fan_out = _nninit.fans(list(w.shape))
        wd = w.detach()
        wnorm = float(wd.float().norm())
        g = grad_of.get(id(w))
        gnorm = float(g.float().norm()) if g is not None else 0.0
        sym = 0.0
        if w.dim() >= 2 and w.shape[0] > 1:
            sym = _nninit.row_symmetry(wd.float().reshape(w.shape[0], -1).cpu().contiguous().numpy())
        layers.append({
            "name": rec["name"] or type(m).__name__,
            "kind": rec["kind"],
            "weight": f"{rec['name']}.{wname}" if rec["name"] else wname,
            "activation": follows,
            "fan_in": fan_in,
            "fan_out": fan_out,
            "act_mean": rec["act_mean"],
            "act_std": rec["act_std"],
            "dead_frac": dead,
            "saturated_frac": sat,
            "backward_norm": rec.get("backward_norm", 0.0),
            "backward_rms": rec.get("backward_norm", 0.0) / math.sqrt(max(rec["numel"], 1)),
            "grad_norm": gnorm,
            "grad_rel": (gnorm / wnorm) if wnorm > 0 and math.isfinite(gnorm / wnorm) else None,
            "symmetry": sym,
            "nonfinite": bool(rec["nonfinite"] or (g is not None and not _finite_all(g))),
        })
    # backward growth on per-element gradients from the first to the last
    # hidden layer: a model's head (pooled classifier, vocabulary projection)
    # has outputs of another size than its body's layers
    j = _nninit.probe_judge([
        _nninit.Signals(fan_out=l["fan_out"] or 0, act_std=l["act_std"], backward_norm=l["backward_rms"],
                        grad_rel=l["grad_rel"], symmetry=l["symmetry"], nonfinite=l["nonfinite"],
                        dead_frac=l["dead_frac"], saturated_frac=l["saturated_frac"])
        for l in layers
    ], body=True)
    recommendation: Dict[str, str] = {}
    if j["verdicts"] != ["healthy"]:
        for l in layers:
            r = _nninit.probe_recommend(l["kind"], l["activation"])
            if r is not None:
                recommendation[l["weight"]] = r.short()
    first_bad = layers[j["first_bad"]]["name"] if j["first_bad"] is not None else None
    # the residual stream: blocks that hold no other block (an encoder that
    # wraps its layers is not a step of the stream), first call each
    names_b = [b["name"] for b in blocks]
    blocks = [b for b in blocks if not any(o.startswith(b["name"] + ".") for o in names_b)]
    uniq, seen_b = [], set()
    for b in blocks:
        if b["name"] not in seen_b:
            seen_b.add(b["name"])
            uniq.append(b)
    blocks = uniq
    stream_growth = (blocks[-1]["std"] / blocks[0]["std"]) if len(blocks) >= 2 and blocks[0]["std"] > 0 else 1.0
    return ProbeReport({
        "verdict": j["verdict"],
        "verdicts": j["verdicts"],
        "first_bad": first_bad,
        "reason": j["reason"],
        "recommendation": recommendation,
        "loss": float(loss.detach()),
        "forward_growth": j["forward_growth"],
        "backward_growth": j["backward_growth"],
        "layers": layers,
        "stream": blocks,
        "stream_growth": stream_growth,
    })
