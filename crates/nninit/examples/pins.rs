//! Prints the values the value-stability tests pin (`tests/value_stability.rs`):
//! the first values of a few streams and whole-stream FNV-1a digests of
//! 65536 values per dtype. For whoever changes a stream on purpose and must
//! update the pins; the tests themselves always assert.
//!
//! `cargo run --release -p nninit --example pins`

use half::{bf16, f16};
use nninit::{Element, Init, Layout, Stream};

fn sample<T: Element>(expr: &str, shape: &[usize], seed: u64, name: &str) -> Vec<T> {
    let mut v = vec![T::default(); shape.iter().product()];
    Init::parse(expr)
        .and_then(|i| i.fill(shape, Layout::Torch, &Stream::new(seed, name), &mut v))
        .expect("a valid expression and shape");
    v
}

fn digest<T: Element>(expr: &str) -> u64 {
    let v = sample::<T>(expr, &[256, 256], 7, "digest");
    bytemuck::cast_slice::<T, u8>(&v)
        .iter()
        .fold(0xCBF2_9CE4_8422_2325u64, |h, &b| {
            (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
        })
}

fn main() {
    for e in [
        "uniform(a=-1, b=1)",
        "normal",
        "trunc_normal(std=0.5)",
        "trunc_normal(a=2, b=3)",
    ] {
        println!("{e}");
        println!("  f32 {:?}", sample::<f32>(e, &[8], 42, "pin"));
        println!("  f64 {:?}", sample::<f64>(e, &[8], 42, "pin"));
    }
    println!("digests (f32, f64, bf16, f16):");
    for e in [
        "normal",
        "uniform(a=-1, b=1)",
        "trunc_normal",
        "trunc_normal(a=-0.5, b=0.5)",
        "trunc_normal(a=2, b=6)",
        "he_normal",
        "sparse(sparsity=0.5)",
    ] {
        println!(
            "(\"{e}\", {:#x}, {:#x}, {:#x}, {:#x}),",
            digest::<f32>(e),
            digest::<f64>(e),
            digest::<bf16>(e),
            digest::<f16>(e)
        );
    }
}
