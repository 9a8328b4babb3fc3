//! Whole MLPs from layer sizes: the seed document's
//! `initialize_parameters(layers_dims)`, grown up.
//!
//! Naming `seed` (the default, as the seed document): `w1, b1, ..., wL, bL`,
//! `w_l` of shape `(n_l, n_{l-1})` and `b_l` of shape `(n_l, 1)`.
//! Naming `torch`: `layers.{i}.weight` `(n_l, n_{l-1})` and `layers.{i}.bias`
//! `(n_l,)`, i from 0, as an `nn.Sequential` of `nn.Linear` would store them.
//! Naming `sequential`: `{2i}.weight`, `{2i}.bias`: the keys of the usual
//! `nn.Sequential(nn.Linear, activation, nn.Linear, activation, ..., nn.Linear)`,
//! which loads them with `load_state_dict(strict=True)`.
//! Each tensor's values depend only on (seed, its name), so adding a layer at
//! the end leaves the earlier ones unchanged.

use crate::TensorSpec;
use nninit::dtype::DType;
use nninit::error::Result;
use nninit::Activation;
use nninit::Error;
use nninit::Init;
use nninit::Layout;

/// How tensors are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `w1`, `b1`, ... (biases `(n, 1)`)
    Seed,
    /// `layers.0.weight`, `layers.0.bias`, ... (biases `(n,)`)
    Torch,
    /// `0.weight`, `0.bias`, `2.weight`, ...: an `nn.Sequential` with one
    /// activation module between the Linear layers (biases `(n,)`).
    Sequential,
}

impl Naming {
    /// `seed`, `torch` or `sequential`.
    pub fn parse(s: &str) -> Result<Naming> {
        match s.to_ascii_lowercase().as_str() {
            "seed" => Ok(Naming::Seed),
            "torch" | "pytorch" => Ok(Naming::Torch),
            "sequential" => Ok(Naming::Sequential),
            _ => Err(Error::unknown_name(
                "naming",
                s,
                &["seed", "torch", "sequential"],
            )),
        }
    }
}

/// The weight initializer for an activation when none is given, and why
/// (see [`Activation::recommended_init`]).
pub fn init_for_activation(act: &Activation) -> (Init, String) {
    let init = act.recommended_init();
    (
        init.clone(),
        format!(
            "{} for {}: {}",
            init.short(),
            act.name(),
            act.recommendation_reason()
        ),
    )
}

/// The tensors of an MLP with layer sizes `sizes`.
pub fn mlp_tensors(
    sizes: &[usize],
    init: &Init,
    bias: &Init,
    naming: Naming,
    dtype: DType,
) -> Result<Vec<TensorSpec>> {
    let mut out = Vec::with_capacity(2 * sizes.len());
    for l in 1..sizes.len() {
        let (o, i) = (sizes[l], sizes[l - 1]);
        let (wn, bn, bshape) = match naming {
            Naming::Seed => (format!("w{l}"), format!("b{l}"), vec![o, 1]),
            Naming::Torch => (
                format!("layers.{}.weight", l - 1),
                format!("layers.{}.bias", l - 1),
                vec![o],
            ),
            Naming::Sequential => (
                format!("{}.weight", 2 * (l - 1)),
                format!("{}.bias", 2 * (l - 1)),
                vec![o],
            ),
        };
        // a bias rule that needs the weight's fan_in gets it
        let bias = match bias {
            Init::TorchDefault(_) => Init::torch_default_bias(i as u64)?,
            b => b.clone(),
        };
        out.push(TensorSpec::new(
            wn,
            vec![o, i],
            dtype,
            Layout::Torch,
            init.clone(),
        ));
        out.push(TensorSpec::new(bn, bshape, dtype, Layout::Torch, bias));
    }
    Ok(out)
}
