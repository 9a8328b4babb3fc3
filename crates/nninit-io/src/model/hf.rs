//! Hugging Face `transformers` checkpoints from a `config.json`: the exact
//! tensor names and shapes `AutoModelForCausalLM.from_pretrained` expects,
//! with each architecture's own `_init_weights`:
//!
//! - **Llama** (`llama`, and `mistral`, which stores the same tensors):
//!   linear and embedding weights N(0, initializer_range^2), biases 0 (only
//!   with `attention_bias` / `mlp_bias`), RMSNorm weights 1, the embedding's
//!   `pad_token_id` row 0 (PyTorch's `padding_idx`); `lm_head.weight` is
//!   omitted when `tie_word_embeddings` (default false) ties it to the embedding.
//! - **GPT-2** (`gpt2`): Conv1D weights (stored `[in, out]`) and embeddings
//!   N(0, initializer_range^2), biases 0, LayerNorm 1 and 0, and the residual
//!   projections `attn.c_proj.weight` and `mlp.c_proj.weight` scaled to
//!   N(0, (initializer_range / sqrt(2 n_layer))^2) (GPT-2 paper, section 2.3);
//!   `lm_head.weight` is tied to `wte` (default) and not stored.

use crate::TensorSpec;
use nninit::dtype::DType;
use nninit::error::{Error, Result};
use nninit::Init;
use nninit::Layout;
use serde_json::Value;

/// Supported `model_type`s.
pub const MODEL_TYPES: [&str; 3] = ["llama", "mistral", "gpt2"];

fn get_u(cfg: &Value, key: &str, default: Option<u64>) -> Result<usize> {
    match cfg.get(key) {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|&v| v > 0 && v < 1 << 32)
            .map(|v| v as usize)
            .ok_or_else(|| bad(key, &n.to_string(), "a positive whole number")),
        Some(Value::Null) | None => default
            .map(|v| v as usize)
            .ok_or_else(|| bad(key, "(missing)", "a positive whole number")),
        Some(v) => Err(bad(key, &v.to_string(), "a positive whole number")),
    }
}

/// Most layers a config may ask for: far above any real model (Llama 3.1
/// 405B has 126), and small enough that listing the tensors costs nothing.
pub const MAX_LAYERS: usize = 10_000;

fn get_layers(cfg: &Value, key: &str, default: u64) -> Result<usize> {
    let n = get_u(cfg, key, Some(default))?;
    if n > MAX_LAYERS {
        return Err(bad(
            key,
            &n.to_string(),
            &format!("at most {MAX_LAYERS} layers"),
        ));
    }
    Ok(n)
}

fn get_f(cfg: &Value, key: &str, default: f64) -> Result<f64> {
    match cfg.get(key) {
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad(key, &n.to_string(), "a number >= 0")),
        Some(Value::Null) | None => Ok(default),
        Some(v) => Err(bad(key, &v.to_string(), "a number >= 0")),
    }
}

fn get_b(cfg: &Value, key: &str, default: bool) -> bool {
    cfg.get(key).and_then(Value::as_bool).unwrap_or(default)
}

fn bad(key: &str, value: &str, expected: &str) -> Error {
    Error::BadConfig {
        origin: "config.json".into(),
        key: key.into(),
        value: value.into(),
        expected: expected.into(),
    }
}

/// The dtype named by `torch_dtype` / `dtype` in the config, if any.
pub fn config_dtype(cfg: &Value) -> Result<Option<DType>> {
    let Some((key, v)) = [
        ("torch_dtype", cfg.get("torch_dtype")),
        ("dtype", cfg.get("dtype")),
    ]
    .into_iter()
    .find_map(|(k, v)| v.filter(|v| !v.is_null()).map(|v| (k, v))) else {
        return Ok(None);
    };
    let s = v.as_str().unwrap_or_default();
    DType::parse(s.trim_start_matches("torch.")).map(Some).map_err(|_| {
        bad(
            key,
            &v.to_string(),
            "a floating-point dtype nninit writes (float32, float64, float16, bfloat16); pass --dtype to choose one",
        )
    })
}

struct Builder {
    dtype: DType,
    out: Vec<TensorSpec>,
}

impl Builder {
    fn push(&mut self, name: String, shape: Vec<usize>, init: Init, zero_row: Option<usize>) {
        self.out.push(TensorSpec {
            name,
            shape,
            dtype: self.dtype,
            layout: Layout::Torch,
            init,
            zero_row,
            data: None,
        });
    }
}

