//! `nninit init`: whole parameter sets from layer sizes, a spec file or a
//! Hugging Face config, streamed to disk with provenance; and `nninit inspect`.

use crate::{lib, other, Failure};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use nninit::rng::RngKind;
use nninit::Activation;
use nninit::{DType, Init};
use nninit_io::model::checkpoint::{provenance, write_checkpoint, Options, Part};
use nninit_io::model::plan::Plan;
use nninit_io::model::{hf, init_for_activation, mlp_tensors, spec, Naming};
use nninit_io::{data_bytes, draw_sequential, inspect::inspect, save_as, Format, TensorSpec};
use nninit_lab::nn::parse_layers;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The model whose tensors `init` writes and `plan` shows.
#[derive(Args)]
pub struct ModelArgs {
    /// Layer sizes, e.g. 784,256,256,10 or 64,256x20,10.
    #[arg(long, conflicts_with_all = ["spec", "hf_config"])]
    pub layers: Option<String>,
    /// A .json or .toml spec file (seed, dtype, layout, tensors, rules).
    #[arg(long, conflicts_with = "hf_config")]
    pub spec: Option<PathBuf>,
    /// A Hugging Face config.json (llama, mistral, gpt2); --out is then a directory.
    #[arg(long)]
    pub hf_config: Option<PathBuf>,
    /// Weight init expression (with --layers); default: chosen from --activation.
    #[arg(long, conflicts_with_all = ["spec", "hf_config"])]
    pub init: Option<String>,
    /// Bias init expression (with --layers).
    #[arg(long, default_value = "zeros", conflicts_with_all = ["spec", "hf_config"])]
    pub bias: String,
    /// The activation the weights will feed (with --layers, picks the init when --init is absent):
    /// sigmoid, tanh, relu, leaky_relu[(slope)], elu[(alpha)], selu, gelu, silu, linear.
    #[arg(long, default_value = "relu", conflicts_with_all = ["spec", "hf_config"])]
    pub activation: String,
    /// seed (w1, b1 with biases (n, 1), as the seed document), torch (layers.0.weight, layers.0.bias) or
    /// sequential (0.weight, 0.bias, 2.weight, ...: nn.Sequential(Linear, activation, Linear, ...)).
    #[arg(long, default_value = "seed", conflicts_with_all = ["spec", "hf_config"])]
    pub naming: String,
    /// Seed (overrides a spec file's).
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_u64)]
    pub seed: Option<u64>,
    /// f32, f64, bf16 or f16 (default f32; a HF config's torch_dtype if it has one).
    #[arg(long)]
    pub dtype: Option<String>,
    /// A rules file (.toml or .json with `[[rules]]` match/init, as in a spec file): globs over
    /// tensor names that override the model's initializers, first match wins; a rule that matches
    /// no tensor is an error. Combines with --layers, --spec and --hf-config.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// An LLM stack's scheme deciding each tensor by its role (inferred from its name):
    /// megatron[(sigma=, multiplier=)], torchtitan[(depth_init=false)],
    /// olmo(method=normal|llama|llama_depth|fan_in), neox[(init_method=, output_layer_init_method=)],
    /// nanogpt. It replaces the initializers the config or spec file gives; --rules override it.
    /// With --hf-config or --spec.
    #[arg(long, conflicts_with = "layers")]
    pub scheme: Option<String>,
    /// GLOB=ROLE: the role of the tensors the glob matches, for --scheme, where nninit cannot
    /// infer it from the name (roles: embedding, q, k, v, qkv, attn_out, mlp_gate, mlp_up,
    /// mlp_down, lm_head, norm, bias, ...). Repeatable; first match wins.
    #[arg(long = "role", requires = "scheme")]
    pub roles: Vec<String>,
}

