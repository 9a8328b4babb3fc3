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
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;

/// The library's error as a Python exception: `OSError` for I/O, `ValueError` otherwise.
fn value_err(e: Error) -> PyErr {
    match e {
        Error::Io { .. } | Error::DiskSpace { .. } => PyOSError::new_err(e.to_string()),
        e => PyValueError::new_err(e.to_string()),
    }
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

fn nonlinearity(name: &str, param: Option<f64>) -> PyResult<Nonlinearity> {
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
    fn uniform(a: f64, b: f64) -> PyResult<Self> {
        wrap(Init::uniform(a, b))
    }

    /// N(mean, std^2).
    #[staticmethod]
    fn normal(mean: f64, std: f64) -> PyResult<Self> {
        wrap(Init::normal(mean, std))
    }

    /// N(mean, std^2) truncated to [a, b].
    #[staticmethod]
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
    fn dirac(groups: usize) -> PyResult<Self> {
        wrap(Init::dirac(groups))
    }

    /// Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).
    #[staticmethod]
    fn xavier_uniform(gain: f64) -> PyResult<Self> {
        wrap(Init::xavier_uniform(gain))
    }

    /// Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
    #[staticmethod]
    fn xavier_normal(gain: f64) -> PyResult<Self> {
        wrap(Init::xavier_normal(gain))
    }

    /// He uniform: U(-b, b), b = gain * sqrt(3 / fan_mode).
    #[staticmethod]
    fn kaiming_uniform(a: f64, mode: &str, nonlinearity_: &str) -> PyResult<Self> {
        let nl = nonlinearity(nonlinearity_, Some(a))?;
        let mode = FanMode::parse(mode).map_err(value_err)?;
        wrap(Init::kaiming_uniform(a, mode, nl))
    }

    /// He normal: N(0, std^2), std = gain / sqrt(fan_mode).
    #[staticmethod]
    fn kaiming_normal(a: f64, mode: &str, nonlinearity_: &str) -> PyResult<Self> {
        let nl = nonlinearity(nonlinearity_, Some(a))?;
        let mode = FanMode::parse(mode).map_err(value_err)?;
        wrap(Init::kaiming_normal(a, mode, nl))
    }

    /// A (semi-)orthogonal matrix times `gain`.
    #[staticmethod]
    fn orthogonal(gain: f64) -> PyResult<Self> {
        wrap(Init::orthogonal(gain))
    }

    /// Sparse columns: a `sparsity` share of each column zero, the rest N(0, std^2).
    #[staticmethod]
    fn sparse(sparsity: f64, std: f64) -> PyResult<Self> {
        wrap(Init::sparse(sparsity, std))
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
    /// `kernels` (torch only): `"avx2"` or `"scalar"`, which of torch's CPU
    /// builds to reproduce; default: the one torch picks on this CPU.
    #[new]
    #[pyo3(signature = (rng, seed, kernels=None))]
    fn new(rng: &str, seed: u64, kernels: Option<&str>) -> PyResult<Self> {
        use nninit::rng::{FrameworkRng, RngKind, TorchCpu, TorchKernels};
        let kind = RngKind::parse(rng).map_err(value_err)?;
        let made = match (kind, kernels) {
            (_, None) => kind.sequential(seed).map_err(value_err)?,
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
            (_, Some(_)) => {
                return Err(PyValueError::new_err(
                    "kernels= applies to rng `torch` only",
                ))
            }
        };
        match made {
            Some(g) => Ok(PyGenerator {
                rng: std::sync::Mutex::new(g),
                kind: kind.name(),
            }),
            None => Err(PyValueError::new_err(
                "rng `nninit` has no generator state: its values are keyed by (seed, name); pass seed= and name= instead",
            )),
        }
    }

    /// `numpy` or `torch`.
    #[getter]
    fn rng(&self) -> &'static str {
        self.kind
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
        .map_err(|e| PyValueError::new_err(format!("the array cannot be written: {e}")))?;
    let block = rw.shape().to_vec();
    let out = rw.as_slice_mut().map_err(|_| {
        PyValueError::new_err("the array is not C-contiguous (nninit.fill_ copies through a contiguous buffer for non-contiguous torch tensors)")
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
    seed: u64,
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
        return Err(PyValueError::new_err(format!(
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
    Ok((f.fan_in as u64, f.fan_out as u64))
}

/// Ordered glob rules over parameter names (first match wins), from pairs
/// or from the `[[rules]]` of a spec file.
#[pyclass(frozen, name = "Rules", module = "nninit")]
struct PyRules(nninit_io::model::spec::Rules);

#[pymethods]
impl PyRules {
    #[new]
    fn new(pairs: Vec<(String, String)>) -> PyResult<Self> {
        nninit_io::model::spec::Rules::new(&pairs)
            .map(PyRules)
            .map_err(value_err)
    }

    /// The rules of a spec file (`.toml` or `.json`).
    #[staticmethod]
    fn load(path: std::path::PathBuf) -> PyResult<Self> {
        nninit_io::model::spec::load_rules(&path)
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

/// The initializer PyTorch's own `reset_parameters` gives parameter `param`
/// of a module of kind `kind` (`linear`, `conv`, `conv_transpose`,
/// `embedding`, `norm`, `multihead_attention`), as an nninit initializer;
/// `weight_shape` is the module's weight shape (a bias's fan_in comes from
/// it). None when there is no default: the caller asks for a rule.
#[pyfunction]
#[pyo3(signature = (kind, param, weight_shape=None))]
fn torch_default_for(
    kind: &str,
    param: &str,
    weight_shape: Option<Vec<usize>>,
) -> PyResult<Option<PyInit>> {
    let bias_from_weight = || -> PyResult<Init> {
        let w = weight_shape.as_deref().ok_or_else(|| {
            PyValueError::new_err(format!(
                "the default of a {kind} bias needs the module's weight shape"
            ))
        })?;
        let f = nninit::fans(w, Layout::Torch).map_err(value_err)?;
        Init::torch_default_bias(f.fan_in as u64).map_err(value_err)
    };
    let init = match (kind, param) {
        ("linear" | "conv" | "conv_transpose", "weight") => Init::torch_default(),
        ("linear" | "conv" | "conv_transpose", "bias") => bias_from_weight()?,
        // nn.Embedding.reset_parameters: init.normal_(weight)
        ("embedding", "weight") => Init::normal(0.0, 1.0).map_err(value_err)?,
        // LayerNorm, RMSNorm, BatchNorm, GroupNorm, InstanceNorm: ones and zeros
        ("norm", "weight") => Init::ones(),
        ("norm", "bias") => Init::zeros(),
        // nn.MultiheadAttention._reset_parameters
        (
            "multihead_attention",
            "in_proj_weight" | "q_proj_weight" | "k_proj_weight" | "v_proj_weight",
        ) => Init::xavier_uniform(1.0).map_err(value_err)?,
        ("multihead_attention", "in_proj_bias" | "out_proj.bias") => Init::zeros(),
        ("multihead_attention", "out_proj.weight") => Init::torch_default(),
        ("multihead_attention", "bias_k" | "bias_v") => {
            Init::xavier_normal(1.0).map_err(value_err)?
        }
        _ => return Ok(None),
    };
    Ok(Some(PyInit(init)))
}

/// Write the Hugging Face checkpoint of `config` (a `config.json` path) into
/// the directory `out_dir`, or with `part = (I, N)` only part I's shard files
/// (part 1 also writes the index and config): N processes together write the
/// bytes of one run. Returns the names of the files written. The GIL is
/// released while writing.
#[pyfunction]
#[pyo3(signature = (config, out_dir, *, seed=0, dtype=None, max_shard_size="5GB", part=(1, 1), force=false))]
#[allow(clippy::too_many_arguments)]
fn write_checkpoint(
    py: Python<'_>,
    config: std::path::PathBuf,
    out_dir: std::path::PathBuf,
    seed: u64,
    dtype: Option<&str>,
    max_shard_size: &str,
    part: (usize, usize),
    force: bool,
) -> PyResult<Vec<String>> {
    use nninit_io::model::{checkpoint, hf};
    let text = std::fs::read_to_string(&config).map_err(|reason| {
        value_err(Error::Io {
            action: "cannot read",
            path: config.display().to_string(),
            reason,
        })
    })?;
    let dtype = dtype
        .map(nninit::DType::parse)
        .transpose()
        .map_err(value_err)?;
    let max = hf::parse_size(max_shard_size).map_err(value_err)?;
    let part = checkpoint::Part::new(part.0, part.1).map_err(value_err)?;
    let origin = config.display().to_string();
    py.detach(|| {
        let opts = checkpoint::Options {
            seed,
            dtype,
            max_shard_bytes: max,
            part,
            force,
        };
        checkpoint::write_checkpoint(&text, &origin, &out_dir, opts, &|_| {})
    })
    .map(|w| w.files)
    .map_err(value_err)
}

/// The probe's rules on per-layer signals, in forward order: each row is
/// `(fan_out, act_std, backward_norm, grad_rel or None, symmetry, nonfinite,
/// dead_frac, saturated_frac)`. Returns the verdict, the findings, the
/// growths, the first layer (0-based) where it goes wrong, and the reason.
/// With `body=True` the backward growth runs from the first to the last
/// hidden layer on per-element (RMS) gradients (any model); otherwise to
/// the output layer on norms (`nninit probe`'s MLPs).
#[pyfunction]
#[pyo3(signature = (rows, body=false))]
#[allow(clippy::type_complexity)]
fn probe_judge(
    py: Python<'_>,
    rows: Vec<(usize, f64, f64, Option<f64>, f64, bool, f64, f64)>,
    body: bool,
) -> PyResult<Py<PyAny>> {
    use nninit_lab::probe::rules::{judge_with, Backward, Signals};
    let signals: Vec<Signals> = rows
        .into_iter()
        .map(
            |(
                fan_out,
                act_std,
                backward_norm,
                grad_rel,
                symmetry,
                nonfinite,
                dead_frac,
                saturated_frac,
            )| Signals {
                fan_out,
                act_std,
                backward_norm,
                grad_rel,
                symmetry,
                nonfinite,
                dead_frac,
                saturated_frac,
            },
        )
        .collect();
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

/// The init expression the probe recommends for a module of PyTorch class
/// `kind` followed by `activation` (None: keep what it has).
#[pyfunction]
#[pyo3(signature = (kind, activation=None))]
fn probe_recommend(kind: &str, activation: Option<&str>) -> Option<String> {
    nninit_lab::probe::rules::recommend(kind, activation)
}

/// How alike the rows of a 2-D float32 array are (1 - ||M - mean row|| / ||M||;
/// 1 for a zero matrix), as `nninit probe` measures weight symmetry.
#[pyfunction]
fn row_symmetry(py: Python<'_>, m: numpy::PyReadonlyArray2<'_, f32>) -> PyResult<f64> {
    let (r, c) = (m.shape()[0], m.shape()[1]);
    let v: Vec<f32> = m.as_array().iter().copied().collect();
    let a = ndarray::Array2::from_shape_vec((r, c), v)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(py.detach(|| nninit_lab::probe::row_symmetry(&a)))
}

/// `(dead_frac, saturated_frac)` of an activation's output `[batch, units]`:
/// the share of units a rectifier never activates over the batch, and the
/// share of values where a saturating activation's slope is near 0.
#[pyfunction]
fn unit_fractions(activation: &str, out: numpy::PyReadonlyArray2<'_, f32>) -> PyResult<(f64, f64)> {
    let act = nninit::Activation::parse(activation).map_err(value_err)?;
    let a = out.as_array();
    let (cols, n) = (a.ncols(), a.len());
    // row by row (contiguous), marking the units ever active
    let mut alive = vec![false; if act.can_die() { cols } else { 0 }];
    let mut saturated = 0usize;
    for row in a.rows() {
        if act.can_die() {
            for (al, &v) in alive.iter_mut().zip(row) {
                *al |= v > 0.0;
            }
        }
        if act.can_saturate() {
            saturated += row.iter().filter(|&&v| act.is_saturated(v as f64)).count();
        }
    }
    let dead = if act.can_die() && cols > 0 {
        alive.iter().filter(|&&x| !x).count() as f64 / cols as f64
    } else {
        0.0
    };
    let sat = if n > 0 {
        saturated as f64 / n as f64
    } else {
        0.0
    };
    Ok((dead, sat))
}

#[pymodule]
fn _nninit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyInit>()?;
    m.add_class::<PyRules>()?;
    m.add_class::<PyGenerator>()?;
    m.add_function(wrap_pyfunction!(fill, m)?)?;
    m.add_function(wrap_pyfunction!(calculate_gain, m)?)?;
    m.add_function(wrap_pyfunction!(fans, m)?)?;
    m.add_function(wrap_pyfunction!(torch_default_for, m)?)?;
    m.add_function(wrap_pyfunction!(write_checkpoint, m)?)?;
    m.add_function(wrap_pyfunction!(probe_judge, m)?)?;
    m.add_function(wrap_pyfunction!(probe_recommend, m)?)?;
    m.add_function(wrap_pyfunction!(row_symmetry, m)?)?;
    m.add_function(wrap_pyfunction!(unit_fractions, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
