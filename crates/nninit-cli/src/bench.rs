//! `nninit bench`: fill throughput of the uniform and normal kernels at every
//! SIMD level this CPU has, against a plain `fill` of the same warm buffer
//! measured in the same run, and orthogonal at a given size. Medians of
//! `--reps` runs; ratios are what to quote (these machines are noisy).

use clap::Args;
use nninit::dist::Dist;
use nninit::simd::{self, SimdLevel};
use nninit::{Init, Layout, Stream};
use std::time::Instant;

#[derive(Args)]
#[command(
    after_help = "Examples:\n  nninit bench --threads 1\n  nninit bench --threads 2 --ortho 4096 --mlp 64,1024x50,10"
)]
pub struct BenchArgs {
    /// Elements per buffer (default 16M f32 = 64 MiB).
    #[arg(long, default_value_t = 1 << 24)]
    size: usize,
    /// Repetitions (the median is reported).
    #[arg(long, default_value_t = 7)]
    reps: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also time orthogonal on an N x N f32 matrix (0: skip).
    #[arg(long, default_value_t = 0)]
    ortho: usize,
    /// Also time forward+backward of an MLP (e.g. 64,1024x50,10) against the GEMM's own speed.
    #[arg(long)]
    mlp: Option<String>,
    /// Batch for --mlp.
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Time the digits training of the lab-speed issue (64,64x10,10, relu, kaiming_normal, 30 epochs of
    /// SGD lr 0.03, batch 32): per-step time, steps/s and the share of time in matrix products.
    #[arg(long)]
    train: bool,
}

/// The digits training run, timed: what a training step costs and how much
/// of it is GEMM.
fn train_bench() -> anyhow::Result<()> {
    use nninit_lab::nn::{parse_layers, Mlp};
    use nninit_lab::train::{train, OptimizerKind, TrainConfig};
    let (tr, te) = nninit_lab::data::load_split("digits", 0)?;
    let sizes = parse_layers("64,64x10,10")?;
    let init = Init::parse("kaiming_normal(nonlinearity=relu)")?;
    let cfg = TrainConfig {
        optimizer: OptimizerKind::Sgd,
        lr: 0.03,
        epochs: 30,
        batch: 32,
        seed: 0,
    };
    let mut net = Mlp::<f32>::new(&sizes, nninit::Activation::Relu, &init, &Init::zeros(), 0)?;
    nninit_lab::linalg::time_gemm(true);
    let t = Instant::now();
    let hist = train(&mut net, &tr, &te, &cfg, |_| {})?;
    let secs = t.elapsed().as_secs_f64();
    let gemm = nninit_lab::linalg::gemm_seconds();
    nninit_lab::linalg::time_gemm(false);
    let steps = cfg.epochs * tr.y.len().div_ceil(cfg.batch);
    outln!(
        "train digits 64,64x10,10 relu, {} epochs x {} steps of batch {}: {secs:.3} s, {:.3} ms per step, {:.0} steps/s, GEMM {:.0}% of the time; test accuracy {:.3}",
        cfg.epochs,
        tr.y.len().div_ceil(cfg.batch),
        cfg.batch,
        1e3 * secs / steps as f64,
        steps as f64 / secs,
        100.0 * gemm / secs,
        hist.test_accuracy
    );
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// Forward+backward GFLOP/s of an MLP (the training step's path) against
/// the engine's GEMM alone on the largest layer's shapes, in the same run.
fn mlp(spec: &str, batch: usize, reps: usize) -> anyhow::Result<()> {
    use nninit_lab::nn::{parse_layers, Mlp, Workspace};
    let sizes = parse_layers(spec)?;
    let init = Init::parse("kaiming_normal(nonlinearity=relu)")?;
    let net = Mlp::<f32>::new(&sizes, nninit::Activation::Relu, &init, &Init::zeros(), 0)?;
    let (x, y) = nninit_lab::probe::gaussian_batch(batch, sizes[0], *sizes.last().unwrap(), 0);
    let flops: f64 = sizes
        .windows(2)
        .map(|w| 3.0 * 2.0 * (batch * w[0] * w[1]) as f64)
        .sum();
    // the training step's path: buffers allocated once, reused every step
    let mut ws = Workspace::new(&net, batch);
    ws.load_rows(&x, &(0..batch).collect::<Vec<_>>());
    let t = time(reps.min(5), || {
        std::hint::black_box(ws.step(&net, batch, &y));
    });
    let wmax = *sizes.iter().max().unwrap();
    // the engine's own GEMM (faer) on the largest layer's forward product
    let a = vec![1f32; batch * wmax];
    let b = vec![1f32; wmax * wmax];
    let mut c = vec![0f32; batch * wmax];
    let tg = time(reps.min(5), || {
        nninit_lab::linalg::gemm(
            &mut c,
            &a,
            (batch, wmax),
            false,
            &b,
            (wmax, wmax),
            true,
            1.0,
            false,
        );
        std::hint::black_box(&c);
    });
    let gemm = 2.0 * (batch * wmax * wmax) as f64 / tg / 1e9;
    outln!("mlp {spec} batch {batch}: forward+backward {:.3} s, {:.1} GFLOP/s; GEMM {batch}x{wmax}x{wmax} alone {gemm:.1} GFLOP/s ({:.0}% of it)", t, flops / t / 1e9, 100.0 * flops / t / 1e9 / gemm);
    Ok(())
}

/// The speed floors per core (G values/s) the generators must reach: with
/// AVX-512 uniform f32 2, normal f32 1; with AVX2 1.2 and 0.6 (issue 12,
/// replacing ratio floors against a memory fill that vary with the machine).
fn floor_per_core(level: SimdLevel, kernel: &str) -> Option<f64> {
    match (level, kernel) {
        (SimdLevel::Avx512, "uniform f32") => Some(2.0),
        (SimdLevel::Avx512, "normal f32") => Some(1.0),
        (SimdLevel::Avx2, "uniform f32") => Some(1.2),
        (SimdLevel::Avx2, "normal f32") => Some(0.6),
        _ => None,
    }
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    if a.train {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(a.threads.max(1))
            .build()?;
        return pool.install(train_bench);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.max(1))
        .build()?;
    pool.install(|| {
        let mut buf = vec![0f32; a.size];
        let n = a.size as f64;
        let stream = Stream::new(0, "bench");
        // the baseline: a plain fill of the same buffer on the same threads
        // (ordinary stores, in blocks of 65536 elements as the generators use)
        let fill = time(a.reps, || {
            use rayon::prelude::*;
            buf.par_chunks_mut(1 << 16)
                .for_each(|c| c.fill(std::hint::black_box(1.0)));
            std::hint::black_box(&buf);
        });
        outln!(
            "threads {}  buffer {} f32 ({} MiB), median of {}",
            a.threads,
            a.size,
            (a.size * 4) >> 20,
            a.reps
        );
        outln!(
            "{:<28} {:>10} {:>12} {:>10} {:>12}  holds",
            "kernel",
            "G elem/s",
            "vs fill",
            "per core",
            "floor/core"
        );
        outln!(
            "{:<28} {:>10.3} {:>12}",
            "fill(1.0) baseline",
            n / fill / 1e9,
            "1.00x"
        );
        let detected = simd::detected();
        let levels = [SimdLevel::Avx512, SimdLevel::Avx2, SimdLevel::Portable];
        for level in levels {
            let available = match (level, detected) {
                (SimdLevel::Avx512, d) => d == SimdLevel::Avx512,
                (SimdLevel::Avx2, d) => d != SimdLevel::Portable,
                _ => true,
            };
            if !available {
                continue;
            }
            simd::force(Some(level));
            for (label, dist) in [
                ("uniform f32", Dist::uniform(-1.0, 1.0)?),
                ("normal f32", Dist::normal(0.0, 1.0)?),
            ] {
                let t = time(a.reps, || {
                    dist.fill(&stream, 0, &mut buf).expect("in range")
                });
                let rate = n / t / 1e9;
                let per_core = rate / a.threads.max(1) as f64;
                let (floor, holds) = match floor_per_core(level, label) {
                    Some(f) => (format!("{f:.1}"), if per_core >= f { "yes" } else { "NO" }),
                    None => ("-".to_string(), "-"),
                };
                outln!(
                    "{:<28} {:>10.3} {:>11.2}x {:>10.3} {:>12}  {holds}",
                    format!("{label} [{level:?}]"),
                    rate,
                    fill / t,
                    per_core,
                    floor
                );
            }
        }
        simd::force(None);
        let t = time(a.reps.min(3), || {
            Init::trunc_normal(0.0, 1.0, -2.0, 2.0)
                .expect("valid")
                .fill(&[a.size], Layout::Torch, &stream, &mut buf)
                .expect("valid")
        });
        outln!(
            "{:<28} {:>10.3} {:>11.2}x",
            "trunc_normal f32",
            n / t / 1e9,
            fill / t
        );
        if a.ortho > 0 {
            let k = a.ortho;
            let mut m = vec![0f32; k * k];
            let t = time(a.reps.min(3), || {
                Init::orthogonal(1.0)
                    .expect("valid")
                    .fill(&[k, k], Layout::Torch, &stream, &mut m)
                    .expect("valid")
            });
            outln!("orthogonal {k}x{k} f32: {t:.3} s");
        }
        if let Some(spec) = &a.mlp {
            mlp(spec, a.batch, a.reps)?;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(())
}
