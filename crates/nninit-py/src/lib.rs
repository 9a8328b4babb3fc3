//! `nninit._nninit`: the native half of the Python package. Everything that
//! decides a value lives in the Rust crates (initializers, their validation,
//! fans, gains, the expression language, streams, the rules of
//! `init_module`); the Python half only finds the buffer of a tensor and its
//! place in a sharded tensor.
//!
//! Every fill works on a C-contiguous, writeable NumPy array (a CPU torch
//! tensor's `.numpy()` view shares its memory, so nothing is copied), checks
//! everything before writing a byte, and releases the GIL while generating.
//! Errors are `ValueError` (or `TypeError` for the wrong kind of array) with
//! the library's message, the same text the CLI prints. A Rust panic would
//! reach Python as pyo3's `PanicException`; the library is built so that no
//! input makes it panic (property-tested in the core crate).

use half::{bf16, f16};
use nninit::{Element, Error, FanMode, Init, Layout, Nonlinearity, Stream};
use numpy::{
    PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;

pyo3::create_exception!(
    nninit,
    NninitError,
    PyValueError,
    "An error of nninit's: a bad initializer, shape, dtype, seed, rule or config (the message names the value and what is allowed). A ValueError, so `except ValueError` keeps working."
);

/// The CLI's wording of a library message, said the Python way: where a
/// message names a command-line flag, the Python parameter that does the
/// same. The library's messages are shared by every front end; this is the
/// one place that knows how the flags are spelled in Python.
fn for_python(msg: String) -> String {
    const FLAGS: [(&str, &str); 11] = [
        (
            "--force to write beside them",
            "force=True to write beside them",
        ),
        ("--force", "force=True"),
        ("--max-shard-size", "max_shard_size"),
        (
            "--hf-config writes a directory",
            "init_checkpoint writes a directory",
        ),
        ("--part I/N", "part=(I, N)"),
        ("pass --dtype to choose one", "pass dtype= to choose one"),
        ("--dtype", "dtype"),
        ("--seed", "seed"),
        (
            "use --rng nninit (or torch)",
            "use rng=\"nninit\" (or \"torch\")",
        ),
        ("--rng", "rng"),
        ("--shape=", "shape="),
    ];
    FLAGS
        .iter()
        .fold(msg, |m, (flag, param)| m.replace(flag, param))
}

/// The library's error as a Python exception with the CLI's message (said
/// the Python way): `OSError` for I/O, `KeyboardInterrupt` for a write
/// stopped by Ctrl-C, [`NninitError`] (a `ValueError`) otherwise.
fn value_err(e: Error) -> PyErr {
    let msg = for_python(e.to_string());
    match e {
        Error::Io { .. } | Error::DiskSpace { .. } => PyOSError::new_err(msg),
        Error::Interrupted { .. } => PyKeyboardInterrupt::new_err(msg),
        _ => NninitError::new_err(msg),
    }
}

/// A message of the package's own as an [`NninitError`].
fn nninit_err(msg: impl Into<String>) -> PyErr {
    NninitError::new_err(msg.into())
}

/// A seed given from Python (any int) as `rng`'s family takes it.
fn seed_for(rng: nninit::rng::RngKind, seed: i128) -> PyResult<u64> {
    rng.seed(seed).map_err(value_err)
}

/// An initializer: what to put in a tensor, validated when built. Build one
/// with `Init.parse(expr)` or the named constructors; `repr` gives its
/// expression.
#[pyclass(frozen, name = "Init", module = "nninit")]
#[derive(Clone)]
struct PyInit(Init);

/// A validated initializer, or the library's error as a ValueError.
fn wrap(r: nninit::Result<Init>) -> PyResult<PyInit> {
    r.map(PyInit).map_err(value_err)
}

fn layout(s: &str) -> PyResult<Layout> {
    Layout::parse(s).map_err(value_err)
}

fn parse_nonlinearity(name: &str, param: Option<f64>) -> PyResult<Nonlinearity> {
    Nonlinearity::parse(name, param).map_err(value_err)
}

#[pymethods]
impl PyInit {
    /// Parse an init expression (`"kaiming_normal(nonlinearity=relu)"`).
    #[staticmethod]
    fn parse(expr: &str) -> PyResult<Self> {
        wrap(Init::parse(expr))
    }

    /// U(a, b).
    #[staticmethod]
    #[pyo3(signature = (a=0.0, b=1.0))]
    fn uniform(a: f64, b: f64) -> PyResult<Self> {
        wrap(Init::uniform(a, b))
    }

    /// N(mean, std^2).
    #[staticmethod]
    #[pyo3(signature = (mean=0.0, std=1.0))]
    fn normal(mean: f64, std: f64) -> PyResult<Self> {
        wrap(Init::normal(mean, std))
    }

    /// N(mean, std^2) truncated to the absolute bounds [a, b].
    #[staticmethod]
    #[pyo3(signature = (mean=0.0, std=1.0, a=-2.0, b=2.0), text_signature = "(mean=0.0, std=1.0, a=-2.0, b=2.0)")]
    fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> PyResult<Self> {
        wrap(Init::trunc_normal(mean, std, a, b))
    }

    /// Every element `val`.
    #[staticmethod]
    fn constant(val: f64) -> PyResult<Self> {
        wrap(Init::constant(val))
    }

    /// The identity matrix (2-D).
    #[staticmethod]
    fn eye() -> Self {
        PyInit(Init::eye())
    }

    /// Dirac delta (3-5-D convolution kernels), `groups` groups.
    #[staticmethod]
    #[pyo3(signature = (groups=1))]
    fn dirac(groups: usize) -> PyResult<Self> {
        wrap(Init::dirac(groups))
    }

    /// Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).
    #[staticmethod]
    #[pyo3(signature = (gain=1.0))]
    fn xavier_uniform(gain: f64) -> PyResult<Self> {
        wrap(Init::xavier_uniform(gain))
    }

    /// Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
    #[staticmethod]
    #[pyo3(signature = (gain=1.0))]
    fn xavier_normal(gain: f64) -> PyResult<Self> {
        wrap(Init::xavier_normal(gain))
    }

    /// He uniform: U(-b, b), b = gain * sqrt(3 / fan_mode).
    #[staticmethod]
    #[pyo3(signature = (a=0.0, mode="fan_in", nonlinearity="leaky_relu"))]
    fn kaiming_uniform(a: f64, mode: &str, nonlinearity: &str) -> PyResult<Self> {
        let nl = parse_nonlinearity(nonlinearity, Some(a))?;
        let mode = FanMode::parse(mode).map_err(value_err)?;
        wrap(Init::kaiming_uniform(a, mode, nl))
    }

    /// He normal: N(0, std^2), std = gain / sqrt(fan_mode).
    #[staticmethod]
    #[pyo3(signature = (a=0.0, mode="fan_in", nonlinearity="leaky_relu"))]
    fn kaiming_normal(a: f64, mode: &str, nonlinearity: &str) -> PyResult<Self> {
        let nl = parse_nonlinearity(nonlinearity, Some(a))?;
        let mode = FanMode::parse(mode).map_err(value_err)?;
        wrap(Init::kaiming_normal(a, mode, nl))
    }

    /// A (semi-)orthogonal matrix times `gain`.
    #[staticmethod]
    #[pyo3(signature = (gain=1.0))]
    fn orthogonal(gain: f64) -> PyResult<Self> {
        wrap(Init::orthogonal(gain))
    }

    /// Sparse columns: a `sparsity` share of each column zero, the rest N(0, std^2).
    #[staticmethod]
    #[pyo3(signature = (sparsity, std=0.01))]
    fn sparse(sparsity: f64, std: f64) -> PyResult<Self> {
        wrap(Init::sparse(sparsity, std))
    }

    /// Every element 0.
    #[staticmethod]
    fn zeros() -> Self {
        PyInit(Init::zeros())
    }

    /// Every element 1.
    #[staticmethod]
    fn ones() -> Self {
        PyInit(Init::ones())
    }

    /// `gain` on the diagonal (2-D).
    #[staticmethod]
    #[pyo3(signature = (gain=1.0))]
    fn identity(gain: f64) -> PyResult<Self> {
        wrap(Init::identity(gain))
    }

    /// JAX's delta-orthogonal convolution kernel times `scale`.
    #[staticmethod]
    #[pyo3(signature = (scale=1.0))]
    fn delta_orthogonal(scale: f64) -> PyResult<Self> {
        wrap(Init::delta_orthogonal(scale))
    }

    /// Keras/JAX variance scaling: `scale / fan` as the variance of
    /// `distribution` (`truncated_normal`, `untruncated_normal`, `uniform`).
    #[staticmethod]
    #[pyo3(signature = (scale=1.0, mode="fan_in", distribution="truncated_normal"))]
    fn variance_scaling(scale: f64, mode: &str, distribution: &str) -> PyResult<Self> {
        let mode = FanMode::parse(mode).map_err(value_err)?;
        let d = nninit::init::VsDistribution::parse(distribution).map_err(value_err)?;
        wrap(Init::variance_scaling(scale, mode, d))
    }

    /// A Keras/JAX preset: `glorot_uniform`, `glorot_normal`, `lecun_uniform`,
    /// `lecun_normal`, `he_uniform`, `he_normal`.
    #[staticmethod]
    fn preset(name: &str) -> PyResult<Self> {
        wrap(Init::preset(name))
    }

    /// `nn.Linear`/`nn.Conv*d`'s weight default (kaiming_uniform with a = sqrt(5)).
    #[staticmethod]
    fn torch_default() -> Self {
        PyInit(Init::torch_default())
    }

    /// `nn.Linear`/`nn.Conv*d`'s bias default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    #[staticmethod]
    fn torch_default_bias(fan_in: u64) -> PyResult<Self> {
        wrap(Init::torch_default_bias(fan_in))
    }

    /// Whether any block can be generated on its own (false for orthogonal,
    /// delta_orthogonal and sparse, which are generated whole on every rank).
    fn is_shardable(&self) -> bool {
        self.0.is_shardable()
    }

    /// The initializer's name (`"kaiming_normal"`).
    #[getter]
    fn name(&self) -> &'static str {
        self.0.name()
    }

    /// E[w^2] of one element of a tensor of `shape`.
    #[pyo3(signature = (shape, layout="torch"))]
    fn second_moment(&self, shape: Vec<usize>, layout: &str) -> PyResult<f64> {
        self.0
            .second_moment(&shape, self::layout(layout)?)
            .map_err(value_err)
    }

    /// Check, without writing anything, that this initializer can fill a
    /// tensor of `shape` and `dtype` (`float32`, `float64`, `float16`,
    /// `bfloat16`); a ValueError says why not.
    #[pyo3(signature = (shape, dtype="float32", layout="torch"))]
    fn check(&self, shape: Vec<usize>, dtype: &str, layout: &str) -> PyResult<()> {
        let dtype = nninit::DType::parse(dtype).map_err(value_err)?;
        self.0
            .check_shape(&shape, self::layout(layout)?, dtype)
            .map_err(value_err)
    }

    /// The expression with only the parameters that differ from their
    /// defaults (`kaiming_normal(nonlinearity=relu)`).
    fn short(&self) -> String {
        self.0.short()
    }

    fn __repr__(&self) -> String {
        format!("Init({:?})", self.0.to_string())
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// Which element type a NumPy array holds, as nninit fills it.
#[derive(Clone, Copy)]
enum Kind {
    F32,
    F64,
    F16,
    /// int16 holding bfloat16 bits (a torch bf16 tensor viewed as int16).
    Bf16InI16,
    /// uint16 holding bfloat16 bits.
    Bf16InU16,
}

fn kind_of(arr: &Bound<'_, PyUntypedArray>, bf16_bits: bool) -> PyResult<Kind> {
    let py = arr.py();
    let d = arr.dtype();
    if bf16_bits {
        if d.is_equiv_to(&numpy::dtype::<i16>(py)) {
            return Ok(Kind::Bf16InI16);
        }
        if d.is_equiv_to(&numpy::dtype::<u16>(py)) {
            return Ok(Kind::Bf16InU16);
        }
        return Err(PyTypeError::new_err(format!(
            "bfloat16 bits must come as an int16 or uint16 array, not {d}"
        )));
    }
    if d.is_equiv_to(&numpy::dtype::<f32>(py)) {
        Ok(Kind::F32)
    } else if d.is_equiv_to(&numpy::dtype::<f64>(py)) {
        Ok(Kind::F64)
    } else if d.is_equiv_to(&numpy::dtype::<f16>(py)) {
        Ok(Kind::F16)
    } else {
        Err(PyTypeError::new_err(format!(
            "nninit fills floating-point arrays (float32, float64, float16; and bfloat16 torch tensors), not {d}"
        )))
    }
}

/// Where in the (global) tensor the array sits.
struct Target<'a> {
    init: Init,
    shape: Vec<usize>,
    layout: Layout,
    stream: Stream,
    offset: Option<Vec<usize>>,
    generator: Option<&'a PyGenerator>,
}

impl Target<'_> {
    fn fill<T: Element>(&self, block: &[usize], out: &mut [T]) -> nninit::Result<()> {
        if let Some(g) = self.generator {
            let mut rng = g.rng.lock().unwrap_or_else(|p| p.into_inner());
            return self
                .init
                .fill_sequential(&self.shape, self.layout, &mut *rng, out);
        }
        match &self.offset {
            None => self.init.fill(&self.shape, self.layout, &self.stream, out),
            Some(off) => {
                self.init
                    .fill_region(&self.shape, self.layout, &self.stream, off, block, out)
            }
        }
    }
}

