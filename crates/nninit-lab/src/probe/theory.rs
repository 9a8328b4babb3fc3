//! Mean-field signal propagation (Poole et al. 2016, "Exponential
//! expressivity in deep neural networks through transient chaos";
//! Schoenholz et al. 2017, "Deep information propagation"): a prediction of
//! each layer's pre-activation variance and gradient factor from the
//! initializer's variance alone, before any data.
//!
//! With sigma_w^2 = fan_in * E[w^2] and sigma_b^2 = E[b^2]:
//! - q_1 = sigma_w^2 * E[x^2] + sigma_b^2 (the input is not passed through phi),
//! - q_l = sigma_w^2 * E_z[phi(sqrt(q_{l-1}) z)^2] + sigma_b^2, z ~ N(0, 1),
//! - chi_l = sigma_w(l+1)^2 * E_z[phi'(sqrt(q_l) z)^2]: the factor by which the
//!   backward signal's variance grows from layer l+1 to layer l. chi < 1
//!   vanishes, chi > 1 explodes, chi = 1 is the edge of chaos.
//!
//! Expectations are Gauss-Hermite quadrature with [`NODES`] points.

use nninit::Activation;
use serde::Serialize;

/// Quadrature points.
pub const NODES: usize = 96;

/// Nodes and weights for E[f(z)], z ~ N(0, 1): physicists' Gauss-Hermite
/// (Newton on the recurrence, as Numerical Recipes' `gauher`), rescaled.
pub fn gauss_hermite(n: usize) -> Vec<(f64, f64)> {
    let pim4 = std::f64::consts::PI.powf(-0.25);
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let m = n.div_ceil(2);
    let mut z: f64 = 0.0;
    for i in 0..m {
        z = match i {
            0 => (2.0 * n as f64 + 1.0).sqrt() - 1.85575 * (2.0 * n as f64 + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * (n as f64).powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut pp = 0.0;
        for _ in 0..100 {
            let mut p1 = pim4;
            let mut p2 = 0.0;
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                p1 = z * (2.0 / (j as f64 + 1.0)).sqrt() * p2
                    - (j as f64 / (j as f64 + 1.0)).sqrt() * p3;
            }
            pp = (2.0 * n as f64).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 1e-14 {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (pp * pp);
        w[n - 1 - i] = w[i];
    }
    // int e^{-t^2} f(t) dt  ->  E[f(z)] with z = sqrt(2) t, divided by sqrt(pi)
    let s = std::f64::consts::PI.sqrt();
    x.iter()
        .zip(&w)
        .map(|(&t, &wt)| (t * std::f64::consts::SQRT_2, wt / s))
        .collect()
}

/// The prediction for one weight layer.
#[derive(Debug, Clone, Serialize)]
pub struct TheoryLayer {
    pub index: usize,
    /// sigma_w^2 = fan_in * E[w^2]
    pub sigma_w2: f64,
    /// Predicted pre-activation variance q_l.
    pub q: f64,
    /// Predicted std of the layer's output (post-activation for hidden layers, q_l^0.5 for the last).
    pub act_std: f64,
    /// chi_l (1 for the last layer, which has no layer above it).
    pub chi: f64,
    /// Predicted backward-signal norm relative to the last layer's: sqrt(prod chi * width ratio).
    pub backward_rel: f64,
}

/// Run the recursion for layer sizes `sizes`, per-layer E[w^2] and E[b^2],
/// and the input's second moment.
pub fn predict(
    sizes: &[usize],
    act: Activation,
    w2: &[f64],
    b2: &[f64],
    input_m2: f64,
) -> Vec<TheoryLayer> {
    let gh = gauss_hermite(NODES);
    let e = |f: &dyn Fn(f64) -> f64| gh.iter().map(|&(z, w)| w * f(z)).sum::<f64>();
    let layers = sizes.len() - 1;
    let mut out = Vec::with_capacity(layers);
    let mut q = 0.0;
    for l in 0..layers {
        let sw2 = sizes[l] as f64 * w2[l];
        q = if l == 0 {
            sw2 * input_m2 + b2[l]
        } else {
            let s = q.sqrt();
            sw2 * e(&|z| act.f(s * z).powi(2)) + b2[l]
        };
        let s = q.sqrt();
        let act_std = if l + 1 < layers {
            let m1 = e(&|z| act.f(s * z));
            let m2 = e(&|z| act.f(s * z).powi(2));
            (m2 - m1 * m1).max(0.0).sqrt()
        } else {
            s
        };
        let chi = if l + 1 < layers {
            sizes[l + 1] as f64 * w2[l + 1] * e(&|z| act.df(s * z).powi(2))
        } else {
            1.0
        };
        out.push(TheoryLayer {
            index: l + 1,
            sigma_w2: sw2,
            q,
            act_std,
            chi,
            backward_rel: 1.0,
        });
    }
    // backward-signal variance per unit of layer l = chi_l * that of layer l+1;
    // its norm over the layer's units scales with sqrt(width).
    let mut rel2 = 1.0;
    for l in (0..layers).rev() {
        if l + 1 < layers {
            rel2 *= out[l].chi * sizes[l + 1] as f64 / sizes[l + 2] as f64;
        }
        out[l].backward_rel = rel2.sqrt();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quadrature_moments() {
        let gh = gauss_hermite(NODES);
        let m = |k: i32| gh.iter().map(|&(z, w)| w * z.powi(k)).sum::<f64>();
        assert!((m(0) - 1.0).abs() < 1e-12);
        assert!((m(2) - 1.0).abs() < 1e-12);
        assert!((m(4) - 3.0).abs() < 1e-10);
        // E[relu(z)^2] = 1/2, converges slowly at the kink but well within 1e-3
        let r = gh.iter().map(|&(z, w)| w * z.max(0.0).powi(2)).sum::<f64>();
        assert!((r - 0.5).abs() < 1e-3, "{r}");
    }

    #[test]
    fn he_relu_preserves_variance_and_chi_is_one() {
        let sizes = [100, 100, 100, 100];
        let w2 = [2.0 / 100.0; 3];
        let t = predict(&sizes, Activation::Relu, &w2, &[0.0; 3], 1.0);
        for l in &t {
            assert!((l.q - 2.0).abs() < 0.01, "q {}", l.q);
        }
        assert!((t[0].chi - 1.0).abs() < 0.01, "chi {}", t[0].chi);
    }
}
