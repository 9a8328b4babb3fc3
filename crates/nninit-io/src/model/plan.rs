//! The model plan: which initializer each named parameter of a model gets,
//! and why. One place for every front end (the Python `init_module` and
//! `nninit.plan`, `nninit plan`): a parameter is described by its qualified
//! name, shape, dtype and the module that owns it ([`Param`], [`Module`]); a
//! [`Scheme`] maps it to an `Init` and a reason; user [`Rules`] (globs over
//! names, first match wins) layer over the scheme; a [`Plan`] is the
//! ordered list of [`Entry`]s plus its coverage (which parameters a rule
//! set, which the scheme, and the rules that matched nothing).
//!
//! Building a plan checks everything before anything is written: every
//! parameter that nothing covers is named in one error, a rule that matches
//! no parameter is an error naming the rule (a typo in a glob must not pass
//! silently), and every initializer is checked against its parameter's
//! shape and dtype.

use super::role::{self, Role, RoleRules};
use super::spec::Rules;
use super::stack::{Site, Stack};
use nninit::error::{Error, Result};
use nninit::{DType, Init, Layout};
use serde::Serialize;

/// What kind of module owns a parameter, as far as initialization is
/// concerned (PyTorch's classes map onto these; see [`ModuleKind::of_torch_class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModuleKind {
    /// `nn.Linear` (and `LazyLinear`, `NonDynamicallyQuantizableLinear`).
    Linear,
    /// `nn.Bilinear`.
    Bilinear,
    /// `nn.Conv1d/2d/3d`.
    Conv,
    /// `nn.ConvTranspose1d/2d/3d`.
    ConvTranspose,
    /// `nn.Embedding`.
    Embedding,
    /// `nn.EmbeddingBag`.
    EmbeddingBag,
    /// LayerNorm, RMSNorm, GroupNorm, BatchNorm, InstanceNorm (affine).
    Norm,
    /// `nn.RNN`, `nn.LSTM`, `nn.GRU` and their cells.
    Rnn,
    /// `nn.MultiheadAttention` (its own parameters and its `out_proj`).
    MultiheadAttention,
    /// `nn.PReLU`.
    Prelu,
    /// A module class no scheme knows.
    Unknown,
}

impl ModuleKind {
    /// The kind of a `torch.nn` class by name (`"LSTMCell"` is `Rnn`); `Unknown`
    /// for any other class. Subclasses are resolved by the front end (the
    /// Python package walks a class's bases and passes the first known one).
    pub fn of_torch_class(class: &str) -> ModuleKind {
        match class {
            "Linear" | "LazyLinear" | "NonDynamicallyQuantizableLinear" | "Identity_Linear" => {
                ModuleKind::Linear
            }
            "Bilinear" => ModuleKind::Bilinear,
            "Conv1d" | "Conv2d" | "Conv3d" | "LazyConv1d" | "LazyConv2d" | "LazyConv3d" => {
                ModuleKind::Conv
            }
            "ConvTranspose1d" | "ConvTranspose2d" | "ConvTranspose3d" => ModuleKind::ConvTranspose,
            "Embedding" => ModuleKind::Embedding,
            "EmbeddingBag" => ModuleKind::EmbeddingBag,
            "LayerNorm" | "RMSNorm" | "GroupNorm" | "BatchNorm1d" | "BatchNorm2d"
            | "BatchNorm3d" | "SyncBatchNorm" | "InstanceNorm1d" | "InstanceNorm2d"
            | "InstanceNorm3d" | "LocalResponseNorm" => ModuleKind::Norm,
            "_ConvNd" => ModuleKind::Conv,
            "_ConvTransposeNd" => ModuleKind::ConvTranspose,
            "_NormBase" | "_BatchNorm" | "_InstanceNorm" => ModuleKind::Norm,
            "RNN" | "LSTM" | "GRU" | "RNNCell" | "LSTMCell" | "GRUCell" | "RNNBase"
            | "RNNCellBase" => ModuleKind::Rnn,
            "MultiheadAttention" => ModuleKind::MultiheadAttention,
            "PReLU" => ModuleKind::Prelu,
            _ => ModuleKind::Unknown,
        }
    }
}

