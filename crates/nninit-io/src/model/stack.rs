//! The initialization schemes of the LLM training stacks, by parameter
//! role ([`super::role`]). Notation: sigma the base std (0.02 unless set),
//! L the number of blocks, i a block's 0-based index, d the model width
//! (the token embedding's width), fan_in a weight's input features. Sources,
//! each read for its per-role rule:
//!
//! - **Megatron-LM** (`megatron/core/utils.py` `init_method_normal`,
//!   `scaled_init_method_normal`; `megatron/core/transformer/transformer_config.py`):
//!   plain N(0, sigma) for embeddings, `linear_qkv`, `linear_fc1` (a fused
//!   GLU gate too), expert fc1, the untied output layer and the MoE router;
//!   `linear_proj`, `linear_fc2` and expert fc2 N(0, sigma/sqrt(multiplier L))
//!   with `multiplier` 2 (1 for hybrid models); biases zero, but the router's
//!   bias drawn like its weight.
//! - **torchtitan** (`torchtitan/models/llama3/model/model.py`,
//!   `init_weights`): 0.02 hard-coded; s = 0.02/sqrt(2(i+1)) (`depth_init`,
//!   the default) or 0.02/sqrt(2L); token embeddings N(0, 1); wq, wk, wv, w1
//!   `trunc_normal_(std=0.02)` with torch's absolute bounds +-2; wo, w2, w3
//!   `trunc_normal_(std=s)`, bounds +-2; the output layer std d^-1/2
//!   truncated at +-3 std; norms ones; MoE router s, experts w1 0.02, w2/w3 s.
//! - **OLMo-core** (`src/olmo_core/nn/transformer/init.py`, `InitMethod`):
//!   every linear truncated at +-3 std, biases zero, norms ones; per role
//!   (`normal` / `llama` / `llama_depth` / `fan_in`): embeddings
//!   sigma_emb truncated / N(0, 1) / N(0, 1) / N(0, 1) (plain normals);
//!   q, k, v sigma / sigma / sigma / fan_in^-1/2;
//!   attention out sigma / sigma/sqrt(2L) / sigma/sqrt(2(i+1)) / fan_in^-1/2;
//!   MLP gate sigma / sigma / sigma / d^-1/2; MLP up sigma / sigma/sqrt(2L) /
//!   sigma/sqrt(2(i+1)) / d^-1/2; MLP down the same as up but h^-1/2 for
//!   `fan_in` (its fan_in); LM head sigma / d^-1/2 / d^-1/2 / d^-1/2; MoE
//!   router and experts (`init_feed_forward_moe`) sigma / the scaled std /
//!   the scaled std / fan_in^-1/2. sigma_emb is `embedding_init_std`
//!   (default sigma; `normal` only).
//! - **GPT-NeoX** (`megatron/model/init_functions.py`,
//!   `megatron/neox_arguments/neox_args.py`): `init_method` (default
//!   `normal`: N(0, sigma)) for embeddings, `query_key_value`,
//!   `dense_h_to_4h` and the untied `final_linear`;
//!   `output_layer_init_method` (default `scaled_normal`: sigma/sqrt(2L)) for
//!   the attention `dense` and `dense_4h_to_h`. Its shipped configs use
//!   `small_init` N(0, sqrt(2/(5d))) and `wang_init` N(0, 2/(L sqrt(d))).
//!   All plain normals; norms ones, biases zero.
//! - **nanoGPT** (`model.py`, `_init_weights` and the `c_proj` loop): every
//!   Linear and both embeddings N(0, sigma), every `c_proj.weight` (attention
//!   out and MLP down) N(0, sigma/sqrt(2L)); LayerNorm ones, biases zero.

use super::role::Role;
use nninit::error::{Error, Result};
use nninit::init::expr;
use nninit::Init;
use std::fmt;

/// OLMo-core's `InitMethod`s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OlmoMethod {
    /// Everything sigma.
    Normal,
    /// Llama's: output-side projections sigma/sqrt(2L), embeddings 1, head d^-1/2.
    Llama,
    /// As `Llama` with sigma/sqrt(2(i+1)).
    LlamaDepth,
    /// 1/sqrt(fan_in).
    FanIn,
}

