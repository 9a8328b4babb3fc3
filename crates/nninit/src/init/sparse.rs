//! `sparse(sparsity, std=0.01)`: Martens 2010, "Deep learning via Hessian-free
//! optimization". Matches `torch.nn.init.sparse_`: 2-D only (dim 0 = rows,
//! whatever the layout), N(0, std^2), then in each column
//! `ceil(sparsity * rows)` entries, chosen uniformly without replacement, set
//! to zero.
//!
//! The choice: each entry gets a 32-bit key from the `Sparse` stream (entry
//! `r * cols + c`), and the column's zeros are its `ceil(sparsity * rows)`
//! smallest keys (ties broken by row). Not shardable by rows: a column's
//! choice needs all its keys.

use super::expr::Args;
use super::family::{bad, finite, nonneg, num, Family, Spelling, Target};
use super::{Init, Plan};
use crate::dist::Dist;
use crate::dtype::Element;
use crate::error::Result;
use crate::rng::{philox_lanes, Stream, Tag};
use std::fmt;

/// Columns whose keys are drawn and ranked together, on one thread.
const COLS_PER_TASK: usize = 64;
/// Tasks whose results are held at once.
const TASKS_PER_BATCH: usize = 16;

pub(crate) fn fill<T: Element>(
    stream: &Stream,
    rows: usize,
    cols: usize,
    sparsity: f64,
    std: f64,
    out: &mut [T],
) {
    use rayon::prelude::*;
    Dist::Normal { mean: 0.0, std }.fill_unchecked(stream, 0, out);
    let num_zeros = ((sparsity * rows as f64).ceil() as usize).min(rows);
    if num_zeros == 0 || cols == 0 {
        return;
    }
    // Tasks of COLS_PER_TASK columns run in parallel, a batch at a time so
    // that the masks held at once stay bounded (rows x 1 KiB per batch); each
    // returns a rows x w mask of its entries to zero, which is then applied
    // row by row in parallel.
    let starts: Vec<usize> = (0..cols).step_by(COLS_PER_TASK).collect();
    for batch in starts.chunks(TASKS_PER_BATCH) {
        let masks: Vec<(usize, usize, Vec<bool>)> = batch
            .par_iter()
            .map(|&c0| {
                let w = COLS_PER_TASK.min(cols - c0);
                // keys of columns c0..c0+w, row by row (consecutive words)
                let mut keys = vec![0u32; rows * w];
                for (r, row) in keys.chunks_mut(w).enumerate() {
                    words(stream, Tag::Sparse, (r * cols + c0) as u64, row);
                }
                let mut order: Vec<(u32, usize)> = Vec::with_capacity(rows);
                let mut mask = vec![false; rows * w];
                for c in 0..w {
                    order.clear();
                    order.extend((0..rows).map(|r| (keys[r * w + c], r)));
                    order.select_nth_unstable(num_zeros - 1);
                    for &(_, r) in &order[..num_zeros] {
                        mask[r * w + c] = true;
                    }
                }
                (c0, w, mask)
            })
            .collect();
        out.par_chunks_mut(cols).enumerate().for_each(|(r, row)| {
            for (c0, w, mask) in &masks {
                for (o, &z) in row[*c0..c0 + w].iter_mut().zip(&mask[r * w..(r + 1) * w]) {
                    if z {
                        *o = T::from_f64(0.0);
                    }
                }
            }
        });
    }
}

/// Words `first..` of the `tag` stream into `out` (word `i` is word `i % 4`
/// of Philox block `i / 4`), 16 blocks at a time where aligned.
fn words(stream: &Stream, tag: Tag, first: u64, out: &mut [u32]) {
    const LANES: usize = 16;
    let key = stream.key();
    let mut i = first;
    let mut rest = out;
    while !rest.is_empty() {
        if i.is_multiple_of(4) && rest.len() >= 4 * LANES {
            let w = philox_lanes::<LANES>(i / 4, 0, tag as u32, key);
            for (l, chunk) in rest[..4 * LANES].chunks_exact_mut(4).enumerate() {
                for (j, o) in chunk.iter_mut().enumerate() {
                    *o = w[j][l];
                }
            }
            rest = &mut rest[4 * LANES..];
            i += (4 * LANES) as u64;
        } else {
            let b = stream.block(tag, i / 4, 0);
            let take = ((4 - i % 4) as usize).min(rest.len());
            rest[..take].copy_from_slice(&b[(i % 4) as usize..(i % 4) as usize + take]);
            rest = &mut rest[take..];
            i += take as u64;
        }
    }
}

impl Init {
    /// `sparse(sparsity, std=0.01)`: `sparsity` in [0, 1], `std >= 0`. See
    /// the module docs.
    pub fn sparse(sparsity: f64, std: f64) -> Result<Init> {
        Sparse::new(sparsity, std).map(Init::Sparse)
    }
}

/// `sparse(sparsity, std=0.01)` (`torch.nn.init.sparse_`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Sparse {
    /// Fraction of zeros per column, in [0, 1].
    pub sparsity: f64,
    /// Std of the non-zero entries (>= 0).
    pub std: f64,
}

impl Sparse {
    fn new(sparsity: f64, std: f64) -> Result<Sparse> {
        let s = finite("sparse", "sparsity", sparsity)?;
        if !(0.0..=1.0).contains(&s) {
            return Err(bad("sparse", "sparsity", s, "a fraction in [0, 1]"));
        }
        Ok(Sparse {
            sparsity: s,
            std: nonneg("sparse", "std", std)?,
        })
    }
}

impl Family for Sparse {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "sparse",
        params: &["sparsity", "std"],
        about: "a sparsity share of each column zero, the rest N(0, std^2) (Martens 2010; torch)",
    }];
    const SHARDABLE: bool = false;
    fn parse(_: &str, args: &mut Args) -> Result<Self> {
        args.required(
            "sparsity",
            "sparse needs the fraction of zeros per column, e.g. sparse(sparsity=0.9)",
        )?;
        let s = args.num("sparsity", 0.0)?;
        Sparse::new(s, args.num("std", 0.01)?)
    }
    fn validate(&self) -> Result<()> {
        Sparse::new(self.sparsity, self.std).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        t.two_d()?;
        Ok(Plan::Sparse {
            rows: t.shape[0],
            cols: t.shape[1],
            sparsity: self.sparsity,
            std: self.std,
        })
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(sparsity={}, std={})",
            num(self.sparsity),
            num(self.std)
        )
    }
}
