"""Type stubs of the native module (the Rust half of nninit)."""

from os import PathLike
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union, final, overload

import numpy as np

__all__ = [
    "Init",
    "Rules",
    "Generator",
    "Plan",
    "PlanEntry",
    "Signals",
    "NninitError",
    "fill",
    "sample",
    "jax_initializer",
    "jax_threefry",
    "dtype_name",
    "calculate_gain",
    "fans",
    "plan_params",
    "mup_plan",
    "coord_judge",
    "write_checkpoint",
    "write_model_checkpoint",
    "hf_native_model_types",
    "probe_judge",
    "probe_recommend",
    "row_symmetry",
    "unit_fractions",
    "__version__",
]

__version__: str

class NninitError(ValueError):
    """An error of nninit's (bad initializer, shape, dtype, seed, rule or config)."""

@final
class Init:
    """An initializer, validated when built; ``str()`` gives its expression."""

    @staticmethod
    def parse(expr: str) -> Init: ...
    @staticmethod
    def uniform(a: float = 0.0, b: float = 1.0) -> Init: ...
    @staticmethod
    def normal(mean: float = 0.0, std: float = 1.0) -> Init: ...
    @staticmethod
    def trunc_normal(mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0) -> Init: ...
    @staticmethod
    def constant(val: float) -> Init: ...
    @staticmethod
    def eye() -> Init: ...
    @staticmethod
    def dirac(groups: int = 1) -> Init: ...
    @staticmethod
    def xavier_uniform(gain: float = 1.0) -> Init: ...
    @staticmethod
    def xavier_normal(gain: float = 1.0) -> Init: ...
    @staticmethod
    def kaiming_uniform(a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Init: ...
    @staticmethod
    def kaiming_normal(a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Init: ...
    @staticmethod
    def orthogonal(gain: float = 1.0) -> Init: ...
    @staticmethod
    def sparse(sparsity: float, std: float = 0.01) -> Init: ...
    @staticmethod
    def zeros() -> Init: ...
    @staticmethod
    def ones() -> Init: ...
    @staticmethod
    def identity(gain: float = 1.0) -> Init: ...
    @staticmethod
    def delta_orthogonal(scale: float = 1.0) -> Init: ...
    @staticmethod
    def variance_scaling(scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal") -> Init: ...
    @staticmethod
    def preset(name: str) -> Init: ...
    @staticmethod
    def torch_default() -> Init: ...
    @staticmethod
    def torch_default_bias(fan_in: int) -> Init: ...
    def is_shardable(self) -> bool: ...
    def short(self) -> str: ...
    @property
    def name(self) -> str: ...
    def second_moment(self, shape: Sequence[int], layout: str = "torch") -> float: ...
    def check(self, shape: Sequence[int], dtype: str = "float32", layout: str = "torch") -> None: ...

@final
class Generator:
    """A framework's global generator replayed: ``Generator("numpy", s)`` is
    ``np.random.seed(s)``, ``Generator("numpy-default", s)`` is
    ``np.random.default_rng(s)`` (``s`` an int or a sequence of ints),
    ``Generator("torch", s)`` is ``torch.manual_seed(s)``, ``Generator("jax", s)``
    is ``jax.random.key(s)``, the i-th tensor drawn from ``fold_in(key, i)``
    (``per_tensor=False``: every tensor from the key itself)."""

    def __new__(
        cls,
        rng: str,
        seed: Union[int, Sequence[int], None] = None,
        kernels: Optional[str] = None,
        *,
        x64: Optional[bool] = None,
        partitionable: Optional[bool] = None,
        per_tensor: bool = True,
    ) -> Generator: ...
    @property
    def rng(self) -> str: ...

@final
class Rules:
    """Ordered glob rules over parameter names; the first match wins."""

    def __new__(cls, rules: Any) -> Rules: ...
    @staticmethod
    def load(path: Union[str, PathLike[str]]) -> Rules: ...
    def first_match(self, name: str) -> Optional[Tuple[int, str, Init]]: ...
    def __len__(self) -> int: ...

@final
class PlanEntry:
    """One row of a plan."""

    @property
    def name(self) -> str: ...
    @property
    def shape(self) -> List[int]: ...
    @property
    def dtype(self) -> str: ...
    @property
    def module(self) -> str: ...
    @property
    def role(self) -> Optional[str]: ...
    @property
    def layer(self) -> Optional[int]: ...
    @property
    def init(self) -> Init: ...
    @property
    def why(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def zero_row(self) -> Optional[int]: ...
    @property
    def no_replay(self) -> Optional[str]: ...

@final
class Plan:
    """A model's plan: a row per parameter; ``str()`` is a table."""

    @property
    def entries(self) -> List[PlanEntry]: ...
    @property
    def scheme(self) -> Optional[str]: ...
    def to_json(self) -> str: ...
    def __len__(self) -> int: ...

@final
class Signals:
    """One layer's signals for the probe's rules."""

    def __new__(
        cls,
        *,
        fan_out: int,
        act_std: float,
        backward_norm: float,
        grad_rel: Optional[float] = None,
        symmetry: float = 0.0,
        nonfinite: bool = False,
        dead_frac: float = 0.0,
        saturated_frac: float = 0.0,
    ) -> Signals: ...

def fill(
    out: Any,
    init: Init,
    shape: Sequence[int],
    *,
    seed: int = 0,
    name: str = "tensor",
    layout: str = "torch",
    offset: Optional[Sequence[int]] = None,
    bf16_bits: bool = False,
    generator: Optional[Generator] = None,
) -> None: ...
def jax_threefry(op: str, partitionable: bool, *args: Any) -> Any: ...
def jax_initializer(
    kind: str,
    params: Dict[str, Any],
    key: Tuple[int, int],
    shape: List[int],
    partitionable: bool,
    rng: str = "jax",
    dtype: str = "float32",
    check_only: bool = False,
    out: Optional[np.ndarray] = None,
) -> Optional[np.ndarray]: ...
def sample(
    init: Init,
    shape: Sequence[int],
    *,
    seed: int = 0,
    name: str = "tensor",
    dtype: Any = None,
    layout: str = "torch",
    generator: Optional[Generator] = None,
) -> np.ndarray: ...
def dtype_name(dtype: Any) -> str: ...
def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float: ...
def fans(shape: Sequence[int], layout: str = "torch") -> Tuple[int, int]: ...
@overload
def plan_params(
    params: Sequence[Dict[str, Any]], rules: Optional[Rules] = None, scheme: str = "torch", partial: Literal[False] = False,
    roles: Optional[Sequence[Tuple[str, str]]] = None,
) -> Plan: ...
@overload
def plan_params(
    params: Sequence[Dict[str, Any]], rules: Optional[Rules], scheme: str, partial: Literal[True],
    roles: Optional[Sequence[Tuple[str, str]]] = None,
) -> Tuple[Plan, List[str]]: ...
@overload
def plan_params(
    params: Sequence[Dict[str, Any]], rules: Optional[Rules] = None, scheme: str = "torch", *, partial: Literal[True],
    roles: Optional[Sequence[Tuple[str, str]]] = None,
) -> Tuple[Plan, List[str]]: ...
def mup_plan(
    plan: Plan,
    *,
    base_shapes: Optional[Sequence[Tuple[str, Sequence[int]]]] = None,
    base_widths: Optional[Sequence[Tuple[int, int]]] = None,
    optimizer: str = "adam",
    lr: float,
    weight_decay: float = 0.0,
    eps: float = 1e-8,
    depth_alpha: Optional[float] = None,
    readout_zero: bool = False,
) -> Tuple[Plan, List[Dict[str, Any]], Dict[str, Any]]: ...
def coord_judge(
    widths: Sequence[int], layers: Sequence[Tuple[str, Sequence[float]]], title: str = "coordinate check"
) -> Dict[str, Any]: ...
def write_checkpoint(
    config: Union[str, PathLike[str]],
    out_dir: Union[str, PathLike[str]],
    *,
    seed: int = 0,
    dtype: Any = None,
    max_shard_size: str = "5GB",
    part: Union[None, str, Tuple[int, int]] = None,
    force: bool = False,
    rules: Optional[Rules] = None,
    scheme: Optional[str] = None,
    roles: Optional[Sequence[Tuple[str, str]]] = None,
) -> List[str]: ...
def write_model_checkpoint(
    tensors: Sequence[Tuple[str, Sequence[int], str, str, Optional[int], Optional[np.ndarray]]],
    config_text: str,
    model_type: str,
    out_dir: Union[str, PathLike[str]],
    *,
    seed: int = 0,
    max_shard_size: str = "5GB",
    part: Union[None, str, Tuple[int, int]] = None,
    force: bool = False,
) -> List[str]: ...
def hf_native_model_types() -> List[str]: ...
def probe_judge(layers: Sequence[Signals], body: bool = False) -> dict: ...
def probe_recommend(kind: str, activation: Optional[str] = None) -> Optional[Init]: ...
def row_symmetry(m: np.ndarray) -> float: ...
def unit_fractions(activation: str, out: np.ndarray) -> Tuple[float, float]: ...
