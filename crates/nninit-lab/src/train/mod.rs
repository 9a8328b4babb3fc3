//! Training on real data: mini-batch gradient descent with softmax
//! cross-entropy, deterministic for a seed (same seed, identical losses on
//! the same thread count), recording per epoch the train loss, the test
//! accuracy and each layer's gradient norm. Divergence (an inf/NaN loss,
//! gradient or weight) stops the run and is reported with epoch, step and
//! layer: never a crash, never a silently wrong number.

pub mod optimizer;

use crate::data::Dataset;
use crate::nn::workspace::{all_finite, sum_squares};
use crate::nn::{Mlp, Workspace};
use nninit::error::{Error, Result};
use nninit::rng::{Stream, Tag};
pub use optimizer::OptimizerKind;
use optimizer::{LayerState, Optimizer};
use serde::Serialize;

/// Hyper-parameters.
#[derive(Debug, Clone, Serialize)]
pub struct TrainConfig {
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub epochs: usize,
    pub batch: usize,
    pub seed: u64,
}

impl TrainConfig {
    /// Validate: epochs >= 1, lr > 0 and finite, batch >= 1.
    pub fn validate(&self) -> Result<()> {
        let bad = |param: &str, value: String, expected: &str| Error::BadParam {
            init: "train".into(),
            param: param.into(),
            value,
            expected: expected.into(),
        };
        if self.epochs == 0 || self.epochs > 100_000 {
            return Err(bad(
                "epochs",
                self.epochs.to_string(),
                "a whole number between 1 and 100000",
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(bad(
                "lr",
                self.lr.to_string(),
                "a positive finite learning rate, e.g. 0.1",
            ));
        }
        if self.batch == 0 || self.batch > 1 << 20 {
            return Err(bad(
                "batch",
                self.batch.to_string(),
                "a batch size between 1 and 1048576",
            ));
        }
        Ok(())
    }
}

/// One epoch's record (JSON field names are a contract).
#[derive(Debug, Clone, Serialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub test_accuracy: f64,
    /// mean over the epoch's steps of ||dL/dW|| per layer
    pub grad_norms: Vec<f64>,
}

/// Where a run diverged.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    pub epoch: usize,
    pub step: usize,
    /// 1-based layer whose gradient or weights went non-finite (None: only the loss did)
    pub layer: Option<usize>,
    pub what: String,
}

/// A run's history.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub test_accuracy: f64,
    pub initial_test_accuracy: f64,
    pub epochs: Vec<EpochRecord>,
    pub diverged: bool,
    pub diverged_at: Option<Divergence>,
}

/// Fraction of `d` classified correctly.
pub fn accuracy(net: &Mlp<f32>, d: &Dataset) -> f64 {
    let out = net.predict(d.x.view());
    let correct = out
        .outer_iter()
        .zip(&d.y)
        .filter(|(row, &y)| {
            // NaN outputs never count as correct
            let best =
                row.iter()
                    .enumerate()
                    .fold((usize::MAX, f32::NEG_INFINITY), |b, (i, &v)| {
                        if v > b.1 {
                            (i, v)
                        } else {
                            b
                        }
                    });
            best.0 == y
        })
        .count();
    correct as f64 / d.y.len().max(1) as f64
}