/// The module that owns a parameter: what a scheme needs to know of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Module {
    /// Its class name (`"LSTM"`, `"LlamaRMSNorm"`).
    pub class: String,
    /// Its kind.
    pub kind: ModuleKind,
    /// Its `weight`'s shape, where it has one (a bias's fan_in comes from it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_shape: Option<Vec<usize>>,
    /// `hidden_size` of a recurrent module.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_size: Option<usize>,
    /// `padding_idx` of an embedding (already made non-negative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub padding_idx: Option<usize>,
    /// `init` of a PReLU (its initial slope, 0.25 by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prelu_init: Option<f64>,
}

impl Module {
    /// A module of `class` (its kind from [`ModuleKind::of_torch_class`]) with
    /// nothing else known.
    pub fn torch(class: &str) -> Module {
        Module {
            class: class.to_string(),
            kind: ModuleKind::of_torch_class(class),
            weight_shape: None,
            hidden_size: None,
            padding_idx: None,
            prelu_init: None,
        }
    }
}

/// One parameter of a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    /// Qualified name (`"encoder.0.weight"`): the stream's name.
    pub name: String,
    /// Its name within its module (`"weight"`, `"weight_ih_l0"`, `"out_proj.weight"`).
    pub local: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Dtype.
    #[serde(serialize_with = "dtype_name")]
    pub dtype: DType,
    /// The module that owns it.
    pub module: Module,
    /// What the module's own initialization code drew for it, when a front
    /// end replayed that code with its random fills intercepted (the Python
    /// package: `reset_parameters`, transformers' `_init_weights`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Recorded>,
}

/// An initializer recorded from a module's own initialization code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recorded {
    /// The equivalent nninit initializer of the last fill of the whole tensor.
    pub init: Init,
    /// Where it was recorded (`LlamaPreTrainedModel._init_weights`).
    pub from: String,
    /// A row set to zero after it (an embedding's padding row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zero_row: Option<usize>,
}

fn dtype_name<S: serde::Serializer>(d: &DType, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(d.name())
}

/// What a scheme decides for one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The initializer.
    pub init: Init,
    /// Why, in words (`torch default for Linear`).
    pub why: String,
    /// A row to zero after filling (an embedding's padding row).
    pub zero_row: Option<usize>,
    /// Why a framework generator (`--rng torch|numpy`) cannot replay it in
    /// parameter order, where it cannot.
    pub no_replay: Option<&'static str>,
    /// Recorded from the module's own code (which the front end replays to
    /// write it), not one of the scheme's own rules.
    pub recorded: bool,
}

/// A named set of defaults: per module (`torch`, `hf`) or per role in a
/// transformer (the LLM stacks' schemes, [`Stack`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Scheme {
    /// What each `torch.nn` module's own `reset_parameters` draws; a module
    /// it does not know gets what its own code recorded, if a front end
    /// replayed it.
    Torch,
    /// What a Hugging Face model's own `_init_weights` draws for every
    /// module, as recorded by replaying it (the Python package).
    Hf,
    /// An LLM training stack's scheme, by parameter role ([`super::stack`]).
    Stack(Stack),
    /// Flax `linen`'s defaults by leaf name and rank, in the keras layout
    /// (`[*kernel, in, out]`): see [`flax_default`].
    Flax,
}

impl Scheme {
    /// The scheme names.
    pub const NAMES: [&'static str; 8] = [
        "torch",
        "hf",
        "flax",
        "megatron",
        "torchtitan",
        "olmo",
        "neox",
        "nanogpt",
    ];

