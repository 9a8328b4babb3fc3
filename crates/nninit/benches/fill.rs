//! Criterion benchmark: f32 uniform and normal fills of a warm 64 MiB buffer
//! against a plain `fill` of the same buffer (the baseline, same run), on one
//! thread and on all of them, and
//! orthogonal at 512 x 512. `nninit bench` prints the same comparison per
//! SIMD level as a table.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nninit::dist::Dist;
use nninit::{Init, Layout, Stream};

fn fills(c: &mut Criterion) {
    let n = 1 << 24;
    let mut buf = vec![0f32; n];
    let stream = Stream::new(0, "bench");
    let mut g = c.benchmark_group("fill_64MiB_f32");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    // one thread: a plain fill against the generators on the calling thread
    g.bench_function("baseline_fill", |b| {
        b.iter(|| buf.fill(std::hint::black_box(1.0)))
    });
    let uniform = Dist::uniform(-1.0, 1.0).unwrap();
    let normal = Dist::normal(0.0, 1.0).unwrap();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    g.bench_function("uniform_1thread", |b| {
        b.iter(|| one.install(|| uniform.fill(&stream, 0, &mut buf).unwrap()))
    });
    g.bench_function("normal_1thread", |b| {
        b.iter(|| one.install(|| normal.fill(&stream, 0, &mut buf).unwrap()))
    });
    // all threads: the same fill over rayon's blocks against the parallel generators
    g.bench_function("baseline_fill_parallel", |b| {
        use rayon::prelude::*;
        b.iter(|| {
            buf.par_chunks_mut(1 << 16)
                .for_each(|c| c.fill(std::hint::black_box(1.0)))
        })
    });
    g.bench_function("uniform", |b| {
        b.iter(|| uniform.fill(&stream, 0, &mut buf).unwrap())
    });
    g.bench_function("normal", |b| {
        b.iter(|| normal.fill(&stream, 0, &mut buf).unwrap())
    });
    g.finish();
    let mut m = vec![0f32; 512 * 512];
    c.bench_function("orthogonal_512", |b| {
        b.iter(|| {
            Init::orthogonal(1.0)
                .unwrap()
                .fill(&[512, 512], Layout::Torch, &stream, &mut m)
                .unwrap()
        })
    });
}

criterion_group!(benches, fills);
criterion_main!(benches);