impl ModelArgs {
    /// `--scheme` and `--role`, parsed.
    fn scheme_flags(
        &self,
    ) -> Result<
        (
            Option<nninit_io::model::plan::Scheme>,
            nninit_io::model::role::RoleRules,
        ),
        Failure,
    > {
        let scheme = self
            .scheme
            .as_deref()
            .map(nninit_io::model::plan::Scheme::parse)
            .transpose()
            .map_err(lib)?;
        let pairs: Vec<(String, String)> = self
            .roles
            .iter()
            .map(|r| match r.split_once('=') {
                Some((g, role)) => Ok((g.trim().to_string(), role.trim().to_string())),
                None => Err(crate::input(anyhow::anyhow!(
                    "--role `{r}`: expected GLOB=ROLE, e.g. --role 'blocks.*.proj.weight=attn_out'"
                ))),
            })
            .collect::<Result<_, _>>()?;
        let roles = nninit_io::model::role::RoleRules::new(&pairs).map_err(lib)?;
        Ok((scheme, roles))
    }
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  nninit init --layers 784,256,256,10 --activation relu --out model.safetensors\n  nninit init --layers 5,4,3 --rng numpy --seed 1 --init \"normal(std=0.01)\" --dtype f64 --out p.npz\n  nninit init --hf-config config.json --max-shard-size 2GB --out checkpoint/\n  nninit init --hf-config config.json --rules rules.toml --out checkpoint/"
)]
pub struct InitArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Largest shard for --hf-config (as transformers' save_pretrained) [default: 5GB].
    #[arg(long)]
    pub max_shard_size: Option<String>,
    /// With --hf-config: write only part I of N (`I/N`): the shard files k with k % N == I - 1,
    /// and with part 1 the index and config. N processes together write the bytes of one run.
    #[arg(long)]
    pub part: Option<String>,
    /// Write a directory output (--hf-config, or one .npy per tensor) into a non-empty directory
    /// nninit did not write; its other files are left alone.
    #[arg(long)]
    pub force: bool,
    /// Random generator: nninit (keyed streams), numpy (np.random.seed, drawn in tensor order),
    /// numpy-default (np.random.default_rng, drawn in tensor order), torch (torch.manual_seed,
    /// drawn in tensor order, torch's kernels) or jax (tensor i, 0-based in file order, drawn from
    /// jax.random.fold_in(jax.random.key(SEED), i); float32 and float64).
    #[arg(long, default_value = "nninit")]
    pub rng: String,
    /// .safetensors, .npz, or a directory (one .npy per tensor; the HF layout with --hf-config).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  nninit plan --layers 784,256,10 --activation relu\n  nninit plan --hf-config config.json --rules rules.toml --json"
)]
pub struct PlanArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print the plan as JSON (`{"scheme", "entries": [{"name", "shape", "dtype", "module", "role", "layer", "init", "why", "source"}]}`).
    #[arg(long)]
    pub json: bool,
}