    /// Parse a scheme expression: `torch`, `hf`, or a stack's with its
    /// options (`megatron(sigma=0.01)`, `torchtitan(depth_init=false)`,
    /// `olmo(method=llama)`, `neox(init_method=small_init)`, `nanogpt`).
    pub fn parse(s: &str) -> Result<Scheme> {
        if let Some(stack) = Stack::parse(s)? {
            return Ok(Scheme::Stack(stack));
        }
        match s.trim().to_ascii_lowercase().as_str() {
            "torch" | "pytorch" => Ok(Scheme::Torch),
            "hf" | "transformers" | "huggingface" => Ok(Scheme::Hf),
            "flax" | "linen" => Ok(Scheme::Flax),
            other => {
                let head = other.split('(').next().unwrap_or(other);
                if matches!(
                    head.trim(),
                    "torch" | "pytorch" | "hf" | "transformers" | "huggingface"
                ) {
                    return Err(Error::UnknownParam {
                        init: head.trim().to_string(),
                        param: other.to_string(),
                        suggestion: None,
                        allowed: Vec::new(),
                    });
                }
                Err(Error::unknown_name("scheme", s, &Scheme::NAMES))
            }
        }
    }

    /// Its expression (`torch`, `torchtitan(depth_init=false)`).
    pub fn name(&self) -> String {
        match self {
            Scheme::Torch => "torch".into(),
            Scheme::Hf => "hf".into(),
            Scheme::Flax => "flax".into(),
            Scheme::Stack(s) => s.to_string(),
        }
    }

    /// Whether it decides by role (a stack's scheme): every parameter a
    /// rule does not cover must then have a role.
    pub fn by_role(&self) -> bool {
        matches!(self, Scheme::Stack(_))
    }

    /// The scheme's initializer for `p`, or None when it has none (the
    /// per-module schemes; a stack's is decided in [`Plan::build`], which
    /// knows the model's roles and depth).
    pub fn decide(&self, p: &Param) -> Result<Option<Decision>> {
        let recorded = || {
            p.recorded.as_ref().map(|r| Decision {
                init: r.init.clone(),
                why: format!("recorded from {}: {}", r.from, r.init),
                zero_row: r.zero_row,
                no_replay: Some("it was recorded from the module's own code, which draws in its own order; use the default rng (nninit)"),
                recorded: true,
            })
        };
        match self {
            Scheme::Torch => Ok(torch_default(p)?.or_else(recorded)),
            Scheme::Hf => Ok(recorded()),
            Scheme::Flax => flax_default(p),
            Scheme::Stack(_) => Ok(None),
        }
    }
}