/// The module class of a tensor of a `model_type` model, as far as a
/// scheme needs it: `Conv1D` for GPT-2's 2-d attention and MLP weights
/// (stored `[in, out]`), `Embedding` for embeddings, else empty.
pub fn module_class(model_type: &str, t: &TensorSpec) -> &'static str {
    let module = t.name.rsplit('.').nth(1).unwrap_or("");
    if model_type == "gpt2" && t.shape.len() == 2 && ["c_attn", "c_fc", "c_proj"].contains(&module)
    {
        "Conv1D"
    } else if ["wte", "wpe", "embed_tokens"].contains(&module) {
        "Embedding"
    } else {
        ""
    }
}

/// The tensors of the model described by `cfg` (a parsed `config.json`).
pub fn tensors(cfg: &Value, dtype: DType) -> Result<Vec<TensorSpec>> {
    let model_type = cfg
        .get("model_type")
        .and_then(Value::as_str)
        .unwrap_or("(missing)");
    let mut b = Builder {
        dtype,
        out: Vec::new(),
    };
    match model_type {
        "llama" | "mistral" => llama(cfg, &mut b)?,
        "gpt2" => gpt2(cfg, &mut b)?,
        other => {
            return Err(Error::BadConfig {
                origin: "config.json".into(),
                key: "model_type".into(),
                value: other.to_string(),
                expected: format!(
                    "one of {} for the native writer; any other family transformers knows goes through the Python package (pip install ./crates/nninit-py transformers; nninit.init_checkpoint(config, out_dir)), which builds the model with transformers",
                    MODEL_TYPES.join(", ")
                ),
            })
        }
    }
    Ok(b.out)
}

fn llama(cfg: &Value, b: &mut Builder) -> Result<()> {
    let vocab = get_u(cfg, "vocab_size", Some(32000))?;
    let hidden = get_u(cfg, "hidden_size", Some(4096))?;
    let inter = get_u(cfg, "intermediate_size", Some(11008))?;
    let layers = get_layers(cfg, "num_hidden_layers", 32)?;
    let heads = get_u(cfg, "num_attention_heads", Some(32))?;
    let kv = get_u(cfg, "num_key_value_heads", Some(heads as u64))?;
    if hidden % heads != 0 && cfg.get("head_dim").is_none_or(Value::is_null) {
        return Err(bad(
            "hidden_size",
            &hidden.to_string(),
            &format!("divisible by num_attention_heads ({heads}), or an explicit head_dim"),
        ));
    }
    let head_dim = get_u(cfg, "head_dim", Some((hidden / heads) as u64))?;
    let std = get_f(cfg, "initializer_range", 0.02)?;
    let attn_bias = get_b(cfg, "attention_bias", false);
    let mlp_bias = get_b(cfg, "mlp_bias", false);
    let tie = get_b(cfg, "tie_word_embeddings", false);
    let pad = cfg
        .get("pad_token_id")
        .and_then(Value::as_u64)
        .map(|p| p as usize)
        .filter(|&p| p < vocab);
    let normal = Init::normal(0.0, std)?;
    b.push(
        "model.embed_tokens.weight".into(),
        vec![vocab, hidden],
        normal.clone(),
        pad,
    );
    for i in 0..layers {
        let p = format!("model.layers.{i}");
        for (name, o, inp, bias) in [
            ("self_attn.q_proj", heads * head_dim, hidden, attn_bias),
            ("self_attn.k_proj", kv * head_dim, hidden, attn_bias),
            ("self_attn.v_proj", kv * head_dim, hidden, attn_bias),
            ("self_attn.o_proj", hidden, heads * head_dim, attn_bias),
            ("mlp.gate_proj", inter, hidden, mlp_bias),
            ("mlp.up_proj", inter, hidden, mlp_bias),
            ("mlp.down_proj", hidden, inter, mlp_bias),
        ] {
            b.push(
                format!("{p}.{name}.weight"),
                vec![o, inp],
                normal.clone(),
                None,
            );
            if bias {
                b.push(format!("{p}.{name}.bias"), vec![o], Init::zeros(), None);
            }
        }
        b.push(
            format!("{p}.input_layernorm.weight"),
            vec![hidden],
            Init::ones(),
            None,
        );
        b.push(
            format!("{p}.post_attention_layernorm.weight"),
            vec![hidden],
            Init::ones(),
            None,
        );
    }
    b.push("model.norm.weight".into(), vec![hidden], Init::ones(), None);
    if !tie {
        b.push("lm_head.weight".into(), vec![vocab, hidden], normal, None);
    }
    Ok(())
}