/// A framework's global generator replayed (`Generator("numpy", seed)` is
/// `np.random.seed(seed)`, `Generator("torch", seed)` is
/// `torch.manual_seed(seed)`): tensors filled from it draw in call order.
#[pyclass(frozen, name = "Generator", module = "nninit")]
struct PyGenerator {
    rng: std::sync::Mutex<nninit::rng::FrameworkRng>,
    kind: &'static str,
}

#[pymethods]
impl PyGenerator {
    /// `seed` as the framework takes it (torch: `[-2^63, 2^64)`, a negative
    /// seed as torch.manual_seed reads it; numpy: `[0, 2^32)`). `kernels`
    /// (torch only): `"avx2"` or `"scalar"`, which of torch's CPU builds to
    /// reproduce; default: the one torch picks here (`ATEN_CPU_CAPABILITY`
    /// read as torch reads it).
    ///
    /// `rng="jax"`: `jax.random.key(seed)` (`x64`, `partitionable`: JAX's
    /// `jax_enable_x64` and `jax_threefry_partitionable`; unset: JAX's
    /// config if jax is loaded, else its environment variables, else False
    /// and True); the `i`-th tensor drawn is drawn from `fold_in(key, i)`, or,
    /// with `per_tensor=False`, every one from the key itself.
    #[new]
    #[pyo3(signature = (rng, seed=None, kernels=None, *, x64=None, partitionable=None, per_tensor=true))]
    fn new(
        py: Python<'_>,
        rng: &str,
        seed: Option<&Bound<'_, PyAny>>,
        kernels: Option<&str>,
        x64: Option<bool>,
        partitionable: Option<bool>,
        per_tensor: bool,
    ) -> PyResult<Self> {
        use nninit::rng::{FrameworkRng, NumpyDefault, RngKind, TorchCpu, TorchKernels};
        let kind = RngKind::parse(rng).map_err(value_err)?;
        if kind != RngKind::Jax && (x64.is_some() || partitionable.is_some() || !per_tensor) {
            return Err(nninit_err(
                "x64=, partitionable= and per_tensor= apply to rng `jax` only",
            ));
        }
        if kind == RngKind::Jax {
            use nninit::rng::{threefry, JaxFlags, JaxRandom};
            if kernels.is_some() {
                return Err(nninit_err("kernels= applies to rng `torch` only"));
            }
            let seed: i128 = match seed {
                Some(s) => s
                    .extract()
                    .map_err(|_| PyTypeError::new_err("seed must be an integer for rng `jax`"))?,
                None => 0,
            };
            let seed = seed_for(kind, seed)? as i64;
            // unset flags: jax's config when jax is loaded, else as JAX reads
            // them at import (its environment variables)
            let mut d = JaxFlags::from_env_values(
                std::env::var("JAX_ENABLE_X64").ok().as_deref(),
                std::env::var("JAX_THREEFRY_PARTITIONABLE").ok().as_deref(),
            )
            .map_err(value_err)?;
            if let Ok(jax) = py
                .import("sys")
                .and_then(|sys| sys.getattr("modules"))
                .and_then(|m| m.get_item("jax"))
            {
                let config = jax.getattr("config")?;
                d.x64 = config.getattr("jax_enable_x64")?.is_truthy()?;
                d.partitionable = config.getattr("jax_threefry_partitionable")?.is_truthy()?;
            }
            let flags = JaxFlags {
                x64: x64.unwrap_or(d.x64),
                partitionable: partitionable.unwrap_or(d.partitionable),
            };
            let key = threefry::key(seed, flags.x64);
            let g = if per_tensor {
                JaxRandom::per_tensor(key, flags.partitionable)
            } else {
                JaxRandom::single(key, flags.partitionable)
            };
            return Ok(PyGenerator {
                rng: std::sync::Mutex::new(FrameworkRng::Jax(g)),
                kind: kind.name(),
            });
        }
        if kind == RngKind::NumpyDefault {
            if kernels.is_some() {
                return Err(nninit_err("kernels= applies to rng `torch` only"));
            }
            let seeds = match seed {
                Some(s) => numpy_default_seeds(s)?,
                None => vec![0],
            };
            return Ok(PyGenerator {
                rng: std::sync::Mutex::new(FrameworkRng::NumpyDefault(NumpyDefault::from_seeds(
                    &seeds,
                ))),
                kind: kind.name(),
            });
        }
        let seed: i128 = match seed {
            Some(s) => s.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "seed must be an integer for rng `{}` (a sequence of integers is a seed of rng `numpy-default` only)",
                    kind.name()
                ))
            })?,
            None => 0,
        };
        let seed = seed_for(kind, seed)?;
        let made = match (kind, kernels) {
            (_, None) => kind
                .sequential_for(seed, std::env::var("ATEN_CPU_CAPABILITY").ok().as_deref())
                .map_err(value_err)?,
            (RngKind::Torch, Some(k)) => {
                let k = match k {
                    "avx2" => TorchKernels::Avx2,
                    "scalar" => TorchKernels::Scalar,
                    other => {
                        return Err(value_err(Error::unknown_name(
                            "torch kernels",
                            other,
                            &["avx2", "scalar"],
                        )))
                    }
                };
                Some(FrameworkRng::Torch(TorchCpu::with_kernels(seed, k)))
            }
            (_, Some(_)) => return Err(nninit_err("kernels= applies to rng `torch` only")),
        };
        match made {
            Some(g) => Ok(PyGenerator {
                rng: std::sync::Mutex::new(g),
                kind: kind.name(),
            }),
            None => Err(nninit_err(
                "rng `nninit` has no generator state: its values are keyed by (seed, name); pass seed= and name= instead",
            )),
        }
    }

    /// `numpy`, `numpy-default`, `torch` or `jax`.
    #[getter]
    fn rng(&self) -> &'static str {
        self.kind
    }
}