/// GPT-NeoX's init functions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NeoxMethod {
    /// N(0, sigma).
    Normal,
    /// N(0, sigma/sqrt(2L)).
    ScaledNormal,
    /// N(0, sqrt(2/(5d))).
    SmallInit,
    /// N(0, 2/(L sqrt(d))).
    WangInit,
}

impl NeoxMethod {
    const NAMES: [&'static str; 4] = ["normal", "scaled_normal", "small_init", "wang_init"];
    fn parse(s: &str) -> Result<NeoxMethod> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "normal" => NeoxMethod::Normal,
            "scaled_normal" => NeoxMethod::ScaledNormal,
            "small_init" => NeoxMethod::SmallInit,
            "wang_init" => NeoxMethod::WangInit,
            _ => return Err(Error::unknown_name("GPT-NeoX init method", s, &Self::NAMES)),
        })
    }
    fn name(self) -> &'static str {
        match self {
            NeoxMethod::Normal => "normal",
            NeoxMethod::ScaledNormal => "scaled_normal",
            NeoxMethod::SmallInit => "small_init",
            NeoxMethod::WangInit => "wang_init",
        }
    }
}

/// An LLM stack's scheme with its options.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Stack {
    /// `megatron(sigma=0.02, multiplier=2, embedding_init_method_std=sigma)`.
    Megatron {
        /// Base std (`init_method_std`).
        sigma: f64,
        /// The output layers' `multiplier` in sigma/sqrt(multiplier L).
        multiplier: f64,
        /// `embedding_init_method_std` (None: sigma).
        embedding_std: Option<f64>,
    },
    /// `torchtitan(depth_init=true)`.
    Torchtitan {
        /// s = 0.02/sqrt(2(i+1)) when true, 0.02/sqrt(2L) when false.
        depth_init: bool,
    },
    /// `olmo(method=normal, sigma=0.02, embedding_init_std=sigma)`.
    Olmo {
        /// The `InitMethod`.
        method: OlmoMethod,
        /// `init_std`.
        sigma: f64,
        /// `embedding_init_std` (None: sigma for `normal`, 1 otherwise).
        embedding_std: Option<f64>,
    },
    /// `neox(sigma=0.02, init_method=normal, output_layer_init_method=scaled_normal)`.
    Neox {
        /// `init_method_std`.
        sigma: f64,
        /// `init_method`.
        init_method: NeoxMethod,
        /// `output_layer_init_method`.
        output_method: NeoxMethod,
    },
    /// `nanogpt(sigma=0.02)`.
    Nanogpt {
        /// Base std.
        sigma: f64,
    },
}

/// The names of the stack schemes with their options.
pub const STACKS: [(&str, &[&str]); 5] = [
    (
        "megatron",
        &["sigma", "multiplier", "embedding_init_method_std"],
    ),
    ("torchtitan", &["depth_init"]),
    ("olmo", &["method", "sigma", "embedding_init_std"]),
    (
        "neox",
        &["sigma", "init_method", "output_layer_init_method"],
    ),
    ("nanogpt", &["sigma"]),
];

/// What a stack scheme needs to know of the whole model.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Number of blocks (L).
    pub layers: Option<usize>,
    /// Model width d (the token embedding's width, else the first norm's size).
    pub width: Option<usize>,
}

/// The facts of one parameter a stack scheme decides on.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    /// Qualified name (for errors).
    pub name: &'a str,
    /// Its role.
    pub role: Role,
    /// Its block index.
    pub layer: Option<usize>,
    /// Its input features (None for a vector).
    pub fan_in: Option<usize>,
}

fn sigma_of(args: &mut expr::Args, scheme: &str, what: &str) -> Result<f64> {
    let s = args.nonneg(what, 0.02)?;
    if s == 0.0 {
        return Err(Error::BadParam {
            init: scheme.into(),
            param: what.into(),
            value: "0".into(),
            expected: "a std > 0".into(),
        });
    }
    Ok(s)
}

