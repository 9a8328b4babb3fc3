//! The role each parameter of a transformer plays (token embedding, query,
//! attention output, MLP down projection, LM head, ...) and the block it
//! sits in, inferred from its qualified name, its module's class and its
//! shape. The LLM stacks' schemes ([`super::stack`]) decide by role.
//!
//! Names understood (the module's own name, the last component before the
//! parameter's local name; a few are read together with their parents):
//!
//! | role | Hugging Face | torchtitan | Megatron | nanoGPT / GPT-2 / NeoX |
//! |---|---|---|---|---|
//! | `embedding` | `embed_tokens`, `word_embeddings`, `embed_in` | `tok_embeddings` | `word_embeddings` | `wte` |
//! | `position_embedding` | `embed_positions`, `position_embeddings` | | `position_embeddings` | `wpe` |
//! | `q`, `k`, `v` | `q_proj`, `k_proj`, `v_proj`, `query`, `key`, `value` | `wq`, `wk`, `wv` | | |
//! | `qkv` (fused) | `qkv_proj`, `Wqkv`, `in_proj` | | `linear_qkv` | `c_attn`, `query_key_value` |
//! | `attn_out` | `o_proj`, `out_proj`, `dense` under attention | `wo` | `linear_proj` | `c_proj` under `attn`, `dense` under `attention` |
//! | `mlp_gate` | `gate_proj` | `w1` | | |
//! | `mlp_up` | `up_proj`, `fc1`, `fc_in` | `w3` | `linear_fc1` (a fused GLU gate too) | `c_fc`, `dense_h_to_4h` |
//! | `mlp_gate_up` (fused) | `gate_up_proj` | | | |
//! | `mlp_down` | `down_proj`, `fc2`, `fc_out` | `w2` | `linear_fc2` | `c_proj` under `mlp`, `dense_4h_to_h` |
//! | `lm_head` | `lm_head`, `embed_out` | `output` | `output_layer` | `final_linear` |
//! | `router` | `gate` under an MoE block, `router` | `router.gate` | `router` | |
//! | `expert_gate`/`_up`/`_down` | `experts.N.gate_proj/up_proj/down_proj`, `experts.N.w1/w3/w2`, fused `experts.down_proj` | `experts.w1/w3/w2` | `experts...linear_fc1/fc2` | |
//! | `expert_gate_up` (fused) | `experts.gate_up_proj` | | | |
//! | `norm` | any module whose class or name says norm (`*Norm`, `ln_*`, `*norm*`) | | | |
//!
//! Every bias is `bias` (the MoE router's is `router_bias`). The layer index
//! is the number following a `layers`, `layer`, `h`, `blocks` or `block`
//! container (`model.layers.3.mlp.up_proj.weight` is in layer 3). A
//! parameter none of this identifies is an error naming it: no guessing;
//! user overrides (glob over names -> role) come first.

use super::plan::{ModuleKind, Param};
use nninit::error::{Error, Result};
use serde::Serialize;
use std::fmt;

/// The role of a parameter in a transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Token embedding table.
    Embedding,
    /// Learned position embedding table.
    PositionEmbedding,
    /// Query projection.
    Q,
    /// Key projection.
    K,
    /// Value projection.
    V,
    /// Fused query/key/value projection.
    Qkv,
    /// Attention output projection.
    AttnOut,
    /// MLP gate projection (SwiGLU's `w1`).
    MlpGate,
    /// MLP up projection (SwiGLU's `w3`; a non-gated MLP's first layer).
    MlpUp,
    /// Fused gate and up projections.
    MlpGateUp,
    /// MLP down projection.
    MlpDown,
    /// The output layer (language-model head).
    LmHead,
    /// A normalization's scale.
    Norm,
    /// Any bias (the router's excepted).
    Bias,
    /// The MoE router's weight.
    Router,
    /// The MoE router's bias.
    RouterBias,
    /// An MoE expert's gate projection.
    ExpertGate,
    /// An MoE expert's up projection.
    ExpertUp,
    /// An MoE expert's down projection.
    ExpertDown,
    /// MoE experts' fused gate and up projections (transformers' fused
    /// `experts.gate_up_proj`, Megatron's GLU expert fc1).
    ExpertGateUp,
}