/// Train `net` in place on `train`, evaluating on `test` after every epoch;
/// `on_epoch` sees each record as it is made (for progress bars).
pub fn train(
    net: &mut Mlp<f32>,
    train: &Dataset,
    test: &Dataset,
    cfg: &TrainConfig,
    mut on_epoch: impl FnMut(&EpochRecord),
) -> Result<History> {
    cfg.validate()?;
    let classes = *net.sizes().last().expect("layers");
    if train.x.ncols() != net.sizes()[0] {
        return Err(Error::BadShape {
            shape: format!("{:?}", net.sizes()),
            reason: format!(
                "the data has {} features but the network's input size is {}",
                train.x.ncols(),
                net.sizes()[0]
            ),
        });
    }
    if let Some(&bad) = train.y.iter().chain(&test.y).find(|&&y| y >= classes) {
        return Err(Error::Data {
            origin: "labels".into(),
            line: 0,
            reason: format!(
                "label {bad} is out of range for the {classes} outputs of the network {:?}",
                net.sizes()
            ),
        });
    }
    let opt = Optimizer {
        kind: cfg.optimizer,
        lr: cfg.lr as f32,
    };
    let mut state: Vec<LayerState> = net
        .layers
        .iter()
        .map(|l| LayerState::new(&l.w, &l.b))
        .collect();
    let n = train.y.len();
    let initial_test_accuracy = accuracy(net, test);
    let mut epochs = Vec::new();
    let mut diverged_at = None;
    let mut t = 0i32;
    // every buffer of a step, allocated once for the run
    let mut ws = Workspace::new(net, cfg.batch.min(n.max(1)));
    let mut order: Vec<usize> = (0..n).collect();
    let mut y: Vec<usize> = Vec::with_capacity(cfg.batch);
    let mut norms2 = vec![0f64; net.layers.len()];
    'outer: for epoch in 1..=cfg.epochs {
        let shuffle = Stream::new(cfg.seed, &format!("shuffle.{epoch}"));
        order.clear();
        order.extend(0..n);
        // each key drawn once (the keys are distinct: the order is the same)
        order.sort_by_cached_key(|&i| (shuffle.block(Tag::Uniform, i as u64, 0)[0], i));
        let mut loss_sum = 0.0;
        let mut grad_sum = vec![0.0; net.layers.len()];
        let mut steps = 0;
        for (step, idx) in order.chunks(cfg.batch).enumerate() {
            ws.load_rows(&train.x, idx);
            y.clear();
            y.extend(idx.iter().map(|&i| train.y[i]));
            let loss = ws.step(net, idx.len(), &y);
            // ||dL/dW||^2 per layer: non-finite exactly when a gradient is
            for (n2, (dw, db)) in norms2.iter_mut().zip(ws.dw.iter().zip(&ws.db)) {
                let db_ok = all_finite(db.as_slice().expect("contiguous"));
                *n2 = sum_squares(dw.as_slice().expect("standard layout"));
                if !db_ok {
                    *n2 = f64::NAN;
                }
            }
            let bad_layer = norms2.iter().position(|n2| !n2.is_finite());
            if !loss.is_finite() || bad_layer.is_some() {
                diverged_at = Some(Divergence {
                    epoch,
                    step: step + 1,
                    layer: bad_layer.map(|l| l + 1),
                    what: if loss.is_finite() {
                        "gradient overflowed to inf/NaN".into()
                    } else {
                        format!("loss became {loss}")
                    },
                });
                break 'outer;
            }
            t = t.saturating_add(1);
            let mut bad_weights = None;
            for (l, layer) in net.layers.iter_mut().enumerate() {
                grad_sum[l] += norms2[l].sqrt();
                let finite = opt.step(
                    &mut layer.w,
                    &mut layer.b,
                    &ws.dw[l],
                    &ws.db[l],
                    &mut state[l],
                    t,
                );
                if !finite && bad_weights.is_none() {
                    bad_weights = Some(l);
                }
            }
            if let Some(l) = bad_weights {
                diverged_at = Some(Divergence {
                    epoch,
                    step: step + 1,
                    layer: Some(l + 1),
                    what: "weights overflowed to inf/NaN".into(),
                });
                break 'outer;
            }
            loss_sum += loss;
            steps += 1;
        }
        let rec = EpochRecord {
            epoch,
            train_loss: loss_sum / steps.max(1) as f64,
            test_accuracy: accuracy(net, test),
            grad_norms: grad_sum.iter().map(|g| g / steps.max(1) as f64).collect(),
        };
        on_epoch(&rec);
        epochs.push(rec);
    }
    let test_accuracy = epochs
        .last()
        .map_or(initial_test_accuracy, |e| e.test_accuracy);
    Ok(History {
        test_accuracy: if diverged_at.is_some() {
            accuracy(net, test)
        } else {
            test_accuracy
        },
        initial_test_accuracy,
        epochs,
        diverged: diverged_at.is_some(),
        diverged_at,
    })
}
