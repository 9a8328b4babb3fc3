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

use crate::dist::Dist;
use crate::dtype::Element;
use crate::rng::{Stream, Tag};

pub(crate) fn fill<T: Element>(
    stream: &Stream,
    rows: usize,
    cols: usize,
    sparsity: f64,
    std: f64,
    out: &mut [T],
) {
    Dist::Normal { mean: 0.0, std }.fill(stream, 0, out);
    let num_zeros = ((sparsity * rows as f64).ceil() as usize).min(rows);
    if num_zeros == 0 {
        return;
    }
    let key = |i: u64| stream.block(Tag::Sparse, i / 4, 0)[(i % 4) as usize];
    let mut order: Vec<(u32, usize)> = Vec::with_capacity(rows);
    for c in 0..cols {
        order.clear();
        order.extend((0..rows).map(|r| (key((r * cols + c) as u64), r)));
        order.select_nth_unstable(num_zeros - 1);
        for &(_, r) in &order[..num_zeros] {
            out[r * cols + c] = T::from_f64(0.0);
        }
    }
}
