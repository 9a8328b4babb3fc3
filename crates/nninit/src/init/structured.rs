//! Deterministic structured initializers: `eye`, `identity`, `dirac`.
//! Each element is a function of its index alone, so all three shard: a
//! slice is zero-filled and the ones that fall inside it are set.

use crate::dtype::Element;

/// `eye`: the identity, rectangular allowed; 2-D only. Matches
/// `torch.nn.init.eye_`. `identity(gain=1)` is Keras' `Identity(gain)`: the
/// same matrix times gain.
pub(crate) fn fill_eye<T: Element>(out: &mut [T], start: u64, cols: u64, gain: f64) {
    out.fill(T::from_f64(0.0));
    if out.is_empty() {
        return;
    }
    let end = start + out.len() as u64;
    // the ones sit at r * cols + r, r < cols; rows r whose diagonal is in range
    for r in start / cols..=end.saturating_sub(1) / cols {
        let at = r * cols + r;
        if r < cols && (start..end).contains(&at) {
            out[(at - start) as usize] = T::from_f64(gain);
        }
    }
}

/// `dirac(groups=1)`: matches `torch.nn.init.dirac_` on a `[out, in, *k]`
/// weight (3-, 4- or 5-D; out divisible by groups). Zeros, then for each group
/// g and d < min(out/groups, in): `w[g*(out/groups) + d, d, k0//2, k1//2, ...] = 1`,
/// so a convolution with it passes its input through (per group).
pub(crate) fn fill_dirac<T: Element>(out: &mut [T], start: u64, shape: &[usize], groups: usize) {
    out.fill(T::from_f64(0.0));
    let end = start + out.len() as u64;
    let out_per_group = shape[0] / groups;
    let min_dim = out_per_group.min(shape[1]);
    // flat index of [o, i, k0 / 2, k1 / 2, ...]
    let centre = shape[2..]
        .iter()
        .fold(0u64, |acc, &k| acc * k as u64 + (k / 2) as u64);
    let taps: u64 = shape[2..].iter().map(|&k| k as u64).product();
    let at = |o: usize, i: usize| ((o * shape[1] + i) as u64) * taps + centre;
    for g in 0..groups {
        for d in 0..min_dim {
            let e = at(g * out_per_group + d, d);
            if (start..end).contains(&e) {
                out[(e - start) as usize] = T::from_f64(1.0);
            }
        }
    }
}