/// `np.random.default_rng`'s seed: an integer >= 0 or a sequence of them
/// (each below 2^128 here), as `SeedSequence` entropy elements.
fn numpy_default_seeds(seed: &Bound<'_, PyAny>) -> PyResult<Vec<u128>> {
    fn one(v: &Bound<'_, PyAny>) -> PyResult<u128> {
        if v.is_instance_of::<pyo3::types::PyFloat>() || v.is_instance_of::<pyo3::types::PyString>()
        {
            return Err(PyTypeError::new_err(format!(
                "seed {v}: np.random.default_rng takes integers >= 0 (or a sequence of them)"
            )));
        }
        if let Ok(i) = v.extract::<i128>() {
            return u128::try_from(i).map_err(|_| {
                nninit_err(format!(
                    "seed {i}: np.random.default_rng takes integers >= 0 (or a sequence of them)"
                ))
            });
        }
        v.extract::<u128>().map_err(|_| {
            nninit_err(format!(
                "seed {v}: rng `numpy-default` takes integers in [0, 2^128) (or a sequence of them)"
            ))
        })
    }
    if let Ok(seq) = seed.cast::<pyo3::types::PySequence>() {
        if !seed.is_instance_of::<pyo3::types::PyString>() {
            let mut out = Vec::new();
            for item in seq.try_iter()? {
                let item = item?;
                if item.cast::<pyo3::types::PySequence>().is_ok()
                    && !item.is_instance_of::<pyo3::types::PyString>()
                {
                    return Err(PyTypeError::new_err(
                        "seed: np.random.default_rng does not accept nested sequences",
                    ));
                }
                out.push(one(&item)?);
            }
            return Ok(out);
        }
    }
    Ok(vec![one(seed)?])
}

/// Fill the array, stored as `S`, with values of `T` (the same size: `S` is
/// `T` itself, or 16-bit integers holding bfloat16 bits).
fn fill_as<S: numpy::Element + bytemuck::Pod, T: Element>(
    py: Python<'_>,
    arr: &Bound<'_, PyUntypedArray>,
    t: &Target,
) -> PyResult<()> {
    let arr = arr
        .cast::<PyArrayDyn<S>>()
        .map_err(|e| PyTypeError::new_err(e.to_string()))?;
    let mut rw = arr
        .try_readwrite()
        .map_err(|e| nninit_err(format!("the array cannot be written: {e}")))?;
    let block = rw.shape().to_vec();
    let out = rw.as_slice_mut().map_err(|_| {
        nninit_err("the array is not C-contiguous (nninit.fill_ copies through a contiguous buffer for non-contiguous torch tensors)")
    })?;
    let out: &mut [T] = bytemuck::cast_slice_mut(out);
    py.detach(|| t.fill(&block, out)).map_err(value_err)
}

/// Fill the C-contiguous writeable NumPy array `out` in place: the whole
/// tensor of shape `shape` (which must then be the array's shape), or, with
/// `offset`, the block at `offset` of it (the array's shape is the block's).
#[pyfunction]
#[pyo3(signature = (out, init, shape, *, seed=0, name="tensor", layout="torch", offset=None, bf16_bits=false, generator=None))]
#[allow(clippy::too_many_arguments)]
fn fill(
    py: Python<'_>,
    out: &Bound<'_, PyAny>,
    init: &PyInit,
    shape: Vec<usize>,
    seed: i128,
    name: &str,
    layout: &str,
    offset: Option<Vec<usize>>,
    bf16_bits: bool,
    generator: Option<&PyGenerator>,
) -> PyResult<()> {
    if let (Some(g), Some(_)) = (generator, &offset) {
        return Err(value_err(Error::Rng {
            rng: g.kind,
            what: "a block of a sharded tensor".into(),
            reason: "sequential generators fill whole tensors in order (the values of a slice depend on everything drawn before it); use the default rng (nninit)".into(),
        }));
    }
    // the seed of nninit's keyed streams (a framework generator has its own)
    let seed = if generator.is_some() {
        0
    } else {
        seed_for(nninit::rng::RngKind::Nninit, seed)?
    };
    let arr = out.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "expected a numpy.ndarray or torch.Tensor, got {}",
            out.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let kind = kind_of(arr, bf16_bits)?;
    if offset.is_none() && arr.shape() != shape.as_slice() {
        return Err(nninit_err(format!(
            "the array's shape {:?} is not the tensor's shape {shape:?}",
            arr.shape()
        )));
    }
    let t = Target {
        init: init.0.clone(),
        shape,
        layout: self::layout(layout)?,
        stream: Stream::new(seed, name),
        offset,
        generator,
    };
    match kind {
        Kind::F32 => fill_as::<f32, f32>(py, arr, &t),
        Kind::F64 => fill_as::<f64, f64>(py, arr, &t),
        Kind::F16 => fill_as::<f16, f16>(py, arr, &t),
        Kind::Bf16InI16 => fill_as::<i16, bf16>(py, arr, &t),
        Kind::Bf16InU16 => fill_as::<u16, bf16>(py, arr, &t),
    }
}

