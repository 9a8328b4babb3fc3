use nninit::{Init, Layout, Stream};
use std::time::Instant;
fn main() {
    let n = 1 << 22;
    let mut buf = vec![0f32; n];
    let s = Stream::new(0, "bench");
    for (a, b) in [(-2.0, 2.0), (-10.0, 10.0), (-1.0, 1.0), (2.0, 3.0)] {
        let init = Init::TruncNormal {
            mean: 0.0,
            std: 1.0,
            a,
            b,
        };
        let mut best = 0f64;
        for _ in 0..5 {
            let t = Instant::now();
            init.fill(&[n], Layout::Torch, &s, &mut buf).unwrap();
            best = best.max(n as f64 / t.elapsed().as_secs_f64() / 1e9);
        }
        println!("[{a},{b}] {best:.3} G/s");
    }
}