fn gpt2(cfg: &Value, b: &mut Builder) -> Result<()> {
    let vocab = get_u(cfg, "vocab_size", Some(50257))?;
    let pos = get_u(cfg, "n_positions", Some(1024))?;
    let d = get_u(cfg, "n_embd", Some(768))?;
    let layers = get_layers(cfg, "n_layer", 12)?;
    let heads = get_u(cfg, "n_head", Some(12))?;
    if d % heads != 0 {
        return Err(bad(
            "n_embd",
            &d.to_string(),
            &format!("divisible by n_head ({heads})"),
        ));
    }
    let inner = get_u(cfg, "n_inner", Some(4 * d as u64))?;
    let std = get_f(cfg, "initializer_range", 0.02)?;
    let tie = get_b(cfg, "tie_word_embeddings", true);
    let normal = Init::normal(0.0, std)?;
    let resid = Init::normal(0.0, std / (2.0 * layers as f64).sqrt())?;
    b.push(
        "transformer.wte.weight".into(),
        vec![vocab, d],
        normal.clone(),
        None,
    );
    b.push(
        "transformer.wpe.weight".into(),
        vec![pos, d],
        normal.clone(),
        None,
    );
    for i in 0..layers {
        let p = format!("transformer.h.{i}");
        b.push(format!("{p}.ln_1.weight"), vec![d], Init::ones(), None);
        b.push(format!("{p}.ln_1.bias"), vec![d], Init::zeros(), None);
        b.push(
            format!("{p}.attn.c_attn.weight"),
            vec![d, 3 * d],
            normal.clone(),
            None,
        );
        b.push(
            format!("{p}.attn.c_attn.bias"),
            vec![3 * d],
            Init::zeros(),
            None,
        );
        b.push(
            format!("{p}.attn.c_proj.weight"),
            vec![d, d],
            resid.clone(),
            None,
        );
        b.push(
            format!("{p}.attn.c_proj.bias"),
            vec![d],
            Init::zeros(),
            None,
        );
        b.push(format!("{p}.ln_2.weight"), vec![d], Init::ones(), None);
        b.push(format!("{p}.ln_2.bias"), vec![d], Init::zeros(), None);
        b.push(
            format!("{p}.mlp.c_fc.weight"),
            vec![d, inner],
            normal.clone(),
            None,
        );
        b.push(
            format!("{p}.mlp.c_fc.bias"),
            vec![inner],
            Init::zeros(),
            None,
        );
        b.push(
            format!("{p}.mlp.c_proj.weight"),
            vec![inner, d],
            resid.clone(),
            None,
        );
        b.push(format!("{p}.mlp.c_proj.bias"), vec![d], Init::zeros(), None);
    }
    b.push(
        "transformer.ln_f.weight".into(),
        vec![d],
        Init::ones(),
        None,
    );
    b.push("transformer.ln_f.bias".into(), vec![d], Init::zeros(), None);
    if !tie {
        b.push("lm_head.weight".into(), vec![vocab, d], normal, None);
    }
    Ok(())
}

/// `5GB`, `500MB`, `10GiB`, `1000000` (bytes) -> bytes.
pub fn parse_size(s: &str) -> Result<u64> {
    let size_err = |expected: &str| Error::BadOption {
        option: "max shard size",
        value: s.to_string(),
        expected: expected.into(),
    };
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KIB" => 1 << 10,
        "MIB" => 1 << 20,
        "GIB" => 1 << 30,
        _ => {
            return Err(size_err(
                "a size like 5GB, 500MB or 2GiB (units B, KB, MB, GB, KiB, MiB, GiB)",
            ))
        }
    };
    let v: f64 = num
        .parse()
        .map_err(|_| size_err("a size like 5GB, 500MB or 2GiB"))?;
    let bytes = v * mult as f64;
    if !(1.0..1e16).contains(&bytes) {
        return Err(size_err("a size between 1 byte and 10 PB"));
    }
    Ok(bytes as u64)
}

/// Split `tensors` (in order) into shards of at most `max` bytes (a tensor
/// larger than `max` gets a shard of its own), as transformers does.
pub fn shard(tensors: &[TensorSpec], max: u64) -> Result<Vec<Vec<TensorSpec>>> {
    let mut shards: Vec<Vec<TensorSpec>> = Vec::new();
    let mut size = 0u64;
    for t in tensors {
        let bytes = t.numel()? * t.dtype.size() as u64;
        if shards.is_empty() || (size + bytes > max && size > 0) {
            shards.push(Vec::new());
            size = 0;
        }
        shards.last_mut().expect("pushed").push(t.clone());
        size += bytes;
    }
    Ok(shards)
}