/// The dtype a Python object names: a string (`"float32"`, `"f32"`,
/// `"bfloat16"`, ...), a NumPy dtype or scalar type (`np.float32`), or a
/// torch dtype (`torch.float32`); the names of [`nninit::DType::parse`].
fn dtype_of(obj: &Bound<'_, PyAny>) -> PyResult<nninit::DType> {
    let py = obj.py();
    let name: String = if let Ok(s) = obj.extract::<String>() {
        s
    } else {
        let text = obj.str()?.to_string();
        if let Some(t) = text.strip_prefix("torch.") {
            t.to_string()
        } else {
            let np = py.import("numpy")?;
            match np.getattr("dtype")?.call1((obj,)) {
                Ok(d) => d.getattr("name")?.extract::<String>()?,
                Err(_) => text,
            }
        }
    };
    nninit::DType::parse(name.trim_start_matches("numpy.")).map_err(value_err)
}

/// The canonical name (`float32`, `float64`, `bfloat16`, `float16`) of the
/// dtype `dtype` names (a string, NumPy or torch dtype).
#[pyfunction]
fn dtype_name(dtype: &Bound<'_, PyAny>) -> PyResult<&'static str> {
    Ok(match dtype_of(dtype)? {
        nninit::DType::F32 => "float32",
        nninit::DType::F64 => "float64",
        nninit::DType::BF16 => "bfloat16",
        nninit::DType::F16 => "float16",
    })
}

/// A new NumPy array of `shape` filled with `init` (as `nninit sample`):
/// `dtype` a string, NumPy or torch dtype of float32, float64 or float16.
#[pyfunction]
#[pyo3(signature = (init, shape, *, seed=0, name="tensor", dtype=None, layout="torch", generator=None))]
#[allow(clippy::too_many_arguments)]
fn sample<'py>(
    py: Python<'py>,
    init: &PyInit,
    shape: Vec<usize>,
    seed: i128,
    name: &str,
    dtype: Option<&Bound<'py, PyAny>>,
    layout: &str,
    generator: Option<&PyGenerator>,
) -> PyResult<Bound<'py, PyAny>> {
    use nninit::DType;
    let dt = match dtype {
        Some(d) => dtype_of(d)?,
        None => DType::F32,
    };
    init.0
        .check_shape(&shape, self::layout(layout)?, dt)
        .map_err(value_err)?;
    let arr: Bound<'py, PyAny> = match dt {
        DType::F32 => numpy::PyArrayDyn::<f32>::zeros(py, shape.as_slice(), false).into_any(),
        DType::F64 => numpy::PyArrayDyn::<f64>::zeros(py, shape.as_slice(), false).into_any(),
        DType::F16 => numpy::PyArrayDyn::<f16>::zeros(py, shape.as_slice(), false).into_any(),
        DType::BF16 => return Err(nninit_err(
            "NumPy has no bfloat16 dtype; fill a torch.bfloat16 tensor with nninit.fill_ instead",
        )),
    };
    fill(
        py, &arr, init, shape, seed, name, layout, None, false, generator,
    )?;
    Ok(arr)
}

/// JAX's threefry primitives as nninit replays them (`nninit::rng::threefry`):
/// `op` is `key` (`args`: seed, x64), `split` (key, n), `fold_in` (key, data),
/// `bits32` / `bits64` (key, numel: the flattened `jax.random.bits`). Keys
/// are `(hi, lo)` pairs; the values are lists (for tests against JAX).
#[pyfunction]
#[pyo3(signature = (op, partitionable, *args))]
fn jax_threefry<'py>(
    py: Python<'py>,
    op: &str,
    partitionable: bool,
    args: &Bound<'py, pyo3::types::PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    use nninit::rng::threefry;
    let arg = |i: usize| args.get_item(i);
    Ok(match op {
        "key" => {
            let seed: i64 = arg(0)?.extract()?;
            let x64: bool = arg(1)?.extract()?;
            threefry::key(seed, x64).into_pyobject(py)?.into_any()
        }
        "split" => {
            let k: (u32, u32) = arg(0)?.extract()?;
            let n: usize = arg(1)?.extract()?;
            threefry::split([k.0, k.1], n, partitionable)
                .into_pyobject(py)?
                .into_any()
        }
        "fold_in" => {
            let k: (u32, u32) = arg(0)?.extract()?;
            let d: u32 = arg(1)?.extract()?;
            threefry::fold_in([k.0, k.1], d)
                .into_pyobject(py)?
                .into_any()
        }
        "bits32" | "bits64" => {
            let k: (u32, u32) = arg(0)?.extract()?;
            let n: usize = arg(1)?.extract()?;
            if op == "bits32" {
                let mut v = vec![0u32; n];
                threefry::random_bits_u32([k.0, k.1], partitionable, &mut v).map_err(value_err)?;
                numpy::PyArray1::from_vec(py, v).into_any()
            } else {
                let mut v = vec![0u64; n];
                threefry::random_bits_u64([k.0, k.1], partitionable, &mut v).map_err(value_err)?;
                numpy::PyArray1::from_vec(py, v).into_any()
            }
        }
        other => {
            return Err(value_err(Error::unknown_name(
                "threefry op",
                other,
                &["key", "split", "fold_in", "bits32", "bits64"],
            )))
        }
    })
}

/// The axes of a `variance_scaling` argument (an int or a sequence of ints).
fn axes(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<isize>> {
    if let Ok(a) = obj.extract::<isize>() {
        return Ok(vec![a]);
    }
    obj.extract::<Vec<isize>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be an int or a sequence of ints, not {}",
            obj.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })
}

