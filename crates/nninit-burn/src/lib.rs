//! nninit for [burn](https://burn.dev): [`NninitInit::nninit_init`] gives
//! every float parameter of a burn model the value nninit's plan decides for
//! its name, keyed by (seed, parameter name, element index): identical
//! across runs, thread counts and the order in which burn would have
//! initialized its lazy parameters, and identical to what `nninit sample`,
//! the CLI and the Python package give the same names
//! (`nninit.init_module(TorchModel(), seed=SEED)` of the same-named PyTorch
//! model, bit for bit).
//!
//! burn's `device.seed(42)` is reproducible only single-threaded, its lazy
//! initialization depends on when a parameter is first touched
//! (tracel-ai/burn #3871) and its `Initializer` takes no seed. nninit
//! replaces the values without running burn's initializer: each parameter
//! is generated from its path, then loaded the way burn-store loads a
//! record (its [`ParamId`](burn::module::ParamId), device, load mapper and
//! require-grad setting kept).
//!
//! ## Names
//! A parameter's nninit name is its module path with the names burn-store's
//! `BurnToPyTorchAdapter` writes: the path of fields joined by dots (`Vec`
//! indices as numbers), a norm's `gamma`/`beta` as `weight`/`bias`
//! (LayerNorm, GroupNorm, BatchNorm, RmsNorm). Rules, streams and the plan
//! use that name, so `ln.weight` in a rule matches a LayerNorm's `gamma`.
//!
//! ## Layout
//! burn's `Linear` stores its weight `[d_in, d_out]`; PyTorch's is
//! `[out, in]`. nninit plans and generates the PyTorch layout (with
//! PyTorch's fans) and transposes, so the values equal nninit's
//! `fc.weight` of the PyTorch model transposed, as burn-store's
//! `PyTorchToBurnAdapter` would load them (a `LinearLayout::Col` weight is
//! handed over in PyTorch's layout, which its load mapper transposes).
//! Convolutions and embeddings share PyTorch's layout.
//!
//! ## Schemes
//! The default scheme is `torch`: PyTorch's `reset_parameters` by module
//! kind (Linear/Conv weights kaiming_uniform(a=sqrt(5)), biases
//! U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the kernel and groups counted,
//! Embedding N(0, 1), norms ones/zeros, PReLU 0.25). A stack's scheme
//! (`megatron`, `torchtitan`, ...) decides by the role of each name. User
//! [`Rules`] (globs over names -> init expression, first match wins)
//! override the scheme; a parameter nothing covers (a custom module's own
//! `Param`) is an error naming it. BatchNorm's running statistics are
//! buffers and are left as burn made them.
//!
//! ```
//! use burn::nn::{LinearConfig, Linear};
//! use burn::tensor::Device;
//! use nninit_burn::{Config, NninitInit};
//!
//! let device = Device::default();
//! let fc: Linear = LinearConfig::new(32, 64).init(&device);
//! let fc = fc.nninit_init(&Config::new(7))?;
//! assert_eq!(fc.weight.val().dims(), [32, 64]); // burn's [d_in, d_out]
//! # Ok::<(), nninit_burn::Error>(())
//! ```

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Shape, Tensor, TensorData};
use nninit::{Layout, Stream};
use nninit_io::model::plan::{Entry, Module as PlanModule, ModuleKind, Param as PlanParam};
use rayon::prelude::*;
use std::collections::HashMap;

pub use nninit::Error;
pub use nninit_io::model::plan::{Plan, Scheme};
pub use nninit_io::model::role::RoleRules;
pub use nninit_io::model::spec::Rules;

/// nninit's result: errors carry nninit's message (the parameter named,
/// what is allowed).
pub type Result<T> = std::result::Result<T, Error>;

/// What [`NninitInit::nninit_init`] does: the seed, the scheme (`torch` by
/// default), user rules over it and role overrides for a stack's scheme.
#[derive(Debug, Clone)]
pub struct Config {
    /// The seed of every parameter's stream.
    pub seed: u64,
    /// The scheme deciding what a parameter no rule covers gets.
    pub scheme: Scheme,
    /// Globs over nninit names -> init expressions; first match wins.
    pub rules: Option<Rules>,
    /// Globs over nninit names -> roles (stack schemes).
    pub roles: RoleRules,
}