impl Stack {
    /// Parse a stack scheme expression (`torchtitan(depth_init=false)`);
    /// None when `src` names no stack.
    pub fn parse(src: &str) -> Result<Option<Stack>> {
        let head = src
            .trim_start()
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !STACKS.iter().any(|(n, _)| *n == head) {
            return Ok(None);
        }
        let (name, mut a) = expr::call(src, "scheme", &STACKS)?;
        let s = match name {
            "megatron" => Stack::Megatron {
                sigma: sigma_of(&mut a, name, "sigma")?,
                multiplier: {
                    let m = a.nonneg("multiplier", 2.0)?;
                    if m == 0.0 {
                        return Err(Error::BadParam {
                            init: "megatron".into(),
                            param: "multiplier".into(),
                            value: "0".into(),
                            expected: "a number > 0 (2, or 1 for hybrid models)".into(),
                        });
                    }
                    m
                },
                embedding_std: optional_std(&mut a, name, "embedding_init_method_std")?,
            },
            "torchtitan" => Stack::Torchtitan {
                depth_init: a.bool("depth_init", true)?,
            },
            "olmo" => {
                let m = a.word("method", "normal")?;
                let method = match m.to_ascii_lowercase().as_str() {
                    "normal" => OlmoMethod::Normal,
                    "llama" => OlmoMethod::Llama,
                    "llama_depth" => OlmoMethod::LlamaDepth,
                    "fan_in" => OlmoMethod::FanIn,
                    _ => {
                        return Err(Error::BadParam {
                            init: "olmo".into(),
                            param: "method".into(),
                            value: m,
                            expected: "one of normal, llama, llama_depth, fan_in".into(),
                        })
                    }
                };
                let embedding_std = optional_std(&mut a, name, "embedding_init_std")?;
                if embedding_std.is_some() && method != OlmoMethod::Normal {
                    return Err(Error::BadParam {
                        init: "olmo".into(),
                        param: "embedding_init_std".into(),
                        value: format!("{} with method={m}", embedding_std.unwrap_or(0.0)),
                        expected: "method=normal (OLMo-core's llama, llama_depth and fan_in draw embeddings from N(0, 1) and ignore it)".into(),
                    });
                }
                Stack::Olmo {
                    method,
                    sigma: sigma_of(&mut a, name, "sigma")?,
                    embedding_std,
                }
            }
            "neox" => Stack::Neox {
                sigma: sigma_of(&mut a, name, "sigma")?,
                init_method: neox_method(&mut a, "init_method", "normal")?,
                output_method: neox_method(&mut a, "output_layer_init_method", "scaled_normal")?,
            },
            "nanogpt" => Stack::Nanogpt {
                sigma: sigma_of(&mut a, name, "sigma")?,
            },
            _ => unreachable!("every stack name is handled"),
        };
        a.finish()?;
        Ok(Some(s))
    }