/// `jax.nn.initializers`' `init(key, shape, dtype)`, replayed in Rust
/// (`nninit::jax_initializers`): `kind` names the initializer, `params`
/// its arguments; `key` the key's two uint32 words; `rng` `jax` (JAX's
/// bits, float32) or `nninit` (nninit's stream keyed by the key: float32 or
/// float64). `check_only`: raise what a call would raise, generate nothing
/// (return None). `out`: a C-contiguous array of the dtype to fill (and
/// return) instead of a new one. The GIL is released while generating.
#[pyfunction]
#[pyo3(signature = (kind, params, key, shape, partitionable, rng="jax", dtype="float32", check_only=false, out=None))]
#[allow(clippy::too_many_arguments)]
fn jax_initializer<'py>(
    py: Python<'py>,
    kind: &str,
    params: &Bound<'py, pyo3::types::PyDict>,
    key: (u32, u32),
    shape: Vec<usize>,
    partitionable: bool,
    rng: &str,
    dtype: &str,
    check_only: bool,
    out: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    use nninit::jax_initializers::{JaxDistribution, JaxFanMode, JaxInitializer};
    let num = |name: &str, default: f64| -> PyResult<f64> {
        match params.get_item(name)? {
            Some(v) => v
                .extract::<f64>()
                .map_err(|_| PyTypeError::new_err(format!("{kind}: {name} must be a real number"))),
            None => Ok(default),
        }
    };
    let text = |name: &str, default: &str| -> PyResult<String> {
        match params.get_item(name)? {
            Some(v) => v
                .extract::<String>()
                .map_err(|_| PyTypeError::new_err(format!("{kind}: {name} must be a string"))),
            None => Ok(default.to_string()),
        }
    };
    let axes_of = |name: &str, default: Vec<isize>| -> PyResult<Vec<isize>> {
        match params.get_item(name)? {
            Some(v) => axes(&v, name),
            None => Ok(default),
        }
    };
    let init = match kind {
        "variance_scaling" => JaxInitializer::VarianceScaling {
            scale: num("scale", 1.0)?,
            mode: JaxFanMode::parse(&text("mode", "fan_in")?).map_err(value_err)?,
            distribution: JaxDistribution::parse(&text("distribution", "truncated_normal")?)
                .map_err(value_err)?,
            in_axis: axes_of("in_axis", vec![-2])?,
            out_axis: axes_of("out_axis", vec![-1])?,
            batch_axis: axes_of("batch_axis", vec![])?,
        },
        "normal" => JaxInitializer::Normal {
            stddev: num("stddev", 1e-2)?,
        },
        "uniform" => JaxInitializer::Uniform {
            scale: num("scale", 1e-2)?,
        },
        "truncated_normal" => JaxInitializer::TruncatedNormal {
            stddev: num("stddev", 1e-2)?,
            lower: num("lower", -2.0)?,
            upper: num("upper", 2.0)?,
        },
        "constant" => JaxInitializer::Constant {
            value: num("value", 0.0)?,
        },
        "orthogonal" => JaxInitializer::Orthogonal {
            scale: num("scale", 1.0)?,
        },
        "delta_orthogonal" => JaxInitializer::DeltaOrthogonal {
            scale: num("scale", 1.0)?,
        },
        other => {
            return Err(value_err(Error::unknown_name(
                "jax initializer",
                other,
                &[
                    "variance_scaling",
                    "normal",
                    "uniform",
                    "truncated_normal",
                    "constant",
                    "orthogonal",
                    "delta_orthogonal",
                ],
            )))
        }
    };
    let numel = nninit::init::checked_numel(&shape).map_err(value_err)?;
    let key = [key.0, key.1];
    if check_only {
        init.check(&shape).map_err(value_err)?;
        if matches!(
            (rng, dtype),
            ("jax", "float32") | ("nninit", "float32" | "float64")
        ) {
            return Ok(py.None().into_bound(py));
        }
    }
    /// Fill `out` (given, or a new array) with the initializer.
    fn run<'py, T: Element + numpy::Element>(
        py: Python<'py>,
        init: &nninit::jax_initializers::JaxInitializer,
        jax: Option<bool>,
        key: [u32; 2],
        shape: &[usize],
        numel: u64,
        out: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let arr = match out {
            Some(o) => o
                .cast_into::<PyArrayDyn<T>>()
                .map_err(|e| PyTypeError::new_err(format!("out: {e}")))?,
            None => {
                nninit_io::check_memory(
                    "the initializer's array",
                    numel.saturating_mul(std::mem::size_of::<T>() as u64),
                )
                .map_err(value_err)?;
                PyArrayDyn::<T>::zeros(py, shape, false)
            }
        };
        {
            let mut rw = arr
                .try_readwrite()
                .map_err(|e| nninit_err(format!("out cannot be written: {e}")))?;
            let buf = rw
                .as_slice_mut()
                .map_err(|_| nninit_err("out is not C-contiguous"))?;
            if buf.len() as u64 != numel {
                return Err(nninit_err(format!(
                    "out holds {} elements, the shape {shape:?} {numel}",
                    buf.len()
                )));
            }
            py.detach(|| match (jax, T::DTYPE) {
                (Some(partitionable), nninit::DType::F64) => {
                    init.fill_f64(key, partitionable, shape, bytemuck::cast_slice_mut(buf))
                }
                (Some(partitionable), _) => {
                    init.fill(key, partitionable, shape, bytemuck::cast_slice_mut(buf))
                }
                (None, _) => init.fill_nninit(key, shape, buf),
            })
            .map_err(value_err)?;
        }
        Ok(arr.into_any())
    }
    match (rng, dtype) {
        ("jax", "float32") => run::<f32>(py, &init, Some(partitionable), key, &shape, numel, out),
        ("jax", "float64") => run::<f64>(py, &init, Some(partitionable), key, &shape, numel, out),
        ("jax", other) => Err(nninit_err(format!(
            "{kind}: dtype {other}: rng `jax` replays JAX's float32 and float64 draws (its 16-bit paths round after every operation); use float32 and cast, or rng=\"nninit\""
        ))),
        ("nninit", "float32") => run::<f32>(py, &init, None, key, &shape, numel, out),
        ("nninit", "float64") => run::<f64>(py, &init, None, key, &shape, numel, out),
        ("nninit", other) => Err(nninit_err(format!(
            "{kind}: dtype {other}: the drop-ins fill float32 or float64 (for bfloat16/float16, cast a float32 result)"
        ))),
        (other, _) => Err(value_err(Error::unknown_name(
            "initializer rng",
            other,
            &["jax", "nninit"],
        ))),
    }
}

/// PyTorch's `calculate_gain(nonlinearity, param)`.
#[pyfunction]
#[pyo3(signature = (nonlinearity, param=None))]
fn calculate_gain(nonlinearity: &str, param: Option<f64>) -> PyResult<f64> {
    nninit::calculate_gain(nonlinearity, param).map_err(value_err)
}

/// `(fan_in, fan_out)` of a weight shape (torch `[out, in, *k]` or keras `[*k, in, out]`).
#[pyfunction]
#[pyo3(signature = (shape, layout="torch"))]
fn fans(shape: Vec<usize>, layout: &str) -> PyResult<(u64, u64)> {
    let f = nninit::fans(&shape, self::layout(layout)?).map_err(value_err)?;
    Ok((f.fan_in, f.fan_out))
}

/// Ordered glob rules over parameter names (first match wins), from pairs
/// or from the `[[rules]]` of a spec file.
#[pyclass(frozen, name = "Rules", module = "nninit")]
struct PyRules(nninit_io::model::spec::Rules);

/// One rule of a Python rules object: `(glob, expression or Init)`.
fn rule_pair(i: usize, item: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    let bad = |what: String| {
        value_err(Error::BadRule {
            index: i,
            glob: item
                .repr()
                .map(|r| r.to_string())
                .unwrap_or_else(|_| "?".into()),
            reason: what,
        })
    };
    let seq = item
        .cast::<pyo3::types::PySequence>()
        .map_err(|_| bad("a rule is a (glob, init expression) pair".into()))?;
    let n = seq.len()?;
    if n != 2 || item.is_instance_of::<pyo3::types::PyString>() {
        return Err(bad(format!(
            "a rule is a (glob, init expression) pair, not {n} items"
        )));
    }
    let glob = seq
        .get_item(0)?
        .extract::<String>()
        .map_err(|_| bad("the glob must be a string".into()))?;
    let init = seq.get_item(1)?;
    let expr = match init.cast::<PyInit>() {
        Ok(i) => i.get().0.to_string(),
        Err(_) => init
            .extract::<String>()
            .map_err(|_| bad("the init must be an expression string or an nninit.Init".into()))?,
    };
    Ok((glob, expr))
}

#[pymethods]
impl PyRules {
    /// Rules from a mapping `{glob: init}` (in order) or an iterable of
    /// `(glob, init)` pairs; `init` is an expression or an `Init`.
    #[new]
    fn new(rules: &Bound<'_, PyAny>) -> PyResult<Self> {
        let items: Vec<Bound<'_, PyAny>> = if let Ok(m) = rules.cast::<pyo3::types::PyMapping>() {
            m.items()?.iter().collect()
        } else {
            rules
                .try_iter()
                .map_err(|_| {
                    nninit_err(format!(
                        "rules must be a mapping {{glob: init}}, pairs (glob, init), a spec file path or nninit.Rules, not {}",
                        rules.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                    ))
                })?
                .collect::<PyResult<_>>()?
        };
        let pairs: Vec<(String, String)> = items
            .iter()
            .enumerate()
            .map(|(i, it)| rule_pair(i, it))
            .collect::<PyResult<_>>()?;
        nninit_io::model::spec::Rules::new(&pairs)
            .map(PyRules)
            .map_err(value_err)
    }

    /// The rules of a spec file (`.toml` or `.json`).
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        py.detach(|| nninit_io::model::spec::load_rules(&path))
            .map(PyRules)
            .map_err(value_err)
    }

    /// `(index, glob, init)` of the first rule matching `name`, or None.
    fn first_match(&self, name: &str) -> Option<(usize, String, PyInit)> {
        self.0.first_match(name).map(|(i, init)| {
            (
                i,
                self.0.pattern(i).unwrap_or_default().to_string(),
                PyInit(init.clone()),
            )
        })
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }
}

/// A model's plan (see `nninit_io::model::plan`): one row per parameter
/// (name, shape, dtype, init, why), printable, `to_json()`.
#[pyclass(frozen, name = "Plan", module = "nninit")]
struct PyPlan(nninit_io::model::plan::Plan);

/// One row of a plan.
#[pyclass(frozen, name = "PlanEntry", module = "nninit")]
struct PyPlanEntry {
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    shape: Vec<usize>,
    #[pyo3(get)]
    dtype: &'static str,
    #[pyo3(get)]
    module: String,
    /// Its role in a transformer (`"q"`, `"attn_out"`, `"lm_head"`, ...), or
    /// None where it has none nninit can infer (always set under a stack's scheme).
    #[pyo3(get)]
    role: Option<&'static str>,
    /// Its block index (the number after `layers`/`h`/`blocks`), or None.
    #[pyo3(get)]
    layer: Option<usize>,
    #[pyo3(get)]
    init: PyInit,
    #[pyo3(get)]
    why: String,
    /// `"rule"`, `"scheme"`, `"recorded"` (from the module's own code) or `"model"`.
    #[pyo3(get)]
    source: &'static str,
    /// The row zeroed after filling (an embedding's padding row), or None.
    #[pyo3(get)]
    zero_row: Option<usize>,
    /// Why a framework generator cannot replay it, or None.
    #[pyo3(get)]
    no_replay: Option<&'static str>,
}