/// A model's tensors with each one's initializer decided (the model's own
/// choice, then `--rules` over it): the plan, and the seed and provenance
/// records of the run.
struct Planned {
    tensors: Vec<TensorSpec>,
    plan: Plan,
    seed: u64,
    extra: Vec<(&'static str, String)>,
}

impl ModelArgs {
    /// `--dtype`, parsed.
    fn dtype_flag(&self) -> Result<Option<DType>, Failure> {
        self.dtype
            .as_deref()
            .map(DType::parse)
            .transpose()
            .map_err(lib)
    }
}

/// A model's tensors as its description chose them: tensors, seed,
/// provenance records, the description's name, and why each tensor got its
/// initializer.
type Described = (
    Vec<TensorSpec>,
    u64,
    Vec<(&'static str, String)>,
    String,
    Box<dyn Fn(&TensorSpec) -> String>,
);

fn plan_model(m: &ModelArgs, dtype_flag: Option<DType>) -> Result<Planned, Failure> {
    let rules = m
        .rules
        .as_deref()
        .map(spec::load_rules)
        .transpose()
        .map_err(lib)?;
    let (mut tensors, seed, extra, origin, why): Described = if let Some(layers) = &m.layers {
        let sizes = parse_layers(layers).map_err(lib)?;
        let act = Activation::parse(&m.activation).map_err(lib)?;
        let (init, why) = match &m.init {
            Some(e) => (Init::parse(e).map_err(lib)?, format!("given: {e}")),
            None => init_for_activation(&act),
        };
        // torch_default_bias without fan_in: each layer's own fan_in (its input size)
        let bias = match m.bias.replace(' ', "").as_str() {
            "torch_default_bias" | "torch_default_bias()" => Init::torch_default(),
            b => Init::parse(b).map_err(lib)?,
        };
        let naming = Naming::parse(&m.naming).map_err(lib)?;
        let t = mlp_tensors(
            &sizes,
            &init,
            &bias,
            naming,
            dtype_flag.unwrap_or(DType::F32),
        )
        .map_err(lib)?;
        let (weight_why, bias_why) = (format!("weight: {why}"), format!("bias: --bias {}", m.bias));
        (
            t,
            m.seed.unwrap_or(0),
            vec![
                ("activation", act.name()),
                ("init_reason", why),
                ("layers", layers.clone()),
            ],
            format!("--layers {layers}"),
            Box::new(move |t: &TensorSpec| {
                if is_bias_name(&t.name) {
                    bias_why.clone()
                } else {
                    weight_why.clone()
                }
            }),
        )
    } else if let Some(spec_path) = &m.spec {
        let s = spec::load_spec(spec_path).map_err(lib)?;
        let mut t = s.tensors;
        if let Some(d) = dtype_flag {
            t.iter_mut().for_each(|x| x.dtype = d);
        }
        let origin = spec_path.display().to_string();
        let why = format!("spec file {origin}");
        (
            t,
            m.seed.unwrap_or(s.seed),
            vec![("spec", origin.clone())],
            origin,
            Box::new(move |_: &TensorSpec| why.clone()),
        )
    } else if let Some(cfg_path) = &m.hf_config {
        let text = std::fs::read_to_string(cfg_path)
            .map_err(|e| other(anyhow::anyhow!("cannot read `{}`: {e}", cfg_path.display())))?;
        let cfg: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            crate::input(anyhow::anyhow!(
                "`{}` is not valid JSON: {e}",
                cfg_path.display()
            ))
        })?;
        let dtype = match dtype_flag {
            Some(d) => d,
            None => hf::config_dtype(&cfg).map_err(lib)?.unwrap_or(DType::F32),
        };
        let family = cfg["model_type"].as_str().unwrap_or("?").to_string();
        let why = format!("the {family} config's rule");
        (
            hf::tensors(&cfg, dtype).map_err(lib)?,
            m.seed.unwrap_or(0),
            vec![
                ("hf_config", cfg_path.display().to_string()),
                ("model_type", family.clone()),
            ],
            cfg_path.display().to_string(),
            Box::new(move |_: &TensorSpec| why.clone()),
        )
    } else {
        return Err(crate::input(anyhow::anyhow!(
            "give one of --layers, --spec or --hf-config"
        )));
    };
    let (scheme, roles) = m.scheme_flags()?;
    let plan = match scheme {
        Some(scheme) => {
            let model_type = match &m.hf_config {
                Some(_) => extra
                    .iter()
                    .find(|(k, _)| *k == "model_type")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default(),
                None => String::new(),
            };
            let class_of = |t: &TensorSpec| -> String {
                if t.layout == nninit::Layout::Keras && t.shape.len() == 2 {
                    "Conv1D".to_string()
                } else {
                    hf::module_class(&model_type, t).to_string()
                }
            };
            Plan::for_tensors_by_scheme(&tensors, &class_of, scheme, rules.as_ref(), &roles)
                .map_err(lib)?
        }
        None => Plan::for_tensors(&tensors, &*why, &origin, rules.as_ref()).map_err(lib)?,
    };
    plan.apply(&mut tensors);
    Ok(Planned {
        tensors,
        plan,
        seed,
        extra,
    })
}