    /// The scheme's initializer for one parameter, with the formula in words.
    pub fn decide(&self, site: &Site, model: &Shape) -> Result<(Init, String)> {
        use Role::*;
        let role = site.role;
        let need = |what: &str, v: Option<usize>| -> Result<f64> {
            v.filter(|&x| x > 0).map(|x| x as f64).ok_or_else(|| {
                Error::Unsupported(format!(
                    "scheme `{self}`: `{}` (role {role}) needs {what}, which the model does not show",
                    site.name
                ))
            })
        };
        let layers = || {
            need(
                "the number of blocks L (no parameter is under `layers.N`/`h.N`/`blocks.N`)",
                model.layers,
            )
        };
        let depth = || {
            need(
                "its block index (it is not under `layers.N`/`h.N`/`blocks.N`)",
                site.layer.map(|i| i + 1),
            )
        };
        let width = || {
            need(
                "the model width d (no token embedding or norm)",
                model.width,
            )
        };
        let fan_in = || need("a fan_in (it is not a matrix)", site.fan_in);
        let normal = |std: f64, why: String| Ok((Init::normal(0.0, std)?, why));
        let trunc3 = |std: f64, why: String| {
            Ok((
                Init::trunc_normal(0.0, std, -3.0 * std, 3.0 * std)?,
                format!("{why}, truncated at +-3 std"),
            ))
        };
        let trunc2 = |std: f64, why: String| {
            Ok((
                Init::trunc_normal(0.0, std, -2.0, 2.0)?,
                format!("{why}, torch bounds +-2"),
            ))
        };
        let fused = || {
            Err(Error::Unsupported(format!(
                "scheme `{self}` gives the gate and the up projection different stds, so a fused `{}` ({role}) has no single one; set it with a rule, or name its role with roles=",
                site.name
            )))
        };
        match role {
            Norm => return Ok((Init::ones(), "norm: ones".into())),
            Bias => return Ok((Init::zeros(), "bias: zeros".into())),
            _ => {}
        }
        match *self {
            Stack::Megatron {
                sigma,
                multiplier,
                embedding_std,
            } => match role {
                Embedding | PositionEmbedding => {
                    let s = embedding_std.unwrap_or(sigma);
                    normal(s, format!("embedding: N(0, {s})"))
                }
                AttnOut | MlpDown | ExpertDown => {
                    let l = layers()?;
                    normal(
                        sigma / (multiplier * l).sqrt(),
                        format!("output layer: sigma/sqrt({multiplier} L) = {sigma}/sqrt({multiplier}*{l})"),
                    )
                }
                RouterBias => normal(
                    sigma,
                    format!("router bias drawn like its weight: N(0, {sigma})"),
                ),
                _ => normal(sigma, format!("{role}: N(0, sigma={sigma})")),
            },
            Stack::Torchtitan { depth_init } => {
                let s = || -> Result<(f64, String)> {
                    if depth_init {
                        let i = depth()?;
                        Ok((
                            0.02 / (2.0 * i).sqrt(),
                            format!("0.02/sqrt(2(i+1)), i={}", i - 1.0),
                        ))
                    } else {
                        let l = layers()?;
                        Ok((0.02 / (2.0 * l).sqrt(), format!("0.02/sqrt(2L), L={l}")))
                    }
                };
                match role {
                    Embedding | PositionEmbedding => normal(1.0, "embedding: N(0, 1)".into()),
                    Q | K | V | Qkv | MlpGate | ExpertGate => {
                        trunc2(0.02, format!("{role}: trunc_normal std 0.02"))
                    }
                    AttnOut | MlpDown | MlpUp | ExpertDown | ExpertUp | Router => {
                        let (std, why) = s()?;
                        trunc2(std, format!("{role}: trunc_normal std {why}"))
                    }
                    MlpGateUp | ExpertGateUp => fused(),
                    LmHead => {
                        let d = width_of_head(site, model)?;
                        trunc3(d.powf(-0.5), format!("output: std d^-1/2, d={d}"))
                    }
                    RouterBias => Ok((Init::zeros(), "router bias: zeros".into())),
                    _ => unreachable!("norms and biases are decided above"),
                }
            }
            Stack::Olmo {
                method,
                sigma,
                embedding_std,
            } => {
                let scaled = || -> Result<(f64, String)> {
                    match method {
                        OlmoMethod::LlamaDepth => {
                            let i = depth()?;
                            Ok((
                                sigma / (2.0 * i).sqrt(),
                                format!("sigma/sqrt(2(i+1)), i={}", i - 1.0),
                            ))
                        }
                        _ => {
                            let l = layers()?;
                            Ok((sigma / (2.0 * l).sqrt(), format!("sigma/sqrt(2L), L={l}")))
                        }
                    }
                };
                let fan = || -> Result<(f64, String)> {
                    let f = fan_in()?;
                    Ok((f.powf(-0.5), format!("fan_in^-1/2, fan_in={f}")))
                };
                let (std, why) = match (method, role) {
                    (_, RouterBias) => return Ok((Init::zeros(), "router bias: zeros".into())),
                    (OlmoMethod::Normal, Embedding | PositionEmbedding) => {
                        let s = embedding_std.unwrap_or(sigma);
                        (s, format!("embedding std {s}"))
                    }
                    // llama, llama_depth and fan_in draw embeddings from a
                    // plain (untruncated) N(0, 1)
                    (_, Embedding | PositionEmbedding) => {
                        return normal(1.0, format!("{role}: N(0, 1), not truncated"))
                    }
                    (OlmoMethod::Normal, _) => (sigma, format!("sigma={sigma}")),
                    (OlmoMethod::FanIn, _) => fan()?,
                    (_, LmHead) => {
                        let d = width_of_head(site, model)?;
                        (d.powf(-0.5), format!("d^-1/2, d={d}"))
                    }
                    // the MoE router and every expert weight share the
                    // scaled std in init_feed_forward_moe
                    (
                        _,
                        AttnOut | MlpUp | MlpDown | Router | ExpertGate | ExpertUp | ExpertDown
                        | ExpertGateUp,
                    ) => scaled()?,
                    (_, MlpGateUp) => return fused(),
                    _ => (sigma, format!("sigma={sigma}")),
                };
                trunc3(std, format!("{role}: {why}"))
            }
            Stack::Neox {
                sigma,
                init_method,
                output_method,
            } => {
                let m = match role {
                    AttnOut | MlpDown | ExpertDown => output_method,
                    _ => init_method,
                };
                let (std, why) = match m {
                    NeoxMethod::Normal => (sigma, format!("normal: sigma={sigma}")),
                    NeoxMethod::ScaledNormal => {
                        let l = layers()?;
                        (
                            sigma / (2.0 * l).sqrt(),
                            format!("scaled_normal: sigma/sqrt(2L), L={l}"),
                        )
                    }
                    NeoxMethod::SmallInit => {
                        let d = width()?;
                        (
                            (2.0 / (5.0 * d)).sqrt(),
                            format!("small_init: sqrt(2/(5d)), d={d}"),
                        )
                    }
                    NeoxMethod::WangInit => {
                        let (l, d) = (layers()?, width()?);
                        (
                            2.0 / (l * d.sqrt()),
                            format!("wang_init: 2/(L sqrt(d)), L={l}, d={d}"),
                        )
                    }
                };
                normal(std, format!("{role}: {why}"))
            }
            Stack::Nanogpt { sigma } => match role {
                AttnOut | MlpDown | ExpertDown => {
                    let l = layers()?;
                    normal(
                        sigma / (2.0 * l).sqrt(),
                        format!("c_proj: sigma/sqrt(2L), L={l}"),
                    )
                }
                RouterBias => Ok((Init::zeros(), "bias: zeros".into())),
                _ => normal(sigma, format!("{role}: N(0, {sigma})")),
            },
        }
    }
}

