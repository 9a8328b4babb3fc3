//! The registry of initializer families: one line each. The `registry!`
//! macro ([`super::family`]) makes [`Init`] from this list: a variant per
//! line, the parser's table ([`spellings`]) and the dispatch of every method.

use super::family::registry;
use super::{basic, kaiming, orthogonal, sparse, structured, variance_scaling, xavier};

registry! {
    /// U(a, b): [`Init::uniform`].
    Uniform(basic::Uniform),
    /// N(mean, std^2): [`Init::normal`].
    Normal(basic::Normal),
    /// N(mean, std^2) restricted to [a, b]: [`Init::trunc_normal`].
    TruncNormal(basic::TruncNormal),
    /// Every element one value: [`Init::constant`], [`Init::zeros`], [`Init::ones`].
    Constant(basic::Constant),
    /// `gain` times the identity matrix: [`Init::eye`], [`Init::identity`].
    Identity(structured::Identity),
    /// Identity-preserving convolution kernel: [`Init::dirac`].
    Dirac(structured::Dirac),
    /// Glorot: [`Init::xavier_uniform`], [`Init::xavier_normal`].
    Xavier(xavier::Xavier),
    /// He (PyTorch's signature): [`Init::kaiming_uniform`], [`Init::kaiming_normal`].
    Kaiming(kaiming::Kaiming),
    /// A (semi-)orthogonal matrix: [`Init::orthogonal`].
    Orthogonal(orthogonal::Orthogonal),
    /// JAX's delta-orthogonal convolution kernel: [`Init::delta_orthogonal`].
    DeltaOrthogonal(orthogonal::DeltaOrthogonal),
    /// PyTorch's column-sparse normal: [`Init::sparse`].
    Sparse(sparse::Sparse),
    /// `nn.Linear`/`nn.Conv*d`'s weight default: [`Init::torch_default`].
    TorchDefault(kaiming::TorchDefault),
    /// `nn.Linear`/`nn.Conv*d`'s bias default: [`Init::torch_default_bias`].
    TorchDefaultBias(kaiming::TorchDefaultBias),
    /// Keras/JAX variance scaling and its presets: [`Init::variance_scaling`], [`Init::preset`].
    VarianceScaling(variance_scaling::VarianceScaling),
}