#[pymethods]
impl PyPlan {
    /// The rows, in the model's parameter order.
    #[getter]
    fn entries(&self) -> Vec<PyPlanEntry> {
        use nninit_io::model::plan::Source;
        self.0
            .entries
            .iter()
            .map(|e| PyPlanEntry {
                name: e.name.clone(),
                shape: e.shape.clone(),
                dtype: e.dtype.name(),
                module: e.module.clone(),
                role: e.role.map(|r| r.name()),
                layer: e.layer,
                init: PyInit(e.init.clone()),
                why: e.why.clone(),
                source: match e.source {
                    Source::Rule { .. } => "rule",
                    Source::Scheme { .. } => "scheme",
                    Source::Recorded { .. } => "recorded",
                    _ => "model",
                },
                zero_row: e.zero_row,
                no_replay: e.no_replay,
            })
            .collect()
    }

    /// The scheme under the rules.
    #[getter]
    fn scheme(&self) -> Option<String> {
        self.0.scheme.map(|s| s.name())
    }

    /// The plan as JSON.
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    fn __len__(&self) -> usize {
        self.0.entries.len()
    }

    fn __str__(&self) -> String {
        self.0.table()
    }

    fn __repr__(&self) -> String {
        format!(
            "Plan(scheme={:?}, {} parameters)",
            self.0.scheme.map_or("none".to_string(), |s| s.name()),
            self.0.entries.len()
        )
    }
}

/// The plan of a module's parameters under `scheme` (`"torch"` or `"hf"`),
/// with `rules` over it: every uncovered parameter and every rule that
/// matches nothing is an error, before anything is written. Each parameter
/// is a dict from the Python walker: `name`, `local`, `shape`, `dtype`,
/// `class`, `torch_class`, and where known `weight_shape`, `hidden_size`,
/// `padding_idx`, `prelu_init`, and `recorded_init`/`recorded_from`/
/// `recorded_zero_row` (what replaying the module's own code drew).
///
/// With `partial=True` the parameters nothing covers are left out and
/// returned by name beside the plan (the caller replays their modules' own
/// code, records what it draws, and plans again).
#[pyfunction]
#[pyo3(signature = (params, rules=None, scheme="torch", partial=false, roles=None))]
fn plan_params<'py>(
    py: Python<'py>,
    params: Vec<Bound<'py, pyo3::types::PyDict>>,
    rules: Option<&PyRules>,
    scheme: &str,
    partial: bool,
    roles: Option<Vec<(String, String)>>,
) -> PyResult<Bound<'py, PyAny>> {
    use nninit_io::model::plan::{Module, ModuleKind, Param, Plan, Recorded, Scheme};
    use nninit_io::model::role::RoleRules;
    let roles = RoleRules::new(&roles.unwrap_or_default()).map_err(value_err)?;
    use pyo3::types::PyDictMethods;
    fn get<'py, T: for<'a> pyo3::FromPyObject<'a, 'py>>(
        d: &Bound<'py, pyo3::types::PyDict>,
        key: &str,
    ) -> PyResult<Option<T>> {
        match d.get_item(key)? {
            None => Ok(None),
            Some(v) if v.is_none() => Ok(None),
            Some(v) => v.extract::<T>().map(Some).map_err(|_| {
                PyTypeError::new_err(format!("parameter field `{key}` has the wrong type"))
            }),
        }
    }
    fn need<'py, T: for<'a> pyo3::FromPyObject<'a, 'py>>(
        d: &Bound<'py, pyo3::types::PyDict>,
        key: &str,
    ) -> PyResult<T> {
        get(d, key)?
            .ok_or_else(|| PyTypeError::new_err(format!("parameter field `{key}` is missing")))
    }
    let scheme = Scheme::parse(scheme).map_err(value_err)?;
    let params: Vec<Param> = params
        .iter()
        .map(|d| {
            let torch_class: Option<String> = get(d, "torch_class")?;
            let recorded = match get::<Bound<'_, PyInit>>(d, "recorded_init")? {
                Some(i) => Some(Recorded {
                    init: i.get().0.clone(),
                    from: get(d, "recorded_from")?.unwrap_or_default(),
                    zero_row: get(d, "recorded_zero_row")?,
                }),
                None => None,
            };
            let dtype: String = need(d, "dtype")?;
            Ok(Param {
                name: need(d, "name")?,
                local: need(d, "local")?,
                shape: need(d, "shape")?,
                dtype: nninit::DType::parse(&dtype).map_err(value_err)?,
                module: Module {
                    class: need(d, "class")?,
                    kind: torch_class
                        .as_deref()
                        .map_or(ModuleKind::Unknown, ModuleKind::of_torch_class),
                    weight_shape: get(d, "weight_shape")?,
                    hidden_size: get(d, "hidden_size")?,
                    padding_idx: get(d, "padding_idx")?,
                    prelu_init: get(d, "prelu_init")?,
                },
                recorded,
            })
        })
        .collect::<PyResult<_>>()?;
    if partial {
        let (plan, uncovered) =
            Plan::build_partial(&params, scheme, rules.map(|r| &r.0), &roles).map_err(value_err)?;
        return (PyPlan(plan), uncovered)
            .into_pyobject(py)
            .map(|b| b.into_any());
    }
    let plan =
        Plan::build_with_roles(&params, scheme, rules.map(|r| &r.0), &roles).map_err(value_err)?;
    Ok(Bound::new(py, PyPlan(plan))?.into_any())
}

/// muP (CompleteP with `depth_alpha`) over a plan: the rescaled plan, a
/// dict per parameter (`name`, `kind`, `width_mult`, `lr`, `weight_decay`,
/// `eps`) and the model's factors (`width_mult`, `depth_mult`,
/// `residual_multiplier`). The base is `base_shapes` (name, shape) pairs of
/// the base model, or `base_widths` (model size, base size) pairs.
#[pyfunction]
#[pyo3(signature = (plan, *, base_shapes=None, base_widths=None, optimizer="adam", lr, weight_decay=0.0, eps=1e-8, depth_alpha=None, readout_zero=false))]
#[allow(clippy::too_many_arguments)]
fn mup_plan<'py>(
    py: Python<'py>,
    plan: &PyPlan,
    base_shapes: Option<Vec<(String, Vec<usize>)>>,
    base_widths: Option<Vec<(usize, usize)>>,
    optimizer: &str,
    lr: f64,
    weight_decay: f64,
    eps: f64,
    depth_alpha: Option<f64>,
    readout_zero: bool,
) -> PyResult<Bound<'py, PyAny>> {
    use nninit_io::model::mup::{mup, Base, Optimizer, Options};
    let base = match (base_shapes, base_widths) {
        (Some(s), None) => Base::Shapes(s),
        (None, Some(w)) => Base::Widths(w),
        _ => {
            return Err(value_err(Error::BadOption {
                option: "base",
                value: "(both or neither)".into(),
                expected: "a base model's shapes or a map of widths to base widths".into(),
            }))
        }
    };
    let opts = Options {
        optimizer: Optimizer::parse(optimizer).map_err(value_err)?,
        lr,
        weight_decay,
        eps,
        depth_alpha,
        readout_zero,
    };
    let m = mup(&plan.0, &base, &opts).map_err(value_err)?;
    let rows = pyo3::types::PyList::empty(py);
    for r in &m.rows {
        let d = pyo3::types::PyDict::new(py);
        d.set_item("name", &r.name)?;
        d.set_item("kind", r.kind)?;
        d.set_item("width_mult", r.width_mult)?;
        d.set_item("lr", r.lr)?;
        d.set_item("weight_decay", r.weight_decay)?;
        d.set_item("eps", r.eps)?;
        rows.append(d)?;
    }
    let info = pyo3::types::PyDict::new(py);
    info.set_item("width_mult", m.width_mult)?;
    info.set_item("depth_mult", m.depth_mult)?;
    info.set_item("residual_multiplier", m.residual_multiplier)?;
    (PyPlan(m.plan), rows, info)
        .into_pyobject(py)
        .map(|b| b.into_any())
}