/// d of an LM head: its input features, else the model width.
fn width_of_head(site: &Site, model: &Shape) -> Result<f64> {
    site.fan_in
        .or(model.width)
        .filter(|&d| d > 0)
        .map(|d| d as f64)
        .ok_or_else(|| {
            Error::Unsupported(format!(
                "`{}` (lm_head) needs the model width d, which its shape does not show",
                site.name
            ))
        })
}

fn optional_std(a: &mut expr::Args, scheme: &str, key: &str) -> Result<Option<f64>> {
    if !a.has(key) {
        return Ok(None);
    }
    let v = a.nonneg(key, 0.0)?;
    if v == 0.0 {
        return Err(Error::BadParam {
            init: scheme.into(),
            param: key.into(),
            value: "0".into(),
            expected: "a std > 0".into(),
        });
    }
    Ok(Some(v))
}

fn neox_method(a: &mut expr::Args, key: &str, default: &str) -> Result<NeoxMethod> {
    NeoxMethod::parse(&a.word(key, default)?)
}

impl fmt::Display for Stack {
    /// The expression, options that differ from their defaults spelled out:
    /// parsing it gives back an equal scheme.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut opts: Vec<String> = Vec::new();
        let name = match *self {
            Stack::Megatron {
                sigma,
                multiplier,
                embedding_std,
            } => {
                if sigma != 0.02 {
                    opts.push(format!("sigma={sigma}"));
                }
                if multiplier != 2.0 {
                    opts.push(format!("multiplier={multiplier}"));
                }
                if let Some(e) = embedding_std {
                    opts.push(format!("embedding_init_method_std={e}"));
                }
                "megatron"
            }
            Stack::Torchtitan { depth_init } => {
                if !depth_init {
                    opts.push("depth_init=false".into());
                }
                "torchtitan"
            }
            Stack::Olmo {
                method,
                sigma,
                embedding_std,
            } => {
                opts.push(format!(
                    "method={}",
                    match method {
                        OlmoMethod::Normal => "normal",
                        OlmoMethod::Llama => "llama",
                        OlmoMethod::LlamaDepth => "llama_depth",
                        OlmoMethod::FanIn => "fan_in",
                    }
                ));
                if sigma != 0.02 {
                    opts.push(format!("sigma={sigma}"));
                }
                if let Some(e) = embedding_std {
                    opts.push(format!("embedding_init_std={e}"));
                }
                "olmo"
            }
            Stack::Neox {
                sigma,
                init_method,
                output_method,
            } => {
                if sigma != 0.02 {
                    opts.push(format!("sigma={sigma}"));
                }
                if init_method != NeoxMethod::Normal {
                    opts.push(format!("init_method={}", init_method.name()));
                }
                if output_method != NeoxMethod::ScaledNormal {
                    opts.push(format!("output_layer_init_method={}", output_method.name()));
                }
                "neox"
            }
            Stack::Nanogpt { sigma } => {
                if sigma != 0.02 {
                    opts.push(format!("sigma={sigma}"));
                }
                "nanogpt"
            }
        };
        if opts.is_empty() {
            f.write_str(name)
        } else {
            write!(f, "{name}({})", opts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for src in [
            "megatron",
            "megatron(sigma=0.01)",
            "megatron(multiplier=1)",
            "torchtitan",
            "torchtitan(depth_init=false)",
            "olmo(method=llama_depth)",
            "olmo(method=normal, embedding_init_std=0.5)",
            "neox(init_method=small_init, output_layer_init_method=wang_init)",
            "nanogpt",
        ] {
            let s = Stack::parse(src).unwrap().unwrap();
            let again = Stack::parse(&s.to_string()).unwrap().unwrap();
            assert_eq!(s, again, "{src} -> {s}");
        }
        assert_eq!(Stack::parse("torch").unwrap(), None);
    }

    #[test]
    fn bad_options_are_named() {
        let e = Stack::parse("torchtitan(depth=false)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("depth") && e.contains("depth_init"), "{e}");
        let e = Stack::parse("olmo(method=mitchell)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("mitchell") && e.contains("llama_depth"), "{e}");
        let e = Stack::parse("olmo(method=llama, embedding_init_std=0.5)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("method=normal"), "{e}");
        let e = Stack::parse("neox(init_method=xavier)")
            .unwrap_err()
            .to_string();
        assert!(e.contains("xavier") && e.contains("wang_init"), "{e}");
        let e = Stack::parse("megatron(sigma=-1)").unwrap_err().to_string();
        assert!(e.contains("-1"), "{e}");
    }

    #[test]
    fn formulas() {
        let model = Shape {
            layers: Some(8),
            width: Some(256),
        };
        let site = |role, layer, fan_in| Site {
            name: "x",
            role,
            layer,
            fan_in,
        };
        let std = |s: &str, site: Site| -> f64 {
            let (init, _) = Stack::parse(s)
                .unwrap()
                .unwrap()
                .decide(&site, &model)
                .unwrap();
            init.second_moment(&[1], nninit::Layout::Torch)
                .unwrap()
                .sqrt()
        };
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12 * b.max(1e-300);
        assert!(close(
            std("megatron", site(Role::AttnOut, Some(0), Some(256))),
            0.02 / 4.0
        ));
        assert!(close(
            std(
                "megatron(multiplier=1)",
                site(Role::MlpDown, Some(0), Some(256))
            ),
            0.02 / 8f64.sqrt()
        ));
        assert!(close(
            std("nanogpt", site(Role::AttnOut, Some(3), Some(256))),
            0.02 / 4.0
        ));
        assert!(close(
            std(
                "neox(init_method=small_init)",
                site(Role::Qkv, Some(3), Some(256))
            ),
            (2.0 / 1280.0f64).sqrt()
        ));
        assert!(close(
            std(
                "neox(output_layer_init_method=wang_init)",
                site(Role::MlpDown, Some(3), Some(1024))
            ),
            2.0 / (8.0 * 16.0)
        ));
        assert!(close(
            std("megatron", site(Role::RouterBias, Some(0), None)),
            0.02
        ));
    }
}