impl Role {
    /// Every role with its name.
    pub const ALL: [(Role, &'static str); 20] = [
        (Role::Embedding, "embedding"),
        (Role::PositionEmbedding, "position_embedding"),
        (Role::Q, "q"),
        (Role::K, "k"),
        (Role::V, "v"),
        (Role::Qkv, "qkv"),
        (Role::AttnOut, "attn_out"),
        (Role::MlpGate, "mlp_gate"),
        (Role::MlpUp, "mlp_up"),
        (Role::MlpGateUp, "mlp_gate_up"),
        (Role::MlpDown, "mlp_down"),
        (Role::LmHead, "lm_head"),
        (Role::Norm, "norm"),
        (Role::Bias, "bias"),
        (Role::Router, "router"),
        (Role::RouterBias, "router_bias"),
        (Role::ExpertGate, "expert_gate"),
        (Role::ExpertUp, "expert_up"),
        (Role::ExpertDown, "expert_down"),
        (Role::ExpertGateUp, "expert_gate_up"),
    ];

    /// Its name (`attn_out`).
    pub fn name(self) -> &'static str {
        Role::ALL
            .iter()
            .find(|(r, _)| *r == self)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    /// Parse a role name.
    pub fn parse(s: &str) -> Result<Role> {
        let names: Vec<&str> = Role::ALL.iter().map(|(_, n)| *n).collect();
        Role::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(r, _)| *r)
            .ok_or_else(|| Error::unknown_name("role", s, &names))
    }

