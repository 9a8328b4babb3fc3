//! A Hugging Face checkpoint directory from a `config.json`: the shard files
//! (`model.safetensors`, or `model-0000K-of-0000N.safetensors` with
//! `model.safetensors.index.json` when the tensors exceed the shard size) and
//! a copy of the config. One part of N writes only its shards, so N
//! processes (torchrun, a SLURM array, `xargs -P`) together write exactly the
//! bytes one process would.

use super::hf;
use crate::{data_bytes, save_as, write_atomic, Format, TensorSpec};
use nninit::error::{Error, Result};
use nninit::DType;
use std::collections::BTreeMap;
use std::path::Path;

/// Provenance recorded in every file's metadata: format, nninit version,
/// seed, and each tensor's init expression and layout.
pub fn provenance(
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

/// Part `index` (1-based) of `count`: shard files `k` (0-based) with
/// `k % count == index - 1` are this part's; part 1 also writes the index and
/// the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    index: usize,
    count: usize,
}

impl Part {
    /// Part `index` of `count`, `1 <= index <= count`.
    pub fn new(index: usize, count: usize) -> Result<Part> {
        if count == 0 || index == 0 || index > count {
            return Err(Error::BadOption {
                option: "part",
                value: format!("{index}/{count}"),
                expected: "I/N with 1 <= I <= N (part I of N), e.g. 1/4".into(),
            });
        }
        Ok(Part { index, count })
    }

    /// Parse `I/N`.
    pub fn parse(s: &str) -> Result<Part> {
        let bad = || Error::BadOption {
            option: "part",
            value: s.to_string(),
            expected: "I/N with 1 <= I <= N (part I of N), e.g. 1/4".into(),
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse::<usize>().map_err(|_| bad())?;
        let n = n.trim().parse::<usize>().map_err(|_| bad())?;
        Part::new(i, n)
    }

    /// The whole job (part 1 of 1).
    pub fn whole() -> Part {
        Part { index: 1, count: 1 }
    }

    fn owns(&self, shard: usize) -> bool {
        shard % self.count == self.index - 1
    }

    /// 1-based index.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Number of parts.
    pub fn count(&self) -> usize {
        self.count
    }
}

/// What [`write_checkpoint`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The config's `model_type`.
    pub model_type: String,
    /// Tensors and parameters of the whole model.
    pub tensors: usize,
    pub parameters: u64,
    /// Bytes of tensor data of the whole model.
    pub total_bytes: u64,
    /// Shard files of the whole model, and the names of those this part wrote.
    pub shards: usize,
    pub files: Vec<String>,
}

/// Whether `name` is a file of model weights (or their index), which a
/// checkpoint directory must not hold unless nninit wrote it:
/// `*.safetensors`, `*.bin`, `*.pt`, `*.pth`, `*.ckpt`, `*.h5`, `*.msgpack`,
/// `*.gguf`, `*.onnx` and `*.index.json`. Everything else of a model
/// directory (tokenizer files, `generation_config.json`, README, licence)
/// may stay beside a run's files.
pub fn is_weight_file(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        ".safetensors",
        ".bin",
        ".pt",
        ".pth",
        ".ckpt",
        ".h5",
        ".msgpack",
        ".gguf",
        ".onnx",
        ".index.json",
    ]
    .iter()
    .any(|ext| n.ends_with(ext))
}

/// How to write a checkpoint.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seed of every tensor's stream.
    pub seed: u64,
    /// Overrides the config's `torch_dtype` (default f32).
    pub dtype: Option<DType>,
    /// Largest shard file (as transformers' `max_shard_size`).
    pub max_shard_bytes: u64,
    /// Which part of the shard files to write.
    pub part: Part,
    /// Write into a non-empty directory nninit did not write (its files stay).
    pub force: bool,
    /// User rules over the config's initializers (first match wins; a rule
    /// that matches no tensor is an error).
    pub rules: Option<super::spec::Rules>,
    /// A stack's scheme deciding every tensor by role instead of the
    /// config's family rules (`rules` over it).
    pub scheme: Option<super::plan::Scheme>,
    /// Role overrides for `scheme`.
    pub roles: super::role::RoleRules,
}

