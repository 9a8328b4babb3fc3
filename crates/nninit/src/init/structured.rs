//! Deterministic structured initializers: `eye`, `identity`, `dirac`.
//! Each element is a function of its index alone, so all three shard.

/// `eye`: the identity, rectangular allowed; 2-D only. Matches
/// `torch.nn.init.eye_`. `identity(gain=1)` is Keras' `Identity(gain)`: the
/// same matrix times gain.
pub(crate) fn eye_value(index: u64, cols: u64, gain: f64) -> f64 {
    if index / cols == index % cols {
        gain
    } else {
        0.0
    }
}

/// `dirac(groups=1)`: matches `torch.nn.init.dirac_` on a `[out, in, *k]`
/// weight (3-, 4- or 5-D; out divisible by groups). Zeros, then for each group
/// g and d < min(out/groups, in): `w[g*(out/groups) + d, d, k0//2, k1//2, ...] = 1`,
/// so a convolution with it passes its input through (per group).
pub(crate) fn dirac_value(index: u64, shape: &[usize], groups: usize) -> f64 {
    let mut rem = index;
    let mut idx = vec![0u64; shape.len()];
    for (i, &d) in shape.iter().enumerate().rev() {
        idx[i] = rem % d as u64;
        rem /= d as u64;
    }
    let out_per_group = (shape[0] / groups) as u64;
    let min_dim = out_per_group.min(shape[1] as u64);
    let d = idx[0] % out_per_group;
    let centre = shape[2..]
        .iter()
        .zip(&idx[2..])
        .all(|(&k, &i)| i == (k / 2) as u64);
    if d < min_dim && idx[1] == d && centre {
        1.0
    } else {
        0.0
    }
}