impl Config {
    /// Seed `seed`, scheme `torch`, no rules.
    pub fn new(seed: u64) -> Config {
        Config {
            seed,
            scheme: Scheme::Torch,
            rules: None,
            roles: RoleRules::default(),
        }
    }

    /// With user rules over the scheme.
    pub fn with_rules(mut self, rules: Rules) -> Config {
        self.rules = Some(rules);
        self
    }

    /// With another scheme (`Scheme::parse("megatron(sigma=0.02)")?`).
    pub fn with_scheme(mut self, scheme: Scheme) -> Config {
        self.scheme = scheme;
        self
    }

    /// With role overrides (stack schemes).
    pub fn with_roles(mut self, roles: RoleRules) -> Config {
        self.roles = roles;
        self
    }
}

/// nninit's initialization of a burn [`Module`], by parameter name.
pub trait NninitInit: Module + Sized {
    /// The plan: which initializer each float parameter gets (by nninit
    /// name, PyTorch layout), without generating anything.
    fn nninit_plan(&self, config: &Config) -> Result<Plan>;

    /// The model with every float parameter generated by nninit. The plan
    /// is built and checked first: an error (a parameter nothing covers, a
    /// rule matching nothing, an initializer that cannot fill its shape, an
    /// unsupported dtype) returns before any value is generated.
    fn nninit_init(self, config: &Config) -> Result<Self>;
}

impl<M: Module + Sized> NninitInit for M {
    fn nninit_plan(&self, config: &Config) -> Result<Plan> {
        plan_of(self, config).map(|(_, plan)| plan)
    }

    fn nninit_init(self, config: &Config) -> Result<Self> {
        let (found, plan) = plan_of(&self, config)?;
        let mut todo = HashMap::with_capacity(found.len());
        for (f, e) in found.iter().zip(&plan.entries) {
            todo.insert(f.path.clone(), (f, e));
        }
        let mut gen = Generator {
            path: Vec::new(),
            todo,
            seed: config.seed,
            done: 0,
            error: None,
        };
        let model = self.map(&mut gen);
        if let Some(e) = gen.error {
            return Err(e);
        }
        if gen.done != found.len() {
            return Err(Error::Unsupported(format!(
                "nninit: {} of the model's {} planned parameters were met while mapping it (a module whose map and visit disagree)",
                gen.done,
                found.len()
            )));
        }
        Ok(model)
    }
}

/// How a stored burn tensor relates to PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    /// The same layout.
    Same,
    /// PyTorch's `[out, in]` transposed (burn's `Linear` weight).
    Transposed,
}

/// One float parameter met in the model.
#[derive(Debug)]
struct Found {
    /// Its burn path (`ln.gamma`).
    path: String,
    /// The shape burn holds it in (what its load mapper takes).
    stored_shape: Vec<usize>,
    stored: Stored,
    /// nninit's view: name, PyTorch shape and module.
    param: PlanParam,
}

fn plan_of<M: Module>(model: &M, config: &Config) -> Result<(Vec<Found>, Plan)> {
    let mut collector = Collector {
        path: Vec::new(),
        containers: Vec::new(),
        found: Vec::new(),
        error: None,
    };
    model.visit(&mut collector);
    if let Some(e) = collector.error {
        return Err(e);
    }
    let params: Vec<PlanParam> = collector.found.iter().map(|f| f.param.clone()).collect();
    let plan =
        Plan::build_with_roles(&params, config.scheme, config.rules.as_ref(), &config.roles)?;
    Ok((collector.found, plan))
}

/// Visits the model and describes each float parameter (nothing is
/// initialized: shapes and devices are read lazily).
struct Collector {
    path: Vec<String>,
    containers: Vec<String>,
    found: Vec<Found>,
    error: Option<Error>,
}

/// burn's norms, whose `gamma`/`beta` PyTorch calls `weight`/`bias`
/// (burn-store's adapter renames exactly these).
const RENAMED_NORMS: [&str; 4] = ["LayerNorm", "GroupNorm", "BatchNorm", "RmsNorm"];

