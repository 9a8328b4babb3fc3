//! `nninit init`: whole parameter sets from layer sizes, a spec file or a
//! Hugging Face config, streamed to disk with provenance; and `nninit inspect`.

use crate::{lib, other, Failure};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use nninit::Activation;
use nninit::{DType, Init};
use nninit_io::model::{hf, init_for_activation, mlp_tensors, spec, Naming};
use nninit_io::{data_bytes, inspect::inspect, save_as, Format, TensorSpec};
use nninit_lab::nn::parse_layers;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct InitArgs {
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
    #[arg(long)]
    pub init: Option<String>,
    /// Bias init expression (with --layers).
    #[arg(long, default_value = "zeros")]
    pub bias: String,
    /// The activation the weights will feed (with --layers, picks the init when --init is absent).
    #[arg(long, default_value = "relu")]
    pub activation: String,
    /// seed (w1, b1 with biases (n, 1), as the seed document) or torch (layers.0.weight, layers.0.bias).
    #[arg(long, default_value = "seed")]
    pub naming: String,
    /// Seed (overrides a spec file's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// f32, f64, bf16 or f16 (default f32; a HF config's torch_dtype if it has one).
    #[arg(long)]
    pub dtype: Option<String>,
    /// Largest shard for --hf-config (as transformers' save_pretrained).
    #[arg(long, default_value = "5GB")]
    pub max_shard_size: String,
    /// .safetensors, .npz, or a directory (one .npy per tensor; the HF layout with --hf-config).
    #[arg(long)]
    pub out: PathBuf,
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

fn metadata(
    seed: u64,
    tensors: &[TensorSpec],
    extra: &[(&str, String)],
) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("format".into(), "pt".into());
    m.insert("nninit_version".into(), env!("CARGO_PKG_VERSION").into());
    m.insert("seed".into(), seed.to_string());
    for t in tensors {
        m.insert(format!("init.{}", t.name), t.init_record());
        m.insert(format!("layout.{}", t.name), t.layout.name().into());
    }
    for (k, v) in extra {
        m.insert((*k).into(), v.clone());
    }
    m
}