impl Serialize for Scheme {
    /// As its expression.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// Flax `linen`'s default initializers by a leaf's name and rank (flax
/// `linen/linear.py`, `normalization.py`; `jax.nn.initializers`), for
/// parameters in the keras layout (`[*kernel, in, out]`), as `init_params`
/// of a parameter tree gives them:
/// - `kernel` of rank >= 2 (Dense, Conv, ConvTranspose): `lecun_normal` =
///   `variance_scaling(1, fan_in, truncated_normal)`, fan_in = in x the
///   kernel's spatial size (`DenseGeneral` with several feature axes
///   flattens them first: give such a kernel a rule);
/// - `bias`: zeros; `scale` (LayerNorm, RMSNorm, BatchNorm, GroupNorm): ones;
/// - `embedding` of rank 2 (Embed, `[num_embeddings, features]`):
///   `variance_scaling(1, fan_in, normal, out_axis=0)`, whose fan_in is
///   `features`: N(0, 1/features).
///
/// Any other leaf has no default (a rule names it).
pub fn flax_default(p: &Param) -> Result<Option<Decision>> {
    let decided = |init: Init, what: &str| {
        Ok(Some(Decision {
            init,
            why: format!("flax default for `{}` ({what})", p.local),
            zero_row: None,
            no_replay: None,
            recorded: false,
        }))
    };
    match (p.local.as_str(), p.shape.len()) {
        ("kernel", r) if r >= 2 => decided(
            Init::parse("lecun_normal")?,
            "Dense/Conv kernel: lecun_normal over [*kernel, in, out]",
        ),
        ("bias", _) => decided(Init::zeros(), "zeros"),
        ("scale", _) => decided(Init::ones(), "a norm's scale: ones"),
        ("embedding", 2) => decided(
            Init::normal(0.0, (1.0 / p.shape[1].max(1) as f64).sqrt())?,
            "Embed: variance_scaling(1, fan_in, normal, out_axis=0), fan_in = features",
        ),
        _ => Ok(None),
    }
}

/// `U(-b, b)`.
fn symmetric_uniform(b: f64) -> Result<Init> {
    Init::uniform(-b, b)
}

/// PyTorch's own `reset_parameters` for `p`'s module (torch 2.x sources,
/// `torch/nn/modules/*.py`):
/// - Linear, Conv*, ConvTranspose*: weight `kaiming_uniform_(a=sqrt(5))`
///   (`torch_default`), bias U(+-1/sqrt(fan_in)) with the weight's fan_in
///   (kernel counted);
/// - Bilinear: weight and bias U(+-1/sqrt(in1_features)) (`weight.size(1)`);
/// - Embedding, EmbeddingBag: N(0, 1), the padding row zero;
/// - norms: weight ones, bias zeros;
/// - RNN, LSTM, GRU and their cells: every weight and bias
///   U(+-1/sqrt(hidden_size));
/// - MultiheadAttention: in_proj (or q/k/v_proj) weight `xavier_uniform_`,
///   in_proj and out_proj biases zero, out_proj weight Linear's default,
///   bias_k/bias_v `xavier_normal_`;
/// - PReLU: every element `init` (0.25 by default).
fn torch_default(p: &Param) -> Result<Option<Decision>> {
    let m = &p.module;
    let why = format!("torch default for {}", m.class);
    let local = p.local.as_str();
    let decided = |init: Init| {
        Ok(Some(Decision {
            init,
            why: why.clone(),
            zero_row: None,
            no_replay: None,
            recorded: false,
        }))
    };
    let weight_fan_in = || -> Result<u64> {
        let w = m.weight_shape.as_deref().ok_or_else(|| Error::BadShape {
            shape: format!("{:?}", p.shape),
            reason: format!(
                "the default of `{}` ({} bias) needs its module's weight shape",
                p.name, m.class
            ),
        })?;
        Ok(nninit::fans(w, Layout::Torch)?.fan_in)
    };
    match (m.kind, local) {
        (ModuleKind::Linear | ModuleKind::Conv | ModuleKind::ConvTranspose, "weight") => {
            decided(Init::torch_default())
        }
        (ModuleKind::Linear | ModuleKind::Conv | ModuleKind::ConvTranspose, "bias") => {
            decided(Init::torch_default_bias(weight_fan_in()?)?)
        }
        (ModuleKind::Bilinear, "weight" | "bias") => {
            let w = m.weight_shape.as_deref().unwrap_or(&p.shape);
            let in1 = w.get(1).copied().unwrap_or(0);
            let b = if in1 > 0 {
                1.0 / (in1 as f64).sqrt()
            } else {
                0.0
            };
            decided(symmetric_uniform(b)?)
        }
        (ModuleKind::Embedding | ModuleKind::EmbeddingBag, "weight") => Ok(Some(Decision {
            init: Init::normal(0.0, 1.0)?,
            why,
            zero_row: m.padding_idx,
            no_replay: None,
            recorded: false,
        })),
        (ModuleKind::Norm, "weight") => decided(Init::ones()),
        (ModuleKind::Norm, "bias") => decided(Init::zeros()),
        (ModuleKind::Rnn, l) if l.starts_with("weight_") || l.starts_with("bias_") => {
            let h = m.hidden_size.ok_or_else(|| Error::BadShape {
                shape: format!("{:?}", p.shape),
                reason: format!(
                    "the default of `{}` ({}) needs its module's hidden_size",
                    p.name, m.class
                ),
            })?;
            let b = if h > 0 { 1.0 / (h as f64).sqrt() } else { 0.0 };
            decided(symmetric_uniform(b)?)
        }
        (ModuleKind::MultiheadAttention, l) => {
            let init = match l {
                "in_proj_weight" | "q_proj_weight" | "k_proj_weight" | "v_proj_weight" => {
                    Init::xavier_uniform(1.0)?
                }
                "in_proj_bias" | "out_proj.bias" => Init::zeros(),
                "out_proj.weight" => Init::torch_default(),
                "bias_k" | "bias_v" => Init::xavier_normal(1.0)?,
                _ => return Ok(None),
            };
            Ok(Some(Decision {
                init,
                why,
                zero_row: None,
                no_replay: Some(
                    "nn.MultiheadAttention draws its out_proj before its in_proj, not in named_parameters() order; use the default rng (nninit)",
                ),
                recorded: false,
            }))
        }
        (ModuleKind::Prelu, "weight") => decided(Init::constant(m.prelu_init.unwrap_or(0.25))?),
        _ => Ok(None),
    }
}

/// Where a parameter's initializer came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Source {
    /// User rule `index` (0-based), whose glob is `glob`.
    Rule { index: usize, glob: String },
    /// The scheme.
    Scheme { scheme: Scheme },
    /// The model's description itself (an MLP's `--init`, a spec file, a
    /// Hugging Face config's family rules).
    Model { origin: String },
    /// Recorded from the module's own initialization code under the scheme
    /// (written by replaying that code).
    Recorded { scheme: Scheme },
}