/// Write the checkpoint of the config `text` (read from `origin`) into the
/// directory `out`: the whole model, or with `opts.part` only that part's
/// shard files. `progress` is called with the bytes written so far (of this
/// part) and returns whether to go on ([`crate::save::Progress`]).
///
/// `out` may be a model directory as `huggingface-cli download` leaves it:
/// its non-weight files (tokenizer files, `generation_config.json`, a README,
/// a licence; see [`is_weight_file`]) stay as they are, and a `config.json`
/// there holding exactly `text` (the run's own input config) is left alone
/// and not claimed by the manifest. Weight files nninit did not write are
/// refused, named, unless `opts.force`.
pub fn write_checkpoint(
    text: &str,
    origin: &str,
    out: &Path,
    opts: Options,
    progress: crate::save::Progress<'_>,
) -> Result<Written> {
    let Options {
        seed,
        dtype,
        max_shard_bytes,
        part,
        force,
        rules,
        scheme,
        roles,
    } = opts;
    let cfg: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Data {
        origin: origin.to_string(),
        line: e.line(),
        reason: format!("invalid JSON: {e}"),
    })?;
    let dtype = match dtype {
        Some(d) => d,
        None => hf::config_dtype(&cfg)?.unwrap_or(DType::F32),
    };
    let mut tensors = hf::tensors(&cfg, dtype)?;
    if let Some(scheme) = scheme {
        let mt = cfg["model_type"].as_str().unwrap_or("").to_string();
        let plan = super::plan::Plan::for_tensors_by_scheme(
            &tensors,
            &|t| hf::module_class(&mt, t).to_string(),
            scheme,
            rules.as_ref(),
            &roles,
        )?;
        plan.apply(&mut tensors);
    } else if let Some(r) = &rules {
        let family = cfg["model_type"].as_str().unwrap_or("?").to_string();
        let plan = super::plan::Plan::for_tensors(
            &tensors,
            &|_| format!("the {family} config's rule"),
            origin,
            Some(r),
        )?;
        plan.apply(&mut tensors);
    }
    let model_type = cfg["model_type"].as_str().unwrap_or("").to_string();
    write_tensors(
        tensors,
        text,
        &model_type,
        origin,
        out,
        seed,
        max_shard_bytes,
        part,
        force,
        progress,
    )
}