pub fn run(a: InitArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let dtype_flag = a
        .dtype
        .as_deref()
        .map(DType::parse)
        .transpose()
        .map_err(lib)?;
    if let Some(cfg_path) = &a.hf_config {
        return run_hf(&a, cfg_path, dtype_flag, started);
    }
    let (tensors, seed, extra): (Vec<TensorSpec>, u64, Vec<(&str, String)>) =
        if let Some(layers) = &a.layers {
            let sizes = parse_layers(layers).map_err(lib)?;
            let act = Activation::parse(&a.activation).map_err(lib)?;
            let (init, why) = match &a.init {
                Some(e) => (Init::parse(e).map_err(lib)?, format!("given: {e}")),
                None => init_for_activation(&act),
            };
            let bias = Init::parse(&a.bias).map_err(lib)?;
            let naming = Naming::parse(&a.naming).map_err(lib)?;
            let t = mlp_tensors(
                &sizes,
                &init,
                &bias,
                naming,
                dtype_flag.unwrap_or(DType::F32),
            )
            .map_err(lib)?;
            (
                t,
                a.seed.unwrap_or(0),
                vec![
                    ("activation", act.name()),
                    ("init_reason", why),
                    ("layers", layers.clone()),
                ],
            )
        } else if let Some(spec_path) = &a.spec {
            let s = spec::load_spec(spec_path).map_err(lib)?;
            let mut t = s.tensors;
            if let Some(d) = dtype_flag {
                t.iter_mut().for_each(|x| x.dtype = d);
            }
            (
                t,
                a.seed.unwrap_or(s.seed),
                vec![("spec", spec_path.display().to_string())],
            )
        } else {
            return Err(crate::input(anyhow::anyhow!(
                "give one of --layers, --spec or --hf-config"
            )));
        };
    let format = Format::for_output(&a.out).map_err(lib)?;
    let total = data_bytes(&tensors).map_err(lib)?;
    let meta = metadata(seed, &tensors, &extra);
    let pb = bar(total);
    save_as(&a.out, format, &tensors, seed, &meta, &|b| {
        pb.set_position(b)
    })
    .map_err(lib)?;
    pb.finish_and_clear();
    if let Some((_, why)) = extra.iter().find(|(k, _)| *k == "init_reason") {
        println!("init: {why}");
    }
    let params: u64 = tensors.iter().map(|t| t.numel().unwrap_or(0)).sum();
    println!(
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
    let cfg: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        lib(nninit::Error::Data {
            origin: cfg_path.display().to_string(),
            line: e.line(),
            reason: format!("invalid JSON: {e}"),
        })
    })?;
    let dtype = dtype_flag
        .or_else(|| hf::config_dtype(&cfg))
        .unwrap_or(DType::F32);
    let tensors = hf::tensors(&cfg, dtype).map_err(lib)?;
    let max = hf::parse_size(&a.max_shard_size).map_err(lib)?;
    let seed = a.seed.unwrap_or(0);
    let shards = hf::shard(&tensors, max).map_err(lib)?;
    if a.out.exists() && !a.out.is_dir() {
        return Err(crate::input(anyhow::anyhow!(
            "--out `{}` exists and is not a directory; --hf-config writes a directory",
            a.out.display()
        )));
    }
    std::fs::create_dir_all(&a.out).map_err(|e| {
        other(anyhow::anyhow!(
            "cannot create directory `{}`: {e}",
            a.out.display()
        ))
    })?;
    let total = data_bytes(&tensors).map_err(lib)?;
    let pb = bar(total);
    let n = shards.len();
    let mut weight_map = serde_json::Map::new();
    let mut done = 0u64;
    for (k, shard) in shards.iter().enumerate() {
        let file = if n == 1 {
            "model.safetensors".to_string()
        } else {
            format!("model-{:05}-of-{:05}.safetensors", k + 1, n)
        };
        let meta = metadata(
            seed,
            shard,
            &[(
                "model_type",
                cfg["model_type"].as_str().unwrap_or("").to_string(),
            )],
        );
        save_as(
            &a.out.join(&file),
            Format::Safetensors,
            shard,
            seed,
            &meta,
            &|b| pb.set_position(done + b),
        )
        .map_err(lib)?;
        done += data_bytes(shard).map_err(lib)?;
        for t in shard {
            weight_map.insert(t.name.clone(), serde_json::Value::String(file.clone()));
        }
    }
    if n > 1 {
        let index =
            serde_json::json!({ "metadata": { "total_size": total }, "weight_map": weight_map });
        crate::write_atomic(
            &a.out.join("model.safetensors.index.json"),
            serde_json::to_string_pretty(&index)
                .expect("json")
                .as_bytes(),
        )?;
    }
    crate::write_atomic(&a.out.join("config.json"), text.as_bytes())?;
    pb.finish_and_clear();
    let params: u64 = tensors.iter().map(|t| t.numel().unwrap_or(0)).sum();
    println!(
        "wrote {} ({} tensors, {} parameters, {} in {} shard{}) to {} in {:.2} s (seed {seed})",
        cfg["model_type"].as_str().unwrap_or("model"),
        tensors.len(),
        params,
        human(total),
        n,
        if n == 1 { "" } else { "s" },
        a.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Args)]
pub struct InspectArgs {
    /// A .safetensors or .npy file.
    pub file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run_inspect(a: InspectArgs) -> Result<(), Failure> {
    let s = inspect(&a.file).map_err(lib)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string(&s).map_err(|e| other(e.into()))?
        );
        return Ok(());
    }
    if let Some(v) = s.metadata.get("nninit_version") {
        println!(
            "{} ({}), written by nninit {v}, seed {}",
            s.path,
            s.format,
            s.metadata.get("seed").map_or("?", |x| x.as_str())
        );
    } else {
        println!("{} ({})", s.path, s.format);
    }
    println!(
        "{:<40} {:<6} {:<16} {:>11} {:>11} {:>11} {:>11}  init",
        "name", "dtype", "shape", "mean", "std", "min", "max"
    );
    for t in &s.tensors {
        println!(
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
        println!("warning: {w}");
    }
    Ok(())
}
