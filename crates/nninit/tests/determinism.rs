//! Values depend on (seed, tensor name, element index) only: never on the
//! thread count, the block schedule, the SIMD level, or whether the tensor is
//! generated whole or in slices.

mod common;
use half::{bf16, f16};
use nninit::{Element, Init, Layout, Stream};

const EXPRS: [&str; 8] = [
    "uniform(a=-3, b=2)",
    "normal(mean=1, std=0.5)",
    "trunc_normal(std=0.3, a=-0.2, b=0.5)",
    "kaiming_uniform(nonlinearity=relu)",
    "xavier_normal",
    "he_normal",
    "eye",
    "constant(val=0.5)",
];

fn whole<T: Element>(expr: &str, shape: &[usize], threads: usize) -> Vec<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| common::sample::<T>(expr, shape, 42, "layers.0.weight"))
}

fn bits<T: Element>(v: &[T]) -> Vec<u8> {
    bytemuck::cast_slice(v).to_vec()
}

#[test]
fn thread_count_never_changes_a_bit() {
    // 300 x 1000 = 300k elements: several 64k parallel blocks
    let shape = [300, 1000];
    for e in EXPRS
        .iter()
        .chain(["orthogonal", "sparse(sparsity=0.2)"].iter())
    {
        let one = bits(&whole::<f32>(e, &shape, 1));
        for t in [2, 3, 8] {
            assert_eq!(
                one,
                bits(&whole::<f32>(e, &shape, t)),
                "{e} with {t} threads"
            );
        }
        assert_eq!(
            bits(&whole::<f64>(e, &shape, 1)),
            bits(&whole::<f64>(e, &shape, 4)),
            "{e} f64"
        );
    }
}

fn slices_match<T: Element>(expr: &str, shape: &[usize]) {
    let init = Init::parse(expr).unwrap();
    let all = common::sample::<T>(expr, shape, 42, "layers.0.weight");
    let stream = Stream::new(42, "layers.0.weight");
    let n = all.len();
    // odd offsets and lengths, crossing counter and block boundaries
    for (start, len) in [
        (0, 1),
        (1, 3),
        (3, 70),
        (5, 65_600),
        (65_530, 13),
        (n - 7, 7),
        (123, n - 123),
    ] {
        let mut part = vec![T::default(); len];
        init.fill_range(shape, Layout::Torch, &stream, start as u64, &mut part)
            .unwrap();
        assert_eq!(
            bits(&part),
            bits(&all[start..start + len]),
            "{expr} {}: [{start}, {})",
            T::DTYPE,
            start + len
        );
    }
    // a row shard: rows 17..42 of a [rows, cols] weight
    let cols = shape[1];
    let mut rows = vec![T::default(); 25 * cols];
    init.fill_range(shape, Layout::Torch, &stream, (17 * cols) as u64, &mut rows)
        .unwrap();
    assert_eq!(bits(&rows), bits(&all[17 * cols..42 * cols]));
}

#[test]
fn slices_equal_the_whole_tensor() {
    for e in EXPRS {
        slices_match::<f32>(e, &[300, 1000]);
        slices_match::<f64>(e, &[300, 1000]);
        slices_match::<bf16>(e, &[300, 1000]);
        slices_match::<f16>(e, &[300, 1000]);
    }
    // dirac's ones are sparse: slices that hold some, one, or none of them
    for e in ["dirac", "dirac(groups=3)"] {
        slices_match::<f32>(e, &[300, 1000, 3, 3]);
        slices_match::<bf16>(e, &[300, 1000, 3, 3]);
    }
}

#[test]
fn names_and_seeds_separate_streams() {
    let a = common::sample::<f32>("normal", &[64], 1, "w1");
    let b = common::sample::<f32>("normal", &[64], 1, "w2");
    let c = common::sample::<f32>("normal", &[64], 2, "w1");
    assert_ne!(a, b);
    assert_ne!(a, c);
    assert_eq!(a, common::sample::<f32>("normal", &[64], 1, "w1"));
    // a tensor's values do not depend on its shape beyond the element index
    let big = common::sample::<f32>("normal", &[8, 64], 1, "w1");
    assert_eq!(&big[..64], &a[..]);
}