/// Write `tensors` (generated from their streams, or given as data) as the
/// Hugging Face checkpoint of the config `text` into `out`: the shards,
/// their index and `config.json`, exactly as [`write_checkpoint`] does (it
/// calls this). The Python package uses it for a model transformers built
/// and nninit initialized (any `model_type`), its tensors given as data.
#[allow(clippy::too_many_arguments)]
pub fn write_tensors(
    tensors: Vec<TensorSpec>,
    text: &str,
    model_type: &str,
    origin: &str,
    out: &Path,
    seed: u64,
    max_shard_bytes: u64,
    part: Part,
    force: bool,
    progress: crate::save::Progress<'_>,
) -> Result<Written> {
    // every tensor's initializer suits its shape and dtype (finite values
    // included) before the directory or any file is made
    for t in &tensors {
        t.init
            .check_shape(&t.shape, t.layout, t.dtype)
            .map_err(|e| Error::Data {
                origin: origin.to_string(),
                line: 0,
                reason: format!("tensor `{}`: {e}", t.name),
            })?;
    }
    let shards = hf::shard(&tensors, max_shard_bytes)?;
    if out.exists() && !out.is_dir() {
        return Err(Error::Io {
            action: "cannot write the checkpoint directory",
            path: out.display().to_string(),
            reason: std::io::Error::other(
                "it exists and is not a directory; --hf-config writes a directory",
            ),
        });
    }
    // the disk space for everything this part writes, before the first byte
    let mine: u64 = shards
        .iter()
        .enumerate()
        .filter(|(k, _)| part.owns(*k))
        .map(|(_, s)| data_bytes(s))
        .sum::<Result<u64>>()?;
    crate::check_space(out, mine.saturating_add(1 << 20))?;
    // one run's files at the end: a lock (unless parts write concurrently),
    // and the previous run's stale files removed by part 1 when it is done
    let claim = crate::outdir::claim(out, force, part.count > 1, &|name| !is_weight_file(name))?;
    // config.json: the run's own input config in a model directory stays
    // (untouched, not in the manifest); any other config.json nninit did not
    // write is only replaced with force
    let keep_config = if claim.previous().iter().any(|f| f == "config.json") {
        false
    } else {
        let existing = out.join("config.json");
        match std::fs::read(&existing) {
            Ok(bytes) if bytes == text.as_bytes() => true,
            Ok(_) if !force => {
                return Err(Error::Io {
                    action: "will not replace",
                    path: existing.display().to_string(),
                    reason: std::io::Error::other(
                        "nninit did not write it and it differs from the config being written; remove it, use another directory, or force",
                    ),
                })
            }
            _ => false,
        }
    };
    let model_type = model_type.to_string();
    let total = data_bytes(&tensors)?;
    let n = shards.len();
    let file_of = |k: usize| {
        if n == 1 {
            "model.safetensors".to_string()
        } else {
            format!("model-{:05}-of-{:05}.safetensors", k + 1, n)
        }
    };
    // this part's shards, written by up to one writer per core at once: a
    // write() into one file is one thread's copy into the page cache (the
    // file's lock serializes writers), so several files go faster side by
    // side; each file's bytes do not depend on which writer made it
    let mine: Vec<usize> = (0..n).filter(|&k| part.owns(k)).collect();
    let done: Vec<std::sync::atomic::AtomicU64> = mine
        .iter()
        .map(|_| std::sync::atomic::AtomicU64::new(0))
        .collect();
    let report = || -> bool {
        progress(
            done.iter()
                .map(|d| d.load(std::sync::atomic::Ordering::Relaxed))
                .sum(),
        )
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(None::<Error>);
    let writers = rayon::current_num_threads().clamp(1, mine.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..writers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&k) = mine.get(i) else { return };
                if failed.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
                    return;
                }
                let meta = provenance(seed, &shards[k], &[("model_type", model_type.clone())]);
                let r = save_as(
                    &claim.target().join(file_of(k)),
                    Format::Safetensors,
                    &shards[k],
                    seed,
                    &meta,
                    &|b| {
                        done[i].store(b, std::sync::atomic::Ordering::Relaxed);
                        report()
                    },
                );
                if let Err(e) = r {
                    failed
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                    return;
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut files: Vec<String> = mine.iter().map(|&k| file_of(k)).collect();
    if part.index == 1 {
        if n > 1 {
            let mut weight_map = serde_json::Map::new();
            for (k, shard) in shards.iter().enumerate() {
                for t in shard {
                    weight_map.insert(t.name.clone(), serde_json::Value::String(file_of(k)));
                }
            }
            let index = serde_json::json!({ "metadata": { "total_size": total }, "weight_map": weight_map });
            let text = serde_json::to_string_pretty(&index).map_err(|e| Error::Data {
                origin: "model.safetensors.index.json".into(),
                line: 0,
                reason: e.to_string(),
            })?;
            write_atomic(
                &claim.target().join("model.safetensors.index.json"),
                text.as_bytes(),
            )?;
            files.push("model.safetensors.index.json".into());
        }
        if !keep_config {
            write_atomic(&claim.target().join("config.json"), text.as_bytes())?;
            files.push("config.json".into());
        }
        // every file of the whole run (all parts), for the manifest
        let mut all: Vec<String> = (0..n).map(file_of).collect();
        if n > 1 {
            all.push("model.safetensors.index.json".into());
        }
        if !keep_config {
            all.push("config.json".into());
        }
        claim.finish(&all)?;
    }
    Ok(Written {
        model_type,
        tensors: tensors.len(),
        parameters: tensors.iter().map(|t| t.numel().unwrap_or(0)).sum(),
        total_bytes: total,
        shards: n,
        files,
    })
}