/// One row of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Qualified name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Dtype.
    #[serde(serialize_with = "dtype_name")]
    pub dtype: DType,
    /// The owning module's class.
    pub module: String,
    /// Its role in a transformer, where known (always under a stack's
    /// scheme; best effort under the others); null otherwise.
    pub role: Option<Role>,
    /// Its block index (null outside blocks).
    pub layer: Option<usize>,
    /// The initializer (serialized as its expression).
    pub init: Init,
    /// Why, in words.
    pub why: String,
    /// Rule or scheme.
    pub source: Source,
    /// A row zeroed after filling (an embedding's padding row), when the
    /// scheme decided (a rule decides the whole tensor).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zero_row: Option<usize>,
    /// Why a framework generator cannot replay it, where it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_replay: Option<&'static str>,
}

/// The entry of a tensor that rule `i` (of `rules`) decides.
fn rule_entry(
    rules: Option<&Rules>,
    i: usize,
    init: &Init,
    name: &str,
    shape: &[usize],
    dtype: DType,
    module: &str,
) -> Entry {
    let glob = rules.and_then(|r| r.pattern(i)).unwrap_or("").to_string();
    Entry {
        name: name.to_string(),
        shape: shape.to_vec(),
        dtype,
        module: module.to_string(),
        role: None,
        layer: role::layer_of(name),
        init: init.clone(),
        why: format!("rule {i} `{glob}`"),
        source: Source::Rule { index: i, glob },
        zero_row: None,
        no_replay: None,
    }
}

/// The first rule that matched nothing, as an error (`what`: parameter or tensor).
fn unused_rule(rules: &Rules, used: &[bool], what: &str) -> Result<()> {
    match used.iter().position(|u| !u) {
        Some(i) => Err(Error::BadRule {
            index: i,
            glob: rules.pattern(i).unwrap_or("").to_string(),
            reason: format!("it matches no {what} of the model (a typo in the glob?); every rule must match at least one"),
        }),
        None => Ok(()),
    }
}

/// The input features of a weight matrix (or kernel): `shape[1]` of
/// torch's `[out, in]`, `shape[0]` of GPT-2's `Conv1D` (`[in, out]`); None
/// for a vector.
pub fn fan_in_of(p: &Param) -> Option<usize> {
    match p.shape.len() {
        0 | 1 => None,
        2 if p.module.class == "Conv1D" => Some(p.shape[0]),
        2 => Some(p.shape[1]),
        _ => nninit::fans(&p.shape, Layout::Torch)
            .ok()
            .map(|f| f.fan_in as usize),
    }
}

