//! Prints the bits of `TorchCpu` draws (development aid for comparing with torch):
//! `torch_probe SEED KIND N DTYPE [P Q]` with KIND uniform|normal.
use nninit::rng::{Sequential, TorchCpu};
use nninit::Dist;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let seed: u64 = a[1].parse().unwrap();
    let n: usize = a[3].parse().unwrap();
    let p: f64 = a.get(5).map_or(0.0, |s| s.parse().unwrap());
    let q: f64 = a.get(6).map_or(1.0, |s| s.parse().unwrap());
    let d = if a[2] == "uniform" {
        Dist::uniform(p, q).unwrap()
    } else {
        Dist::normal(p, q).unwrap()
    };
    let mut g = TorchCpu::new(seed);
    match a[4].as_str() {
        "f64" => {
            let mut v = vec![0f64; n];
            g.sample(&d, &mut v).unwrap();
            for x in v {
                println!("{}", x.to_bits());
            }
        }
        "f16" => {
            let mut v = vec![half::f16::ZERO; n];
            g.sample(&d, &mut v).unwrap();
            for x in v {
                println!("{}", x.to_bits());
            }
        }
        "bf16" => {
            let mut v = vec![half::bf16::ZERO; n];
            g.sample(&d, &mut v).unwrap();
            for x in v {
                println!("{}", x.to_bits());
            }
        }
        _ => {
            let mut v = vec![0f32; n];
            g.sample(&d, &mut v).unwrap();
            for x in v {
                println!("{}", x.to_bits());
            }
        }
    }
}
