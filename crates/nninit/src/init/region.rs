//! The one sharding primitive: a rectangular block of a row-major tensor is a
//! set of equal-length runs of consecutive elements (a flat range is one run),
//! and every shardable plan fills a run from its global element index alone.
//! [`crate::Init::fill`], [`crate::Init::fill_range`] and
//! [`crate::Init::fill_region`] all go through [`fill_runs`].

use super::{structured, Plan};
use crate::dtype::Element;
use crate::error::{Error, Result};
use crate::rng::Stream;
use rayon::prelude::*;

/// Elements one task fills (a multiple of the vector group): the same
/// granularity as a whole-tensor fill, so a block fills as fast per value.
const TASK: usize = crate::dist::BLOCK;

/// Equal runs of consecutive global elements, in row-major order of the block.
#[derive(Debug, Clone)]
pub(crate) struct Runs {
    /// Global flat index of the block's first element.
    base: u64,
    /// (block extent, global stride) of each dimension before the run's.
    outer: Vec<(u64, u64)>,
    /// Elements per run.
    run: u64,
}

impl Runs {
    /// Elements `start .. start + len`.
    pub(crate) fn flat(start: u64, len: u64) -> Runs {
        Runs {
            base: start,
            outer: Vec::new(),
            run: len,
        }
    }

    /// The block of extent `block` at `offset` in a tensor of `shape`.
    pub(crate) fn of_block(shape: &[usize], offset: &[usize], block: &[usize]) -> Result<Runs> {
        let bad = |reason: String| Error::BadShape {
            shape: format!("block {block:?} at {offset:?} of {shape:?}"),
            reason,
        };
        if offset.len() != shape.len() || block.len() != shape.len() {
            return Err(bad(format!(
                "the offset ({}) and the block ({}) need one entry per dimension of the tensor ({})",
                offset.len(),
                block.len(),
                shape.len()
            )));
        }
        for d in 0..shape.len() {
            if offset[d]
                .checked_add(block[d])
                .is_none_or(|end| end > shape[d])
            {
                return Err(bad(format!(
                    "dimension {d}: offset {} + extent {} is past its size {}",
                    offset[d], block[d], shape[d]
                )));
            }
        }
        super::checked_numel(shape)?;
        let mut stride = vec![1u64; shape.len()];
        for d in (0..shape.len().saturating_sub(1)).rev() {
            stride[d] = stride[d + 1] * shape[d + 1] as u64;
        }
        // the run's dimension: the last one the block does not span whole
        let k = (0..shape.len())
            .rev()
            .find(|&d| block[d] != shape[d])
            .unwrap_or(0);
        let run = if shape.is_empty() {
            1
        } else {
            block[k] as u64 * stride[k]
        };
        let outer: Vec<(u64, u64)> = (0..k).map(|d| (block[d] as u64, stride[d])).collect();
        Ok(Runs {
            base: (0..shape.len()).map(|d| offset[d] as u64 * stride[d]).sum(),
            outer,
            run,
        })
    }

    /// Global index of the first element of run `r`.
    fn start(&self, mut r: u64) -> u64 {
        let mut at = self.base;
        for &(extent, stride) in self.outer.iter().rev() {
            at += (r % extent) * stride;
            r /= extent;
        }
        at
    }

    /// Copy this block out of the whole tensor.
    pub(crate) fn copy_from<T: Copy + Send + Sync>(&self, whole: &[T], out: &mut [T]) {
        let run = self.run as usize;
        out.par_chunks_mut(run).enumerate().for_each(|(r, piece)| {
            let s = self.start(r as u64) as usize;
            piece.copy_from_slice(&whole[s..s + run]);
        });
    }
}

/// Fill `out` (the runs one after another) from a shardable plan, in parallel.
pub(crate) fn fill_runs<T: Element>(
    plan: &Plan,
    shape: &[usize],
    stream: &Stream,
    runs: &Runs,
    out: &mut [T],
) {
    let run = runs.run as usize;
    if run == 0 {
        return;
    }
    if run >= TASK {
        // long runs: each split into tasks at fixed offsets from its start
        for (r, piece) in out.chunks_mut(run).enumerate() {
            let s = runs.start(r as u64);
            piece
                .par_chunks_mut(TASK)
                .enumerate()
                .for_each(|(i, chunk)| {
                    fill_serial(plan, shape, stream, s + (i * TASK) as u64, chunk)
                });
        }
    } else {
        // short runs: several per task
        let per = TASK / run;
        out.par_chunks_mut(per * run)
            .enumerate()
            .for_each(|(t, chunk)| {
                for (j, piece) in chunk.chunks_mut(run).enumerate() {
                    let s = runs.start((t * per + j) as u64);
                    fill_serial(plan, shape, stream, s, piece);
                }
            });
    }
}

/// Elements `start .. start + out.len()` on the calling thread.
fn fill_serial<T: Element>(
    plan: &Plan,
    shape: &[usize],
    stream: &Stream,
    start: u64,
    out: &mut [T],
) {
    match plan {
        Plan::Elementwise(d) => d.fill_serial(stream, start, out),
        Plan::Eye { cols, gain } => structured::fill_eye(out, start, *cols, *gain),
        Plan::Dirac { groups } => structured::fill_dirac(out, start, shape, *groups),
        Plan::Orthogonal { .. } | Plan::DeltaOrthogonal { .. } | Plan::Sparse { .. } => {
            unreachable!("whole-tensor plans are not filled by runs (checked by is_shardable)")
        }
    }
}