/// The model's depth (blocks) and width (the token embedding's width, else
/// the first norm's size), as a stack's scheme needs them.
fn model_shape(
    params: &[Param],
    roles: &[std::result::Result<Role, String>],
    layers: &[Option<usize>],
) -> super::stack::Shape {
    let depth = layers.iter().flatten().max().map(|l| l + 1);
    let of = |want: Role| {
        params.iter().zip(roles).find_map(|(p, r)| match r {
            Ok(r) if *r == want => p.shape.last().copied(),
            _ => None,
        })
    };
    super::stack::Shape {
        layers: depth,
        width: of(Role::Embedding).or_else(|| of(Role::Norm)),
    }
}

/// A model's plan: one entry per parameter, in the model's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The scheme under the rules (None where the model's description chose
    /// the initializers: an MLP, a spec file, a Hugging Face config).
    pub scheme: Option<Scheme>,
    /// The rows.
    pub entries: Vec<Entry>,
}

impl Plan {
    /// The plan of `params` under `scheme` with `rules` over it (first match
    /// wins). Errors, before anything is written: every parameter nothing
    /// covers, named together; a rule that matches no parameter; an
    /// initializer that cannot fill its parameter's shape and dtype.
    pub fn build(params: &[Param], scheme: Scheme, rules: Option<&Rules>) -> Result<Plan> {
        Plan::build_with_roles(params, scheme, rules, &RoleRules::default())
    }

    /// [`Plan::build`] with role overrides (globs over names -> role, tried
    /// before inference; each must match a parameter). Under a stack's
    /// scheme every parameter no rule covers must have a role: those that
    /// have none are named together in one error.
    pub fn build_with_roles(
        params: &[Param],
        scheme: Scheme,
        rules: Option<&Rules>,
        roles: &RoleRules,
    ) -> Result<Plan> {
        Plan::build_inner(params, scheme, rules, roles, true).map(|(p, _)| p)
    }

    /// [`Plan::build_with_roles`] that leaves out the parameters nothing
    /// covers and returns their names (a front end then replays their
    /// modules' own code and builds again), without the unused-rule check.
    pub fn build_partial(
        params: &[Param],
        scheme: Scheme,
        rules: Option<&Rules>,
        roles: &RoleRules,
    ) -> Result<(Plan, Vec<String>)> {
        Plan::build_inner(params, scheme, rules, roles, false)
    }