    /// An embedding table (token or position).
    pub fn is_embedding(self) -> bool {
        matches!(self, Role::Embedding | Role::PositionEmbedding)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// User overrides: globs over parameter names, each naming a role (first
/// match wins), tried before inference.
#[derive(Debug, Clone, Default)]
pub struct RoleRules {
    rules: Vec<(glob::Pattern, String, Role)>,
}

impl RoleRules {
    /// Overrides from `(glob, role name)` pairs; an error names the bad pair.
    pub fn new<S: AsRef<str>>(pairs: &[(S, S)]) -> Result<RoleRules> {
        let mut rules = Vec::with_capacity(pairs.len());
        for (index, (pat, role)) in pairs.iter().enumerate() {
            let (pat, role) = (pat.as_ref(), role.as_ref());
            let p = glob::Pattern::new(pat).map_err(|e| Error::BadRule {
                index,
                glob: pat.to_string(),
                reason: format!("not a glob over parameter names ({e})"),
            })?;
            let r = Role::parse(role).map_err(|e| Error::BadRule {
                index,
                glob: pat.to_string(),
                reason: format!("roles: {e}"),
            })?;
            rules.push((p, pat.to_string(), r));
        }
        Ok(RoleRules { rules })
    }

    /// No overrides.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn first_match(&self, name: &str) -> Option<(usize, Role)> {
        self.rules
            .iter()
            .enumerate()
            .find(|(_, (p, _, _))| p.matches(name))
            .map(|(i, (_, _, r))| (i, *r))
    }

    /// An error naming the first override that matched no parameter.
    pub(crate) fn check_used(&self, used: &[bool]) -> Result<()> {
        match used.iter().position(|u| !u) {
            Some(i) => Err(Error::BadRule {
                index: i,
                glob: self.rules[i].1.clone(),
                reason: "roles: it matches no parameter of the model (a typo in the glob?)".into(),
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rules.len()
    }
}

/// Containers whose numbered children are the transformer's blocks.
const BLOCK_CONTAINERS: [&str; 5] = ["layers", "layer", "h", "blocks", "block"];

/// The block index of a qualified parameter name: the number after its
/// `layers`/`layer`/`h`/`blocks`/`block` container, or None outside blocks.
pub fn layer_of(name: &str) -> Option<usize> {
    let parts: Vec<&str> = name.split('.').collect();
    parts.windows(2).find_map(|w| {
        BLOCK_CONTAINERS
            .contains(&w[0])
            .then(|| w[1].parse::<usize>().ok())
            .flatten()
    })
}

/// Whether the module's class or name says normalization.
fn is_norm(p: &Param, module: &str) -> bool {
    p.module.kind == ModuleKind::Norm
        || p.module.class.to_ascii_lowercase().contains("norm")
        || module.contains("norm")
        || module == "ln"
        || module.starts_with("ln_")
}

fn has(parents: &[String], any: &[&str]) -> bool {
    parents
        .iter()
        .any(|p| any.iter().any(|a| p == a || p.contains(a)))
}

/// The role of `p` (overrides aside), or the reason none can be inferred.
pub fn infer(p: &Param) -> std::result::Result<Role, String> {
    let parts: Vec<String> = p.name.split('.').map(str::to_ascii_lowercase).collect();
    let local = p
        .local
        .rsplit('.')
        .next()
        .unwrap_or(&p.local)
        .to_ascii_lowercase();
    // the module path: everything before the local name
    let n_local = p.local.split('.').count();
    let path = &parts[..parts.len().saturating_sub(n_local)];
    // a local name that is itself a module name (`out_proj.weight` of
    // nn.MultiheadAttention) belongs to the path
    let mut path: Vec<String> = path.to_vec();
    path.extend(
        p.local
            .split('.')
            .take(n_local - 1)
            .map(str::to_ascii_lowercase),
    );
    let module = path.last().cloned().unwrap_or_default();
    let parents = &path[..path.len().saturating_sub(1)];
    let in_experts = has(parents, &["experts"]) || module == "experts";
    let in_router = module == "router" || has(parents, &["router"]);
    let is_bias = local == "bias" || local.ends_with("_bias");

    // torchtitan's GroupedExperts hold w1/w2/w3 as parameters of `experts`
    if module == "experts" {
        match local.as_str() {
            "w1" | "gate_proj" => return Ok(Role::ExpertGate),
            "w3" | "up_proj" => return Ok(Role::ExpertUp),
            "w2" | "down_proj" => return Ok(Role::ExpertDown),
            "gate_up_proj" => return Ok(Role::ExpertGateUp),
            _ => {}
        }
    }
    let moe_gate = module == "gate" && has(parents, &["moe", "mlp", "feed_forward", "router"]);
    if is_bias {
        return Ok(if in_router || moe_gate {
            Role::RouterBias
        } else {
            Role::Bias
        });
    }
    if is_norm(p, &module) {
        return Ok(Role::Norm);
    }
    if in_router || moe_gate {
        return Ok(Role::Router);
    }
    let embedding_kind = matches!(
        p.module.kind,
        ModuleKind::Embedding | ModuleKind::EmbeddingBag
    );
    let position = module == "wpe" || module.contains("position") || module.contains("pos_emb");
    if embedding_kind || module.contains("embed") || module == "wte" || module == "wpe" {
        if module == "embed_out" {
            return Ok(Role::LmHead);
        }
        return Ok(if position {
            Role::PositionEmbedding
        } else {
            Role::Embedding
        });
    }
    if in_experts {
        match module.as_str() {
            "w1" | "gate_proj" => return Ok(Role::ExpertGate),
            "w3" | "up_proj" | "linear_fc1" | "fc1" => return Ok(Role::ExpertUp),
            "w2" | "down_proj" | "linear_fc2" | "fc2" => return Ok(Role::ExpertDown),
            _ => {}
        }
    }
    let in_attn = has(parents, &["attn", "attention"]);
    let in_mlp = has(parents, &["mlp", "ffn", "feed_forward", "feedforward"]);
    let role = match module.as_str() {
        "q_proj" | "wq" | "query" | "q" | "linear_q" => Role::Q,
        "k_proj" | "wk" | "key" | "k" | "linear_k" => Role::K,
        "v_proj" | "wv" | "value" | "v" | "linear_v" => Role::V,
        "qkv_proj" | "qkv" | "wqkv" | "c_attn" | "query_key_value" | "linear_qkv" | "in_proj" => {
            Role::Qkv
        }
        "o_proj" | "wo" | "out_proj" | "linear_proj" => Role::AttnOut,
        "gate_proj" | "w1" => Role::MlpGate,
        "up_proj" | "w3" | "c_fc" | "fc1" | "fc_in" | "linear_fc1" | "dense_h_to_4h" => Role::MlpUp,
        "gate_up_proj" => Role::MlpGateUp,
        "down_proj" | "w2" | "fc2" | "fc_out" | "linear_fc2" | "dense_4h_to_h" => Role::MlpDown,
        "lm_head" | "final_linear" | "output_layer" => Role::LmHead,
        "output" if layer_of(&p.name).is_none() && parents.is_empty() => Role::LmHead,
        "c_proj" | "dense" | "proj" if in_attn && !in_mlp => Role::AttnOut,
        "c_proj" | "proj" if in_mlp && !in_attn => Role::MlpDown,
        "dense" if has(parents, &["intermediate"]) => Role::MlpUp,
        "dense" if parents.last().is_some_and(|l| l == "output") => Role::MlpDown,
        _ => {
            return Err(format!(
                "module `{}` ({}){}",
                module,
                p.module.class,
                if module == "c_proj" || module == "dense" || module == "proj" {
                    " is neither under an attention nor under an MLP block"
                } else {
                    " is not a name nninit knows"
                }
            ))
        }
    };
    Ok(role)
}

/// Roles and layers of `params`: overrides first (`used` marks the
/// overrides that matched), then inference; an un-inferable parameter has
/// None with its reason.
pub(crate) fn assign(
    params: &[Param],
    overrides: &RoleRules,
    used: &mut [bool],
) -> Vec<std::result::Result<Role, String>> {
    params
        .iter()
        .map(|p| match overrides.first_match(&p.name) {
            Some((i, r)) => {
                used[i] = true;
                Ok(r)
            }
            None => infer(p),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::Module;
    use nninit::DType;

    fn param(name: &str, class: &str, shape: &[usize]) -> Param {
        let local = if name.ends_with(".bias") {
            "bias"
        } else {
            name.rsplit('.').next().unwrap()
        };
        Param {
            name: name.into(),
            local: local.into(),
            shape: shape.to_vec(),
            dtype: DType::F32,
            module: Module::torch(class),
            recorded: None,
        }
    }

    #[test]
    fn families() {
        let cases = [
            ("model.embed_tokens.weight", "Embedding", Role::Embedding),
            ("model.layers.0.self_attn.q_proj.weight", "Linear", Role::Q),
            (
                "model.layers.0.self_attn.o_proj.weight",
                "Linear",
                Role::AttnOut,
            ),
            (
                "model.layers.0.mlp.gate_proj.weight",
                "Linear",
                Role::MlpGate,
            ),
            (
                "model.layers.0.mlp.down_proj.weight",
                "Linear",
                Role::MlpDown,
            ),
            (
                "model.layers.0.input_layernorm.weight",
                "LlamaRMSNorm",
                Role::Norm,
            ),
            ("lm_head.weight", "Linear", Role::LmHead),
            (
                "transformer.wpe.weight",
                "Embedding",
                Role::PositionEmbedding,
            ),
            ("transformer.h.1.attn.c_attn.weight", "Conv1D", Role::Qkv),
            (
                "transformer.h.1.attn.c_proj.weight",
                "Conv1D",
                Role::AttnOut,
            ),
            ("transformer.h.1.mlp.c_proj.weight", "Conv1D", Role::MlpDown),
            ("transformer.h.1.mlp.c_fc.bias", "Conv1D", Role::Bias),
            ("transformer.ln_f.weight", "LayerNorm", Role::Norm),
            ("layers.2.attention.wo.weight", "Linear", Role::AttnOut),
            ("layers.2.feed_forward.w3.weight", "Linear", Role::MlpUp),
            ("output.weight", "Linear", Role::LmHead),
            ("layers.0.moe.router.gate.weight", "Linear", Role::Router),
            (
                "layers.0.moe.experts.w2",
                "GroupedExperts",
                Role::ExpertDown,
            ),
            (
                "decoder.layers.0.self_attention.linear_qkv.weight",
                "Linear",
                Role::Qkv,
            ),
            (
                "decoder.layers.0.mlp.linear_fc2.weight",
                "Linear",
                Role::MlpDown,
            ),
            (
                "gpt_neox.layers.0.attention.dense.weight",
                "Linear",
                Role::AttnOut,
            ),
            (
                "model.layers.0.block_sparse_moe.gate.weight",
                "Linear",
                Role::Router,
            ),
            (
                "model.layers.0.block_sparse_moe.experts.3.w1.weight",
                "Linear",
                Role::ExpertGate,
            ),
        ];
        for (name, class, want) in cases {
            assert_eq!(infer(&param(name, class, &[4, 4])), Ok(want), "{name}");
        }
        assert_eq!(layer_of("model.layers.12.mlp.up_proj.weight"), Some(12));
        assert_eq!(layer_of("transformer.h.0.attn.c_attn.weight"), Some(0));
        assert_eq!(
            layer_of("model.layers.0.block_sparse_moe.experts.3.w1.weight"),
            Some(0)
        );
        assert_eq!(layer_of("lm_head.weight"), None);
    }

    #[test]
    fn ambiguous_is_an_error() {
        let e = infer(&param("blocks.0.proj.weight", "Linear", &[4, 4])).unwrap_err();
        assert!(e.contains("`proj`"), "{e}");
        let e = infer(&param("blocks.0.mixer.weight", "Linear", &[4, 4])).unwrap_err();
        assert!(e.contains("not a name nninit knows"), "{e}");
    }
}
