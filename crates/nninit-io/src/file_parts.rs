//! A file as the list of its parts (header bytes, then tensors at their byte
//! offsets), so that any byte range of it can be produced on its own: what
//! lets every core write its own stretch of one checkpoint file
//! ([`crate::shmem`]). The bytes of a range are exactly the bytes the
//! streaming writer puts there, whatever the range.

use crate::save::{zero_row, TensorSpec};
use half::{bf16, f16};
use nninit::dtype::{DType, Element};
use nninit::error::Result;
use nninit::rng::Stream;

/// One part of a file: fixed bytes, or a tensor's data.
enum Part<'a> {
    Bytes(&'a [u8]),
    Tensor(&'a TensorSpec),
}

/// The parts of a file, back to back from byte 0.
pub(crate) struct FileParts<'a> {
    parts: Vec<(u64, u64, Part<'a>)>, // (start, length, part)
    seed: u64,
}

impl<'a> FileParts<'a> {
    /// `header`, then `tensors` in order (a safetensors or npy file).
    /// `None` when a tensor's initializer depends on the whole tensor
    /// (orthogonal, sparse): it cannot be produced a range at a time.
    pub fn new(header: &'a [u8], tensors: &'a [TensorSpec], seed: u64) -> Result<Option<Self>> {
        let mut parts = vec![(0, header.len() as u64, Part::Bytes(header))];
        let mut at = header.len() as u64;
        for t in tensors {
            if t.data.is_none() && !t.init.is_shardable() {
                return Ok(None);
            }
            let len = t.numel()? * t.dtype.size() as u64;
            parts.push((at, len, Part::Tensor(t)));
            at += len;
        }
        Ok(Some(FileParts { parts, seed }))
    }

    /// Total length of the file in bytes.
    pub fn len(&self) -> u64 {
        self.parts.last().map_or(0, |&(s, l, _)| s + l)
    }

    /// Write bytes `start .. start + out.len()` of the file into `out`;
    /// returns how many of them are tensor data (for progress).
    pub fn fill(&self, start: u64, out: &mut [u8]) -> Result<u64> {
        let end = start + out.len() as u64;
        let first = self.parts.partition_point(|&(s, l, _)| s + l <= start);
        let mut data = 0;
        for (s, l, part) in &self.parts[first..] {
            if *s >= end {
                break;
            }
            let (lo, hi) = (start.max(*s), end.min(s + l));
            if lo >= hi {
                continue;
            }
            let dst = &mut out[(lo - start) as usize..(hi - start) as usize];
            match part {
                Part::Bytes(b) => dst.copy_from_slice(&b[(lo - s) as usize..(hi - s) as usize]),
                Part::Tensor(t) => {
                    tensor_bytes(t, self.seed, lo - s, dst)?;
                    data += hi - lo;
                }
            }
        }
        Ok(data)
    }
}

/// Bytes `from .. from + out.len()` of tensor `t`'s data (little-endian,
/// row-major), as [`nninit::Init::fill`] and the tensor's zeroed row make
/// them. `t` is shardable or carries its data.
pub(crate) fn tensor_bytes(t: &TensorSpec, seed: u64, from: u64, out: &mut [u8]) -> Result<()> {
    if let Some(d) = &t.data {
        out.copy_from_slice(&d[from as usize..from as usize + out.len()]);
        return Ok(());
    }
    match t.dtype {
        DType::F32 => typed::<f32>(t, seed, from, out),
        DType::F64 => typed::<f64>(t, seed, from, out),
        DType::BF16 => typed::<bf16>(t, seed, from, out),
        DType::F16 => typed::<f16>(t, seed, from, out),
    }
}

fn typed<T: Element>(t: &TensorSpec, seed: u64, from: u64, out: &mut [u8]) -> Result<()> {
    let stream = Stream::new(seed, &t.name);
    let size = std::mem::size_of::<T>() as u64;
    // whole elements, aligned: generate in place
    if from.is_multiple_of(size) && (out.len() as u64).is_multiple_of(size) {
        if let Ok(vals) = bytemuck::try_cast_slice_mut::<u8, T>(out) {
            let first = from / size;
            t.init
                .fill_range(&t.shape, t.layout, &stream, first, vals)?;
            zero_row(t, first, vals);
            return Ok(());
        }
    }
    // the range cuts elements (or `out` is not aligned for T): generate the
    // elements it touches and copy the bytes out
    let first = from / size;
    let last = (from + out.len() as u64).div_ceil(size);
    let mut vals = vec![T::default(); (last - first) as usize];
    t.init
        .fill_range(&t.shape, t.layout, &stream, first, &mut vals)?;
    zero_row(t, first, &mut vals);
    let skip = (from - first * size) as usize;
    out.copy_from_slice(&bytemuck::cast_slice::<T, u8>(&vals)[skip..skip + out.len()]);
    Ok(())
}

/// Bytes per window of the file one task maps and fills.
const WINDOW: usize = 32 << 20;
/// Bytes generated and copied at a time (stays in the core's cache).
const PIECE: usize = 1 << 20;

impl FileParts<'_> {
    /// Write the whole file into `file` (new and empty) from every core, where
    /// [`crate::shmem::Filler`] can (a file on tmpfs): `Ok(false)` where it
    /// cannot, with `file` left empty for the streaming writer.
    pub fn write_parallel(
        &self,
        file: &std::fs::File,
        progress: crate::save::Progress<'_>,
    ) -> std::result::Result<bool, crate::save::StreamErr> {
        use crate::save::StreamErr;
        use crate::shmem::{page_size, Filler};
        use rayon::prelude::*;
        use std::sync::atomic::{AtomicU64, Ordering};
        let total = self.len();
        // small files: one write is as fast; NNINIT_WRITE=stream: the
        // escape hatch (and the baseline of scripts/bench_write.sh)
        if total < 2 * WINDOW as u64
            || std::env::var_os("NNINIT_WRITE").is_some_and(|v| v == "stream")
        {
            return Ok(false);
        }
        if !crate::shmem::on_tmpfs(file) {
            return Ok(false);
        }
        file.set_len(total).map_err(StreamErr::Io)?;
        let Some(filler) = Filler::for_file(file) else {
            file.set_len(0).map_err(StreamErr::Io)?;
            return Ok(false);
        };
        let page = page_size() as u64;
        let windows = total.div_ceil(WINDOW as u64);
        let (done, reported) = (AtomicU64::new(0), AtomicU64::new(0));
        (0..windows).into_par_iter().try_for_each_init(
            || vec![0u64; PIECE / 8], // 8-aligned for any dtype
            |buf, w| {
                let off = w * WINDOW as u64;
                let real = (total - off).min(WINDOW as u64);
                let len = real.div_ceil(page) * page;
                let win = filler
                    .window(file, off, len as usize)
                    .map_err(StreamErr::Io)?;
                let buf: &mut [u8] = bytemuck::cast_slice_mut(buf);
                let mut at = 0u64;
                while at < len {
                    let n = (len - at).min(PIECE as u64) as usize;
                    let k = (real.saturating_sub(at) as usize).min(n);
                    let data = self
                        .fill(off + at, &mut buf[..k])
                        .map_err(StreamErr::Init)?;
                    buf[k..n].fill(0); // past the end of the file, in its last page
                    win.copy(at as usize, &buf[..n]).map_err(StreamErr::Io)?;
                    // reported only when ahead of what was reported: the
                    // count never goes back, whichever thread gets there first
                    let now = done.fetch_add(data, Ordering::Relaxed) + data;
                    if reported.fetch_max(now, Ordering::Relaxed) < now && !progress(now) {
                        return Err(StreamErr::Io(crate::save::stopped()));
                    }
                    at += n as u64;
                }
                Ok(())
            },
        )?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nninit::{Init, Layout};
    use proptest::prelude::*;

    fn spec(name: &str, shape: Vec<usize>, dtype: DType, init: &str) -> TensorSpec {
        TensorSpec::new(
            name,
            shape,
            dtype,
            Layout::Torch,
            Init::parse(init).unwrap(),
        )
    }

    /// Tensors whose data starts at offsets that cut elements: a 13-byte
    /// header, an odd bf16 tensor before an f32 one, f64 after an f16 one,
    /// a zeroed row, values given as data.
    fn tensors() -> Vec<TensorSpec> {
        let mut emb = spec("emb", vec![7, 33], DType::F32, "normal(std=0.02)");
        emb.zero_row = Some(3);
        let mut given = spec("given", vec![5], DType::F16, "zeros");
        given.data = Some((0u8..10).collect::<Vec<u8>>().into());
        vec![
            spec("odd", vec![3, 5], DType::BF16, "uniform(a=-1, b=1)"),
            spec(
                "w",
                vec![100, 301],
                DType::F32,
                "kaiming_uniform(a=sqrt(5))",
            ),
            emb,
            spec("h", vec![7], DType::F16, "normal"),
            spec("d", vec![41, 17], DType::F64, "xavier_normal"),
            given,
            spec("ones", vec![9], DType::F32, "ones"),
        ]
    }

    /// The file the streaming writer makes: header, then each tensor whole.
    fn whole_file(header: &[u8], tensors: &[TensorSpec], seed: u64) -> Vec<u8> {
        let mut out = header.to_vec();
        for t in tensors {
            if let Some(d) = &t.data {
                out.extend_from_slice(d);
                continue;
            }
            let stream = Stream::new(seed, &t.name);
            macro_rules! whole {
                ($T:ty) => {{
                    let mut v = vec![<$T>::default(); t.numel().unwrap() as usize];
                    t.init.fill(&t.shape, t.layout, &stream, &mut v).unwrap();
                    zero_row(t, 0, &mut v);
                    out.extend_from_slice(bytemuck::cast_slice(&v));
                }};
            }
            match t.dtype {
                DType::F32 => whole!(f32),
                DType::F64 => whole!(f64),
                DType::BF16 => whole!(bf16),
                DType::F16 => whole!(f16),
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        /// Any byte range, alone, holds the bytes of the whole file there
        /// (256 random ranges, fixed proptest seed per run; the cases that
        /// cut elements and misalign the output slice included).
        #[test]
        fn any_range_holds_the_whole_files_bytes(a in 0usize..160_000, len in 0usize..70_000, shift in 0usize..8) {
            let header: Vec<u8> = (0..13).collect();
            let ts = tensors();
            let whole = whole_file(&header, &ts, 7);
            let parts = FileParts::new(&header, &ts, 7).unwrap().unwrap();
            prop_assert_eq!(parts.len(), whole.len() as u64);
            let a = a.min(whole.len());
            let b = (a + len).min(whole.len());
            let mut buf = vec![0u8; b - a + shift];
            let data = parts.fill(a as u64, &mut buf[shift..]).unwrap();
            prop_assert!(buf[shift..] == whole[a..b], "bytes {a}..{b} differ");
            prop_assert_eq!(data, (b - a) as u64 - (13usize.saturating_sub(a).min(b - a)) as u64);
        }
    }

    #[test]
    fn whole_tensor_initializers_are_not_split() {
        let ts = vec![spec("q", vec![8, 8], DType::F32, "orthogonal")];
        assert!(FileParts::new(&[], &ts, 1).unwrap().is_none());
    }

    /// On tmpfs (/dev/shm) with userfaultfd, a file is written from every
    /// core with the same bytes; elsewhere the writer declines and leaves the
    /// file empty for the streaming writer.
    #[test]
    fn parallel_write_holds_the_same_bytes_or_declines() {
        // 72 MB: more than two windows, and a last page the file only half fills
        let mut ts = tensors();
        ts.push(spec(
            "big",
            vec![4099, 4391],
            DType::F32,
            "normal(std=0.02)",
        ));
        let header: Vec<u8> = (0..13).collect();
        let whole = whole_file(&header, &ts, 11);
        let parts = FileParts::new(&header, &ts, 11).unwrap().unwrap();
        for dir in ["/dev/shm", "."] {
            let Ok(tmp) = tempfile::NamedTempFile::new_in(dir) else {
                continue;
            };
            // a page already in the file (as if another process had faulted it
            // in through a map of its own): written the ordinary way
            if dir == "/dev/shm" {
                use std::os::unix::fs::FileExt;
                tmp.as_file().write_all_at(b"in the way", 40 << 20).unwrap();
            }
            let seen = std::sync::atomic::AtomicU64::new(0);
            let progress = |b: u64| {
                seen.fetch_max(b, std::sync::atomic::Ordering::Relaxed);
                true
            };
            let wrote = match parts.write_parallel(tmp.as_file(), &progress) {
                Ok(w) => w,
                Err(_) => panic!("parallel write into {dir} failed"),
            };
            let bytes = std::fs::read(tmp.path()).unwrap();
            if wrote {
                assert!(bytes == whole, "bytes differ in {dir}");
                assert_eq!(seen.into_inner(), whole.len() as u64 - 13);
            } else {
                assert!(
                    bytes.is_empty(),
                    "declined but left {} bytes in {dir}",
                    bytes.len()
                );
                eprintln!("note: no parallel write in {dir} (not tmpfs, or no userfaultfd)");
            }
        }
    }
}