    fn build_inner(
        params: &[Param],
        scheme: Scheme,
        rules: Option<&Rules>,
        roles: &RoleRules,
        strict: bool,
    ) -> Result<(Plan, Vec<String>)> {
        let mut entries = Vec::with_capacity(params.len());
        let mut uncovered: Vec<&Param> = Vec::new();
        let mut used = vec![false; rules.map_or(0, |r| r.len())];
        let mut roles_used = vec![false; roles.len()];
        let assigned = role::assign(params, roles, &mut roles_used);
        let layers: Vec<Option<usize>> = params.iter().map(|p| role::layer_of(&p.name)).collect();
        let shape = model_shape(params, &assigned, &layers);
        let mut unknown_roles: Vec<(&Param, String)> = Vec::new();
        for ((p, r), &layer) in params.iter().zip(&assigned).zip(&layers) {
            let role = r.as_ref().ok().copied();
            let hit = rules.and_then(|r| r.first_match(&p.name));
            let entry = if let Some((i, init)) = hit {
                used[i] = true;
                let mut e = rule_entry(rules, i, init, &p.name, &p.shape, p.dtype, &p.module.class);
                e.role = role;
                e
            } else {
                let decision = match scheme {
                    Scheme::Stack(stack) => match r {
                        Err(why) => {
                            unknown_roles.push((p, why.clone()));
                            continue;
                        }
                        Ok(role) => {
                            let site = Site {
                                name: &p.name,
                                role: *role,
                                layer,
                                fan_in: fan_in_of(p),
                            };
                            let (init, why) = stack.decide(&site, &shape)?;
                            Some(Decision {
                                init,
                                why: format!("{stack}: {why}"),
                                zero_row: None,
                                no_replay: None,
                                recorded: false,
                            })
                        }
                    },
                    _ => scheme.decide(p)?,
                };
                match decision {
                    Some(d) => Entry {
                        name: p.name.clone(),
                        shape: p.shape.clone(),
                        dtype: p.dtype,
                        module: p.module.class.clone(),
                        role,
                        layer,
                        init: d.init,
                        why: d.why,
                        source: if d.recorded {
                            Source::Recorded { scheme }
                        } else {
                            Source::Scheme { scheme }
                        },
                        zero_row: d.zero_row,
                        no_replay: d.no_replay,
                    },
                    None => {
                        uncovered.push(p);
                        continue;
                    }
                }
            };
            entry
                .init
                .check_shape(&entry.shape, Layout::Torch, entry.dtype)
                .map_err(|e| Error::BadShape {
                    shape: format!("{:?}", entry.shape),
                    reason: format!("parameter `{}` ({}): {e}", entry.name, entry.why),
                })?;
            if let Some(r) = entry.zero_row {
                if entry.shape.len() != 2 || r >= entry.shape[0] {
                    return Err(Error::BadShape {
                        shape: format!("{:?}", entry.shape),
                        reason: format!(
                            "parameter `{}`: padding row {r} is not a row of the embedding",
                            entry.name
                        ),
                    });
                }
            }
            entries.push(entry);
        }
        if !unknown_roles.is_empty() {
            return Err(Error::UnknownRole {
                scheme: scheme.name(),
                params: unknown_roles
                    .iter()
                    .map(|(p, why)| format!("`{}`: {why}", p.name))
                    .collect(),
                example: unknown_roles[0].0.name.clone(),
                roles: Role::ALL.iter().map(|(_, n)| *n).collect(),
            });
        }
        roles.check_used(&roles_used)?;
        if !strict {
            let names = uncovered.iter().map(|p| p.name.clone()).collect();
            return Ok((
                Plan {
                    scheme: Some(scheme),
                    entries,
                },
                names,
            ));
        }
        if !uncovered.is_empty() {
            let names: Vec<String> = uncovered
                .iter()
                .map(|p| format!("`{}` ({})", p.name, p.module.class))
                .collect();
            return Err(Error::Uncovered {
                scheme: scheme.name(),
                params: names,
                example: uncovered[0].name.clone(),
            });
        }
        if let Some(r) = rules {
            unused_rule(r, &used, "parameter")?;
        }
        Ok((
            Plan {
                scheme: Some(scheme),
                entries,
            },
            Vec::new(),
        ))
    }

    /// The plan of tensors whose initializers a model description chose
    /// (`why` says how, per tensor; `origin` names the description), with
    /// user `rules` over them: first match wins; a rule that matches no
    /// tensor is an error naming it; every initializer is checked against
    /// its tensor's shape, layout and dtype.
    pub fn for_tensors(
        tensors: &[crate::TensorSpec],
        why: &dyn Fn(&crate::TensorSpec) -> String,
        origin: &str,
        rules: Option<&Rules>,
    ) -> Result<Plan> {
        let mut used = vec![false; rules.map_or(0, |r| r.len())];
        let mut entries = Vec::with_capacity(tensors.len());
        for t in tensors {
            let entry = match rules.and_then(|r| r.first_match(&t.name)) {
                Some((i, init)) => {
                    used[i] = true;
                    rule_entry(rules, i, init, &t.name, &t.shape, t.dtype, "")
                }
                None => Entry {
                    name: t.name.clone(),
                    shape: t.shape.clone(),
                    dtype: t.dtype,
                    module: String::new(),
                    role: None,
                    layer: role::layer_of(&t.name),
                    init: t.init.clone(),
                    why: why(t),
                    source: Source::Model {
                        origin: origin.to_string(),
                    },
                    zero_row: t.zero_row,
                    no_replay: None,
                },
            };
            entry
                .init
                .check_shape(&entry.shape, t.layout, entry.dtype)
                .map_err(|e| Error::BadShape {
                    shape: format!("{:?}", entry.shape),
                    reason: format!("tensor `{}` ({}): {e}", entry.name, entry.why),
                })?;
            entries.push(entry);
        }
        if let Some(r) = rules {
            unused_rule(r, &used, "tensor")?;
        }
        Ok(Plan {
            scheme: None,
            entries,
        })
    }

