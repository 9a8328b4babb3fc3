//! Building a 100M-parameter candle model (12 blocks of Linear(1024, 4096)
//! and Linear(4096, 1024) with biases, an Embedding(32000, 1024) and a
//! LayerNorm) through nninit's VarBuilder, against candle's own `VarMap`
//! initialization of the same model, side by side, best of 3, on the same
//! threads: `cargo run --release -p nninit-candle --example bench`.

use candle_core::{DType, Device};
use candle_nn::{embedding, layer_norm, linear, VarBuilder, VarMap};
use std::time::Instant;

fn model(vb: &VarBuilder) -> candle_core::Result<()> {
    embedding(32000, 1024, vb.pp("emb"))?;
    for i in 0..12 {
        linear(1024, 4096, vb.pp(format!("blocks.{i}.up")))?;
        linear(4096, 1024, vb.pp(format!("blocks.{i}.down")))?;
    }
    layer_norm(1024, 1e-5, vb.pp("ln"))?;
    Ok(())
}

fn best_of_3(f: &dyn Fn() -> VarMap) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut n = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let vm = f();
        best = best.min(t.elapsed().as_secs_f64());
        n = vm.all_vars().iter().map(|v| v.elem_count()).sum();
    }
    (best, n)
}

fn main() -> candle_core::Result<()> {
    let dev = Device::Cpu;
    let (candle_s, n) = best_of_3(&|| {
        let vm = VarMap::new();
        model(&VarBuilder::from_varmap(&vm, DType::F32, &dev)).unwrap();
        vm
    });
    let (nninit_s, m) = best_of_3(&|| {
        let vm = VarMap::new();
        let vb = nninit_candle::var_builder(
            &vm,
            0,
            None,
            nninit_candle::Policy::Torch,
            DType::F32,
            &dev,
        );
        model(&vb).unwrap();
        vm
    });
    assert_eq!(n, m);
    println!(
        "{:.1} M parameters (f32), {} rayon threads, best of 3\ncandle VarMap init:   {:.3} s\nnninit VarBuilder:    {:.3} s  ({:.1}x faster)",
        n as f64 / 1e6,
        rayon_threads(),
        candle_s,
        nninit_s,
        candle_s / nninit_s
    );
    Ok(())
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