/// The part of a checkpoint this process writes: `part` as `"I/N"` or
/// `(I, N)` (1-based), or, when None, from `RANK` and `WORLD_SIZE` as
/// torchrun and most launchers set them (part RANK+1 of WORLD_SIZE), else
/// the whole job.
fn part_of(part: Option<&Bound<'_, PyAny>>) -> PyResult<nninit_io::model::checkpoint::Part> {
    use nninit_io::model::checkpoint::Part;
    let Some(p) = part else {
        let var = |k: &str| std::env::var(k).ok();
        return match (var("RANK"), var("WORLD_SIZE")) {
            (Some(r), Some(w)) => {
                let bad = |k: &'static str, v: &str| {
                    value_err(Error::BadOption {
                        option: k,
                        value: v.to_string(),
                        expected: "a whole number (as torchrun sets it); or pass part=(I, N)"
                            .into(),
                    })
                };
                let r: usize = r.trim().parse().map_err(|_| bad("RANK", &r))?;
                let w: usize = w.trim().parse().map_err(|_| bad("WORLD_SIZE", &w))?;
                Part::new(r.saturating_add(1), w).map_err(value_err)
            }
            _ => Ok(Part::new(1, 1).map_err(value_err)?),
        };
    };
    if let Ok(s) = p.extract::<String>() {
        return Part::parse(&s).map_err(value_err);
    }
    match p.extract::<(usize, usize)>() {
        Ok((i, n)) => Part::new(i, n).map_err(value_err),
        Err(_) => Err(value_err(Error::BadOption {
            option: "part",
            value: p.repr().map(|r| r.to_string()).unwrap_or_default(),
            expected: "\"I/N\" or (I, N) with 1 <= I <= N (part I of N), e.g. (1, 4)".into(),
        })),
    }
}

/// Write the Hugging Face checkpoint of `config` (a `config.json` path) into
/// the directory `out_dir`, or only part I's shard files (part 1 also writes
/// the index and config): N processes together write the bytes of one run.
/// Returns the names of the files written. Every file operation runs with
/// the GIL released, on a worker thread, while this thread checks for
/// signals every 50 ms: Ctrl-C stops the write within a chunk (raising
/// KeyboardInterrupt, no temporary file left), even while a config read
/// blocks (a FIFO, a stalled network file system).
#[pyfunction]
#[pyo3(signature = (config, out_dir, *, seed=0, dtype=None, max_shard_size="5GB", part=None, force=false, rules=None, scheme=None, roles=None))]
#[allow(clippy::too_many_arguments)]
fn write_checkpoint(
    py: Python<'_>,
    config: std::path::PathBuf,
    out_dir: std::path::PathBuf,
    seed: i128,
    dtype: Option<&Bound<'_, PyAny>>,
    max_shard_size: &str,
    part: Option<&Bound<'_, PyAny>>,
    force: bool,
    rules: Option<&PyRules>,
    scheme: Option<&str>,
    roles: Option<Vec<(String, String)>>,
) -> PyResult<Vec<String>> {
    let rules = rules.map(|r| r.0.clone());
    let scheme = scheme
        .map(nninit_io::model::plan::Scheme::parse)
        .transpose()
        .map_err(value_err)?;
    let roles =
        nninit_io::model::role::RoleRules::new(&roles.unwrap_or_default()).map_err(value_err)?;
    use nninit_io::model::{checkpoint, hf};
    let seed = seed_for(nninit::rng::RngKind::Nninit, seed)?;
    let dtype = dtype.map(dtype_of).transpose()?;
    let max = hf::parse_size(max_shard_size).map_err(value_err)?;
    let part = part_of(part)?;
    run_interruptible(py, move |keep_going| {
        let text = std::fs::read_to_string(&config).map_err(|reason| Error::Io {
            action: "cannot read",
            path: config.display().to_string(),
            reason,
        })?;
        let opts = checkpoint::Options {
            seed,
            dtype,
            max_shard_bytes: max,
            part,
            force,
            rules,
            scheme,
            roles,
        };
        let origin = config.display().to_string();
        checkpoint::write_checkpoint(&text, &origin, &out_dir, opts, keep_going).map(|w| w.files)
    })
}

/// Run `job` (file work) on a worker thread while this thread waits with
/// the GIL released, checking for signals every 50 ms: on Ctrl-C the job's
/// progress callback returns false (the writer stops at its next chunk and
/// removes its temporary files) and the signal's exception is raised. A job
/// blocked in a read (a FIFO config) is left to finish on its own after 10 s.
fn run_interruptible(
    py: Python<'_>,
    job: impl FnOnce(nninit_io::Progress<'_>) -> nninit::Result<Vec<String>> + Send + 'static,
) -> PyResult<Vec<String>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let rx = std::sync::Mutex::new(rx);
    let flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("nninit-checkpoint".into())
        .spawn(move || {
            let keep_going = |_: u64| !flag.load(Ordering::Relaxed);
            let _ = tx.send(job(&keep_going));
        })
        .map_err(|e| PyOSError::new_err(format!("cannot start the writer thread: {e}")))?;
    loop {
        let got = py.detach(|| {
            rx.lock()
                .unwrap_or_else(|p| p.into_inner())
                .recv_timeout(std::time::Duration::from_millis(50))
        });
        match got {
            Ok(r) => return r.map_err(value_err),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(nninit_err("the checkpoint writer stopped without a result"))
            }
        }
        if let Err(e) = py.check_signals() {
            stop.store(true, Ordering::Relaxed);
            let _ = py.detach(|| {
                rx.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .recv_timeout(std::time::Duration::from_secs(10))
            });
            return Err(e);
        }
    }
}

/// `(name, shape, dtype, init expression, zeroed row, bytes)`: a tensor is
/// generated from its stream (`init`, then the zeroed row) when `bytes` is
/// None, or written as the given bytes (a 1-D uint8 NumPy view of the
/// tensor's memory, copied once into the writer's buffer; `init` is then
/// only recorded in the metadata).
type TensorRow<'py> = (
    String,
    Vec<usize>,
    String,
    String,
    Option<usize>,
    Option<numpy::PyReadonlyArray1<'py, u8>>,
);

/// Write a model's tensors, given as data (a model transformers built and
/// nninit initialized: any `model_type`), as the Hugging Face checkpoint of
/// the config `config_text` into `out_dir`: the shards, their index and
/// `config.json`, as `write_checkpoint` writes them. `tensors` are
/// `(name, shape, dtype, init expression recorded in the metadata, bytes)`. The GIL is
/// released and Ctrl-C stops the write, as for `write_checkpoint`.
#[pyfunction]
#[pyo3(signature = (tensors, config_text, model_type, out_dir, *, seed=0, max_shard_size="5GB", part=None, force=false))]
#[allow(clippy::too_many_arguments)]
fn write_model_checkpoint<'py>(
    py: Python<'py>,
    tensors: Vec<TensorRow<'py>>,
    config_text: String,
    model_type: String,
    out_dir: std::path::PathBuf,
    seed: i128,
    max_shard_size: &str,
    part: Option<&Bound<'_, PyAny>>,
    force: bool,
) -> PyResult<Vec<String>> {
    use nninit_io::model::{checkpoint, hf};
    let seed = seed_for(nninit::rng::RngKind::Nninit, seed)?;
    let max = hf::parse_size(max_shard_size).map_err(value_err)?;
    let part = part_of(part)?;
    let specs: Vec<nninit_io::TensorSpec> = tensors
        .into_iter()
        .map(|(name, shape, dtype, init, zero_row, bytes)| {
            let dtype = nninit::DType::parse(&dtype).map_err(value_err)?;
            let init = Init::parse(&init).map_err(value_err)?;
            let mut t = nninit_io::TensorSpec::new(name, shape, dtype, Layout::Torch, init);
            t.zero_row = zero_row;
            if let Some(bytes) = bytes {
                let bytes = bytes
                    .as_slice()
                    .map_err(|_| nninit_err("tensor bytes must be a contiguous uint8 array"))?;
                t.data = Some(std::sync::Arc::from(bytes));
            }
            Ok(t)
        })
        .collect::<PyResult<_>>()?;
    let origin = format!("{model_type} model");
    run_interruptible(py, move |keep_going| {
        checkpoint::write_tensors(
            specs,
            &config_text,
            &model_type,
            &origin,
            &out_dir,
            seed,
            max,
            part,
            force,
            keep_going,
        )
        .map(|w| w.files)
    })
}