/// The PyTorch class of a burn module type.
fn torch_class(burn_type: &str) -> Option<&'static str> {
    Some(match burn_type {
        "Linear" => "Linear",
        "Conv1d" => "Conv1d",
        "Conv2d" => "Conv2d",
        "Conv3d" => "Conv3d",
        "ConvTranspose1d" => "ConvTranspose1d",
        "ConvTranspose2d" => "ConvTranspose2d",
        "ConvTranspose3d" => "ConvTranspose3d",
        "Embedding" => "Embedding",
        "LayerNorm" => "LayerNorm",
        "GroupNorm" => "GroupNorm",
        "BatchNorm" => "BatchNorm2d",
        "InstanceNorm" => "InstanceNorm2d",
        "RmsNorm" => "RMSNorm",
        "PRelu" => "PReLU",
        _ => return None,
    })
}

/// nninit's dtype of burn's float dtype.
fn nninit_dtype(path: &str, dtype: burn::tensor::DType) -> Result<nninit::DType> {
    use burn::tensor::DType as B;
    Ok(match dtype {
        B::F32 => nninit::DType::F32,
        B::F64 => nninit::DType::F64,
        B::BF16 => nninit::DType::BF16,
        B::F16 => nninit::DType::F16,
        other => {
            return Err(Error::Unsupported(format!(
                "nninit: `{path}` is {other:?}; nninit generates f32, f64, bf16 and f16 (configure the device's float dtype to one of them)"
            )))
        }
    })
}

impl Collector {
    fn describe<const D: usize>(&self, param: &Param<Tensor<D>>) -> Result<Option<Found>> {
        let path = self.path.join(".");
        let local = self.path.last().cloned().unwrap_or_default();
        let owner = self.containers.last().map(String::as_str).unwrap_or("");
        let owner = owner.strip_prefix("Struct:").unwrap_or(owner);
        if owner == "BatchNorm" && (local == "running_mean" || local == "running_var") {
            return Ok(None);
        }
        if path.is_empty() {
            return Err(Error::Unsupported(
                "nninit: the model is a bare parameter with no name; wrap it in a module".into(),
            ));
        }
        let stored_shape: Vec<usize> = param.lazy_shape().to_vec();
        let device = param.lazy_device();
        let dtype = nninit_dtype(&path, device.settings().float_dtype.into())?;
        let class = torch_class(owner);
        // the local name PyTorch's module gives it, and the nninit name
        let (torch_local, name) = match (owner, local.as_str()) {
            (o, "gamma" | "beta") if RENAMED_NORMS.contains(&o) || o == "InstanceNorm" => {
                let t = if local == "gamma" { "weight" } else { "bias" };
                let prefix = path.strip_suffix(&local).unwrap_or("");
                let name = if RENAMED_NORMS.contains(&o) {
                    format!("{prefix}{t}")
                } else {
                    path.clone()
                };
                (t.to_string(), name)
            }
            ("PRelu", "alpha") => ("weight".to_string(), path.clone()),
            _ => (local.clone(), path.clone()),
        };
        let (stored, shape) = if owner == "Linear" && local == "weight" && D == 2 {
            if load_transposes(param, &device) {
                (Stored::Same, stored_shape.clone())
            } else {
                (Stored::Transposed, vec![stored_shape[1], stored_shape[0]])
            }
        } else {
            (Stored::Same, stored_shape.clone())
        };
        let weight_shape = if torch_local == "bias" {
            let prefix = name.strip_suffix("bias").unwrap_or("");
            let weight = format!("{prefix}weight");
            self.found
                .iter()
                .rev()
                .find(|f| f.param.name == weight)
                .map(|f| f.param.shape.clone())
        } else {
            None
        };
        let module = match class {
            Some(c) => PlanModule {
                weight_shape,
                ..PlanModule::torch(c)
            },
            None => PlanModule {
                class: owner.to_string(),
                kind: ModuleKind::Unknown,
                weight_shape: None,
                hidden_size: None,
                padding_idx: None,
                prelu_init: None,
            },
        };
        Ok(Some(Found {
            path,
            stored_shape,
            stored,
            param: PlanParam {
                name,
                local: torch_local,
                shape,
                dtype,
                module,
                recorded: None,
            },
        }))
    }
}