/// A bias of an MLP as `mlp_tensors` names it (`b1`, `layers.0.bias`, `0.bias`).
fn is_bias_name(name: &str) -> bool {
    name.ends_with("bias")
        || name
            .strip_prefix('b')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
}

/// `nninit plan`: the plan `nninit init` would carry out, without writing.
pub fn run_plan(a: PlanArgs) -> Result<(), Failure> {
    let dtype_flag = a.model.dtype_flag()?;
    let p = plan_model(&a.model, dtype_flag)?;
    if a.json {
        outln!("{}", p.plan.to_json());
    } else {
        outln!("{}", p.plan.table());
    }
    Ok(())
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{bytes} B")
    }
}

fn bar(total: u64) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .expect("valid template"),
    );
    pb
}

pub fn run(a: InitArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let dtype_flag = a.model.dtype_flag()?;
    if a.max_shard_size.is_some() && a.model.hf_config.is_none() {
        return Err(crate::input(anyhow::anyhow!(
            "--max-shard-size applies to --hf-config checkpoints; --layers and --spec write one file (or one .npy per tensor)"
        )));
    }
    if a.part.is_some() && a.model.hf_config.is_none() {
        return Err(crate::input(anyhow::anyhow!(
            "--part splits a --hf-config checkpoint by its shard files; --layers and --spec write one output, so there is nothing to split"
        )));
    }
    let rng = RngKind::parse(&a.rng).map_err(lib)?;
    if let Some(cfg_path) = &a.model.hf_config {
        if rng != RngKind::Nninit {
            return Err(crate::input(anyhow::anyhow!(
                "--rng {} cannot reproduce a --hf-config checkpoint: transformers' initialization order and its per-module rules are not emulated; use --rng nninit (the default)",
                rng.name()
            )));
        }
        return run_hf(&a, cfg_path, dtype_flag, started);
    }
    let Planned {
        mut tensors,
        seed,
        mut extra,
        ..
    } = plan_model(&a.model, dtype_flag)?;
    let format = Format::for_output(&a.out).map_err(lib)?;
    if format != Format::NpyDir {
        nninit_io::check_output(&a.out).map_err(lib)?;
    }
    if let Some(mut g) = crate::framework_rng(rng, seed).map_err(lib)? {
        draw_sequential(&mut tensors, &mut g).map_err(lib)?;
        extra.push(("rng", rng.name().to_string()));
    }
    let total = data_bytes(&tensors).map_err(lib)?;
    let meta = provenance(seed, &tensors, &extra);
    let pb = bar(total);
    // a directory of .npy files ends up holding exactly this run's files
    let claim = if format == Format::NpyDir {
        Some(nninit_io::outdir::claim(&a.out, a.force, false, &|_| false).map_err(lib)?)
    } else {
        None
    };
    let target = claim.as_ref().map_or(a.out.as_path(), |c| c.target());
    save_as(target, format, &tensors, seed, &meta, &|b| {
        pb.set_position(b);
        true
    })
    .map_err(lib)?;
    if let Some(c) = claim {
        let files: Vec<String> = tensors.iter().map(|t| format!("{}.npy", t.name)).collect();
        c.finish(&files).map_err(lib)?;
    }
    pb.finish_and_clear();
    if let Some((_, why)) = extra.iter().find(|(k, _)| *k == "init_reason") {
        outln!("init: {why}");
    }
    let params: u64 = tensors.iter().map(|t| t.numel().unwrap_or(0)).sum();
    outln!(
        "wrote {} tensors ({} parameters, {}) to {} in {:.2} s (seed {seed})",
        tensors.len(),
        params,
        human(total),
        a.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_hf(
    a: &InitArgs,
    cfg_path: &Path,
    dtype_flag: Option<DType>,
    started: Instant,
) -> Result<(), Failure> {
    let text = std::fs::read_to_string(cfg_path)
        .map_err(|e| other(anyhow::anyhow!("cannot read `{}`: {e}", cfg_path.display())))?;
    let max = hf::parse_size(a.max_shard_size.as_deref().unwrap_or("5GB")).map_err(lib)?;
    let part = match &a.part {
        Some(p) => Part::parse(p).map_err(lib)?,
        None => Part::whole(),
    };
    let seed = a.model.seed.unwrap_or(0);
    let rules = a
        .model
        .rules
        .as_deref()
        .map(spec::load_rules)
        .transpose()
        .map_err(lib)?;
    if let Some(ext) = a.out.extension().and_then(|e| e.to_str()) {
        if ["safetensors", "npz", "npy"].contains(&ext.to_ascii_lowercase().as_str()) {
            return Err(crate::input(anyhow::anyhow!(
                "--hf-config writes a directory (config.json, the shards and their index), not a .{ext} file: give --out a directory name such as `{}`",
                a.out.with_extension("").display()
            )));
        }
    }
    if a.out.exists() && !a.out.is_dir() {
        return Err(crate::input(anyhow::anyhow!(
            "--out `{}` exists and is not a directory; --hf-config writes a directory",
            a.out.display()
        )));
    }
    let (scheme, roles) = a.model.scheme_flags()?;
    let pb = bar(0);
    let w = write_checkpoint(
        &text,
        &cfg_path.display().to_string(),
        &a.out,
        Options {
            seed,
            dtype: dtype_flag,
            max_shard_bytes: max,
            part,
            force: a.force,
            rules,
            scheme,
            roles,
        },
        &|b| {
            pb.set_position(b);
            true
        },
    )
    .map_err(lib)?;
    pb.finish_and_clear();
    let part_note = if part.count() > 1 {
        format!(
            "; part {}/{}: {} file{}",
            part.index(),
            part.count(),
            w.files.len(),
            if w.files.len() == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    outln!(
        "wrote {} ({} tensors, {} parameters, {} in {} shard{}{part_note}) to {} in {:.2} s (seed {seed})",
        if w.model_type.is_empty() { "model" } else { &w.model_type },
        w.tensors,
        w.parameters,
        human(w.total_bytes),
        w.shards,
        if w.shards == 1 { "" } else { "s" },
        a.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  nninit inspect model.safetensors\n  nninit inspect checkpoint/ --json"
)]
pub struct InspectArgs {
    /// A .safetensors, .npy or .npz file, or a checkpoint directory (HF index with shards, or .safetensors/.npy files).
    pub file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run_inspect(a: InspectArgs) -> Result<(), Failure> {
    let s = inspect(&a.file).map_err(lib)?;
    if a.json {
        outln!(
            "{}",
            serde_json::to_string(&s).map_err(|e| other(e.into()))?
        );
        return Ok(());
    }
    if let Some(v) = s.metadata.get("nninit_version") {
        outln!(
            "{} ({}), written by nninit {v}, seed {}",
            s.path,
            s.format,
            s.metadata.get("seed").map_or("?", |x| x.as_str())
        );
    } else {
        outln!("{} ({})", s.path, s.format);
    }
    outln!(
        "{:<40} {:<6} {:<16} {:>11} {:>11} {:>11} {:>11}  init",
        "name",
        "dtype",
        "shape",
        "mean",
        "std",
        "min",
        "max"
    );
    for t in &s.tensors {
        outln!(
            "{:<40} {:<6} {:<16} {:>11.4e} {:>11.4e} {:>11.4e} {:>11.4e}  {}",
            t.name,
            t.dtype,
            format!("{:?}", t.shape),
            t.mean,
            t.std,
            t.min,
            t.max,
            t.init.as_deref().unwrap_or("-")
        );
    }
    for w in &s.warnings {
        outln!("warning: {w}");
    }
    Ok(())
}