/// The `model_type`s the native writer knows (no transformers needed).
#[pyfunction]
fn hf_native_model_types() -> Vec<&'static str> {
    nninit_io::model::hf::MODEL_TYPES.to_vec()
}

/// The per-layer signals the probe's rules read (one per layer, in forward
/// order), with named fields.
#[pyclass(frozen, name = "Signals", module = "nninit")]
#[derive(Clone)]
struct PySignals(nninit_lab::probe::rules::Signals);

#[pymethods]
impl PySignals {
    /// `fan_out`: units (rows of the weight); `act_std`: std of the layer's
    /// output; `backward_norm`: norm of the gradient reaching its output;
    /// `grad_rel`: ||dW|| / ||W|| (None when it has no weight); `symmetry`:
    /// how alike its units are (0..1); `nonfinite`: any inf/NaN;
    /// `dead_frac`, `saturated_frac`: from `unit_fractions`.
    #[new]
    #[pyo3(signature = (*, fan_out, act_std, backward_norm, grad_rel=None, symmetry=0.0, nonfinite=false, dead_frac=0.0, saturated_frac=0.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        fan_out: usize,
        act_std: f64,
        backward_norm: f64,
        grad_rel: Option<f64>,
        symmetry: f64,
        nonfinite: bool,
        dead_frac: f64,
        saturated_frac: f64,
    ) -> Self {
        PySignals(nninit_lab::probe::rules::Signals {
            fan_out,
            act_std,
            backward_norm,
            grad_rel,
            symmetry,
            nonfinite,
            dead_frac,
            saturated_frac,
        })
    }
}

/// The probe's rules on per-layer signals, in forward order. Returns the
/// verdict, the findings, the growths, the first layer (0-based) where it
/// goes wrong, and the reason. With `body=True` the backward growth runs
/// from the first to the last hidden layer on per-element (RMS) gradients
/// (any model); otherwise to the output layer on norms (`nninit probe`'s MLPs).
#[pyfunction]
#[pyo3(signature = (layers, body=false))]
fn probe_judge(
    py: Python<'_>,
    layers: Vec<Bound<'_, PySignals>>,
    body: bool,
) -> PyResult<Py<PyAny>> {
    use nninit_lab::probe::rules::{judge_with, Backward, Signals};
    let signals: Vec<Signals> = layers.iter().map(|s| s.get().0.clone()).collect();
    let mode = if body {
        Backward::Body
    } else {
        Backward::ToOutput
    };
    let j = judge_with(&signals, mode);
    let d = pyo3::types::PyDict::new(py);
    d.set_item("verdict", j.verdict.name())?;
    d.set_item(
        "verdicts",
        j.verdicts.iter().map(|v| v.name()).collect::<Vec<_>>(),
    )?;
    d.set_item("forward_growth", j.forward_growth)?;
    d.set_item("backward_growth", j.backward_growth)?;
    d.set_item("first_bad", j.first_bad)?;
    d.set_item("reason", j.reason)?;
    Ok(d.into_any().unbind())
}

/// The coordinate check's verdict (`nninit_lab::coord::judge`: growth of
/// each layer's mean |coordinate| from the smallest to the largest width,
/// at most `MAX_GROWTH`) and its log-log SVG. `layers` are (name, coords
/// per width) pairs. Returns a dict: `verdict`, `worst_layer`,
/// `worst_growth`, `growth`, `reason`, `max_growth`, `svg` (titled
/// `title: verdict`).
#[pyfunction]
#[pyo3(signature = (widths, layers, title="coordinate check"))]
fn coord_judge(
    py: Python<'_>,
    widths: Vec<usize>,
    layers: Vec<(String, Vec<f64>)>,
    title: &str,
) -> PyResult<Py<PyAny>> {
    use nninit_lab::coord::{judge, svg, Layer, MAX_GROWTH};
    if layers.iter().any(|(_, c)| c.len() != widths.len()) {
        return Err(value_err(Error::BadOption {
            option: "layers",
            value: "coords".into(),
            expected: format!("one coordinate per width ({})", widths.len()),
        }));
    }
    let layers: Vec<Layer> = layers
        .into_iter()
        .map(|(name, coords)| Layer { name, coords })
        .collect();
    let v = judge(&widths, &layers);
    let d = pyo3::types::PyDict::new(py);
    d.set_item("verdict", v.verdict)?;
    d.set_item("worst_layer", v.worst_layer)?;
    d.set_item("worst_growth", v.worst_growth)?;
    d.set_item("growth", v.growth)?;
    d.set_item("reason", v.reason)?;
    d.set_item("max_growth", MAX_GROWTH)?;
    d.set_item(
        "svg",
        svg(&format!("{title}: {}", v.verdict), &widths, &layers),
    )?;
    Ok(d.into_any().unbind())
}

/// The init expression the probe recommends for a module of PyTorch class
/// `kind` followed by `activation` (None: keep what it has).
#[pyfunction]
#[pyo3(signature = (kind, activation=None))]
fn probe_recommend(kind: &str, activation: Option<&str>) -> Option<PyInit> {
    nninit_lab::probe::rules::recommend(kind, activation).map(PyInit)
}

/// How alike the rows of a 2-D float32 array are (1 - ||M - mean row|| / ||M||;
/// 1 for a zero matrix), as `nninit probe` measures weight symmetry.
#[pyfunction]
fn row_symmetry(py: Python<'_>, m: numpy::PyReadonlyArray2<'_, f32>) -> PyResult<f64> {
    let (r, c) = (m.shape()[0], m.shape()[1]);
    let v: Vec<f32> = m.as_array().iter().copied().collect();
    let a = ndarray::Array2::from_shape_vec((r, c), v).map_err(|e| nninit_err(e.to_string()))?;
    Ok(py.detach(|| nninit_lab::probe::row_symmetry(&a)))
}

/// `(dead_frac, saturated_frac)` of an activation's output `[batch, units]`,
/// as `nninit probe` measures them (`nninit_lab::probe::unit_fractions`).
#[pyfunction]
fn unit_fractions(activation: &str, out: numpy::PyReadonlyArray2<'_, f32>) -> PyResult<(f64, f64)> {
    let act = nninit::Activation::parse(activation).map_err(value_err)?;
    Ok(nninit_lab::probe::unit_fractions(act, out.as_array()))
}

#[pymodule]
fn _nninit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyInit>()?;
    m.add_class::<PyRules>()?;
    m.add_class::<PyGenerator>()?;
    m.add_class::<PySignals>()?;
    m.add_class::<PyPlan>()?;
    m.add_class::<PyPlanEntry>()?;
    m.add_function(wrap_pyfunction!(plan_params, m)?)?;
    m.add_function(wrap_pyfunction!(mup_plan, m)?)?;
    m.add("NninitError", m.py().get_type::<NninitError>())?;
    m.add_function(wrap_pyfunction!(fill, m)?)?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(jax_initializer, m)?)?;
    m.add_function(wrap_pyfunction!(jax_threefry, m)?)?;
    m.add_function(wrap_pyfunction!(dtype_name, m)?)?;
    m.add_function(wrap_pyfunction!(calculate_gain, m)?)?;
    m.add_function(wrap_pyfunction!(fans, m)?)?;
    m.add_function(wrap_pyfunction!(write_checkpoint, m)?)?;
    m.add_function(wrap_pyfunction!(write_model_checkpoint, m)?)?;
    m.add_function(wrap_pyfunction!(hf_native_model_types, m)?)?;
    m.add_function(wrap_pyfunction!(probe_judge, m)?)?;
    m.add_function(wrap_pyfunction!(coord_judge, m)?)?;
    m.add_function(wrap_pyfunction!(probe_recommend, m)?)?;
    m.add_function(wrap_pyfunction!(row_symmetry, m)?)?;
    m.add_function(wrap_pyfunction!(unit_fractions, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