/// Whether a parameter's load mapper transposes (burn's
/// `LinearLayout::Col`): a 1x2 probe handed to a clone comes back 2x1. The
/// clone shares the lazy state; nothing is initialized.
fn load_transposes<const D: usize>(param: &Param<Tensor<D>>, device: &Device) -> bool {
    if D != 2 {
        return false;
    }
    let probe = Tensor::<D>::zeros(Shape::from(vec![1usize, 2]), device);
    let loaded = param.clone().transform_for_load(probe, param.id);
    loaded.val().dims().as_slice() == [2, 1]
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push(name.to_string());
        self.containers.push(container_type.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
        self.containers.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self.error.is_some() {
            return;
        }
        match self.describe(param) {
            Ok(Some(f)) => self.found.push(f),
            Ok(None) => {}
            Err(e) => self.error = Some(e),
        }
    }
}

/// Generates each planned parameter and loads it in place.
struct Generator<'a> {
    path: Vec<String>,
    todo: HashMap<String, (&'a Found, &'a Entry)>,
    seed: u64,
    done: usize,
    error: Option<Error>,
}

impl ModuleMapper for Generator<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let path = self.path.join(".");
        let Some(&(found, entry)) = self.todo.get(&path) else {
            return param;
        };
        match tensor_of::<D>(found, entry, self.seed, &param.lazy_device()) {
            Ok(t) => {
                self.done += 1;
                let id = param.id;
                param.transform_for_load(t, id)
            }
            Err(e) => {
                self.error = Some(e);
                param
            }
        }
    }
}

/// The parameter's values: generated in PyTorch's layout from its stream,
/// its padding row zeroed, transposed where burn stores it so, as a tensor
/// in the device's float dtype.
fn tensor_of<const D: usize>(
    found: &Found,
    entry: &Entry,
    seed: u64,
    device: &Device,
) -> Result<Tensor<D>> {
    fn values<T: nninit::Element + burn::tensor::Element>(
        found: &Found,
        entry: &Entry,
        seed: u64,
    ) -> Result<TensorData> {
        let shape = &entry.shape;
        let stream = Stream::new(seed, &entry.name);
        let v = if found.stored == Stored::Transposed && entry.init.is_shardable() {
            transposed_fill::<T>(&entry.init, shape, &stream)?
        } else {
            let n: usize = shape.iter().product();
            let mut v = vec![T::default(); n];
            entry.init.fill(shape, Layout::Torch, &stream, &mut v)?;
            if let Some(row) = entry.zero_row {
                let width = n / shape[0].max(1);
                v[row * width..(row + 1) * width].fill(T::default());
            }
            if found.stored == Stored::Transposed {
                transpose(&v, shape[0], shape[1])
            } else {
                v
            }
        };
        Ok(TensorData::new(v, found.stored_shape.clone()))
    }
    let data = match entry.dtype {
        nninit::DType::F32 => values::<f32>(found, entry, seed)?,
        nninit::DType::F64 => values::<f64>(found, entry, seed)?,
        nninit::DType::BF16 => values::<half::bf16>(found, entry, seed)?,
        nninit::DType::F16 => values::<half::f16>(found, entry, seed)?,
    };
    Ok(Tensor::<D>::from_data(data, device))
}

/// The transpose of the `[rows, cols]` tensor `init` fills from `stream`,
/// without the whole tensor in between: blocks of `BLOCK` rows are
/// generated by range (the same values, [`Init::fill_range`]) into a small
/// buffer that stays in cache, and written out as `BLOCK`-element pieces of
/// every output row, blocks in parallel. Only for shardable initializers.
fn transposed_fill<T: nninit::Element + Default + Copy + Send + Sync>(
    init: &nninit::Init,
    shape: &[usize],
    stream: &Stream,
) -> Result<Vec<T>> {
    const BLOCK: usize = 8;
    /// The output's buffer, shared by the blocks, which write disjoint elements.
    struct Out<T>(*mut T);
    // SAFETY: the pointer is only used to write elements no other block writes.
    unsafe impl<T: Send> Sync for Out<T> {}
    let (rows, cols) = (shape[0], shape[1]);
    let mut out = vec![T::default(); rows * cols];
    let ptr = Out(out.as_mut_ptr());
    let ptr = &ptr;
    (0..rows.div_ceil(BLOCK))
        .into_par_iter()
        .try_for_each_init(Vec::new, |scratch: &mut Vec<T>, b| -> Result<()> {
            let (r0, h) = (b * BLOCK, BLOCK.min(rows - b * BLOCK));
            scratch.resize(h * cols, T::default());
            init.fill_range(shape, Layout::Torch, stream, (r0 * cols) as u64, scratch)?;
            for c in 0..cols {
                // SAFETY: output row c holds input column c; block b alone
                // writes its elements r0 .. r0 + h, inside the buffer (c <
                // cols, r0 + h <= rows), while `out` is not otherwise used.
                let dst = unsafe { std::slice::from_raw_parts_mut(ptr.0.add(c * rows + r0), h) };
                for (k, d) in dst.iter_mut().enumerate() {
                    *d = scratch[k * cols + c];
                }
            }
            Ok(())
        })?;
    Ok(out)
}