    /// The plan of tensors known only by name, shape and layout (a Hugging
    /// Face config's, a spec file's) under a stack's `scheme`, which decides
    /// by role: roles come from the names (`roles` first), the module class
    /// from `class_of` (`"Conv1D"` for GPT-2's `[in, out]` weights, whose
    /// fan_in is their first dim), with `rules` over the scheme. A
    /// per-module scheme (`torch`, `hf`) needs module classes that tensors
    /// do not carry and is refused.
    pub fn for_tensors_by_scheme(
        tensors: &[crate::TensorSpec],
        class_of: &dyn Fn(&crate::TensorSpec) -> String,
        scheme: Scheme,
        rules: Option<&Rules>,
        roles: &RoleRules,
    ) -> Result<Plan> {
        if !scheme.by_role() && scheme != Scheme::Flax {
            return Err(Error::Unsupported(format!(
                "scheme `{}` decides by module class, which a tensor list (a config, a spec file) does not carry; give a stack's scheme ({}) or use the Python package's init_module on the model",
                scheme.name(),
                super::stack::STACKS.map(|(n, _)| n).join(", ")
            )));
        }
        let params: Vec<Param> = tensors
            .iter()
            .map(|t| {
                let class = class_of(t);
                Param {
                    name: t.name.clone(),
                    local: t.name.rsplit('.').next().unwrap_or(&t.name).to_string(),
                    shape: t.shape.clone(),
                    dtype: t.dtype,
                    module: Module {
                        kind: ModuleKind::of_torch_class(&class),
                        class,
                        weight_shape: None,
                        hidden_size: None,
                        padding_idx: None,
                        prelu_init: None,
                    },
                    recorded: None,
                }
            })
            .collect();
        Plan::build_with_roles(&params, scheme, rules, roles)
    }

    /// Give `tensors` (the same, in the same order, as the plan was made
    /// of) the plan's initializers and zeroed rows.
    pub fn apply(&self, tensors: &mut [crate::TensorSpec]) {
        for (t, e) in tensors.iter_mut().zip(&self.entries) {
            debug_assert_eq!(t.name, e.name);
            t.init = e.init.clone();
            t.zero_row = e.zero_row;
        }
    }

    /// The plan as JSON (`{"scheme", "entries": [{"name", "shape", "dtype", "role", "layer",
    /// "module", "init", "why", "source", ...}]}`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a plan serializes")
    }

    /// The plan as a table: name, shape, dtype, (role and layer, when any
    /// parameter has one), init, why.
    pub fn table(&self) -> String {
        let with_roles = self
            .entries
            .iter()
            .any(|e| e.role.is_some() || e.layer.is_some());
        let rows: Vec<Vec<String>> = self
            .entries
            .iter()
            .map(|e| {
                let mut r = vec![
                    e.name.clone(),
                    format!("{:?}", e.shape),
                    e.dtype.name().to_string(),
                ];
                if with_roles {
                    r.push(e.role.map_or("-".to_string(), |r| r.name().to_string()));
                    r.push(e.layer.map_or("-".to_string(), |l| l.to_string()));
                }
                r.push(e.init.to_string());
                r.push(match e.zero_row {
                    Some(r) => format!("{} (row {r} zero)", e.why),
                    None => e.why.clone(),
                });
                r
            })
            .collect();
        let head: Vec<&str> = if with_roles {
            vec!["name", "shape", "dtype", "role", "layer", "init", "why"]
        } else {
            vec!["name", "shape", "dtype", "init", "why"]
        };
        let mut width: Vec<usize> = head.iter().map(|h| h.len()).collect();
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.len());
            }
        }
        let line = |cells: &[&str]| -> String {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(c);
                } else {
                    s.push_str(&format!("{c:<w$}  ", w = width[i]));
                }
            }
            s.trim_end().to_string()
        };
        let mut out = vec![line(&head)];
        for r in &rows {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            out.push(line(&cells));
        }
        out.join("\n")
    }
}