/// `m` (rows x cols, row-major) transposed, in parallel tiles of rows of
/// the output.
fn transpose<T: Copy + Default + Send + Sync>(m: &[T], rows: usize, cols: usize) -> Vec<T> {
    const TILE: usize = 32;
    let mut out = vec![T::default(); m.len()];
    if rows == 0 || cols == 0 {
        return out;
    }
    out.par_chunks_mut(TILE * rows)
        .enumerate()
        .for_each(|(b, block)| {
            let c0 = b * TILE;
            let c1 = (c0 + TILE).min(cols);
            for r0 in (0..rows).step_by(TILE) {
                let r1 = (r0 + TILE).min(rows);
                for c in c0..c1 {
                    let dst = &mut block[(c - c0) * rows..(c - c0 + 1) * rows];
                    for r in r0..r1 {
                        dst[r] = m[r * cols + c];
                    }
                }
            }
        });
    out
}

/// Save `model` as a safetensors file under PyTorch's names and layout
/// (burn-store's `BurnToPyTorchAdapter`: Linear weights `[out, in]`, norms'
/// `weight`/`bias`), atomically ([`nninit_io::write_atomic`]: a temporary
/// file beside `path`, renamed into place; no partial file on error).
pub fn save_pytorch<M: Module>(model: &M, path: &std::path::Path) -> Result<()> {
    use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, SafetensorsStore};
    let failed = |e: &dyn std::fmt::Display| Error::Io {
        action: "cannot serialize the model for",
        path: path.display().to_string(),
        reason: std::io::Error::other(e.to_string()),
    };
    let mut store = SafetensorsStore::from_bytes(None).with_to_adapter(BurnToPyTorchAdapter);
    model.save_into(&mut store).map_err(|e| failed(&e))?;
    let bytes = store.get_bytes().map_err(|e| failed(&e))?;
    nninit_io::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::{transpose, transposed_fill};
    use nninit::{Init, Layout, Stream};

    #[test]
    fn unsupported_dtypes_are_named() {
        use burn::tensor::DType as B;
        assert_eq!(
            super::nninit_dtype("w", B::BF16).unwrap(),
            nninit::DType::BF16
        );
        let e = super::nninit_dtype("fc.weight", B::I32)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("fc.weight") && e.contains("I32") && e.contains("f32, f64, bf16 and f16"),
            "{e}"
        );
    }

    #[test]
    fn transposed_fill_is_the_fill_transposed() {
        let init = Init::normal(0.0, 1.0).unwrap();
        for (r, c) in [(1, 1), (13, 7), (8, 8), (17, 33), (64, 3)] {
            let stream = Stream::new(5, "w");
            let mut whole = vec![0f32; r * c];
            init.fill(&[r, c], Layout::Torch, &stream, &mut whole)
                .unwrap();
            let got: Vec<f32> = transposed_fill(&init, &[r, c], &stream).unwrap();
            assert_eq!(got, transpose(&whole, r, c), "{r}x{c}");
        }
    }

    #[test]
    fn transpose_of_odd_shapes() {
        for (r, c) in [(1, 1), (3, 5), (33, 70), (64, 31), (0, 4)] {
            let m: Vec<u32> = (0..(r * c) as u32).collect();
            let t = transpose(&m, r, c);
            for i in 0..r {
                for j in 0..c {
                    assert_eq!(t[j * r + i], m[i * c + j], "{r}x{c} at ({i}, {j})");
                }
            }
        }
    }
}
