//! Writing tensors: `.npy` and `.safetensors`, streamed chunk by chunk from the
//! initializers, always through a temporary file in the target directory that
//! is renamed into place only when complete (never a partial or stale file).
//!
//! Both formats are written here rather than through `ndarray-npy` or
//! `safetensors::serialize_to_file` because both of those need the whole
//! tensor in memory first; writing the (tiny, fully specified) headers
//! ourselves lets generation of the next chunk overlap writing of the last and
//! keeps peak memory at a few chunks. The tests read every file back with the
//! reference `safetensors` crate.

mod npy;
mod safetensors;

pub use self::npy::npy_header;
pub use self::safetensors::safetensors_header;

use crate::dtype::{DType, Element};
use crate::error::{Error, Result};
use crate::init::fan::Layout;
use crate::init::Init;
use crate::rng::Stream;
use half::{bf16, f16};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::sync_channel;

#[cfg(target_endian = "big")]
compile_error!("nninit writes little-endian tensor files and supports little-endian targets only");

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Npy,
    Safetensors,
}

impl Format {
    /// From a path's extension.
    pub fn from_path(path: &Path) -> Result<Format> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
        {
            Some(e) if e == "npy" => Ok(Format::Npy),
            Some(e) if e == "safetensors" => Ok(Format::Safetensors),
            _ => Err(Error::Unsupported(format!(
                "cannot tell the format of `{}`: the file name must end in .npy or .safetensors",
                path.display()
            ))),
        }
    }
}

/// One tensor to generate: name (which keys its stream), shape, dtype, layout and initializer.
#[derive(Debug, Clone)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub layout: Layout,
    pub init: Init,
}

impl TensorSpec {
    /// Number of elements (checked).
    pub fn numel(&self) -> Result<u64> {
        checked_numel(&self.shape)
    }
}

/// Largest tensor we agree to generate: 2^40 elements (4 TiB of f32).
pub const MAX_ELEMENTS: u64 = 1 << 40;

/// `prod(shape)` with overflow and size checks.
pub fn checked_numel(shape: &[usize]) -> Result<u64> {
    let mut n: u64 = 1;
    for &d in shape {
        n = n
            .checked_mul(d as u64)
            .filter(|&n| n <= MAX_ELEMENTS)
            .ok_or_else(|| Error::BadShape {
                shape: format!("{shape:?}"),
                reason: format!("more than {MAX_ELEMENTS} elements"),
            })?;
    }
    Ok(n)
}

/// Elements per streamed chunk.
const CHUNK: usize = 1 << 21;

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// Generate `tensors` with `seed` and write them to `path` (format from the
/// extension; `.npy` takes exactly one tensor). `metadata` goes into the
/// safetensors header's `__metadata__`.
pub fn save(
    path: &Path,
    tensors: &[TensorSpec],
    seed: u64,
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let format = Format::from_path(path)?;
    // validate everything before creating any file
    for t in tensors {
        t.numel()?;
    }
    let header = match format {
        Format::Npy => {
            if tensors.len() != 1 {
                return Err(Error::Unsupported(format!(
                    "a .npy file holds exactly one tensor (got {}); use .safetensors",
                    tensors.len()
                )));
            }
            npy_header(tensors[0].dtype, &tensors[0].shape)?
        }
        Format::Safetensors => safetensors_header(tensors, metadata)?,
    };
    // dry-run the plans (shape/init compatibility) on empty ranges
    for t in tensors {
        check_plan(t)?;
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".nninit-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io_err("cannot create a temporary file in", dir))?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        w.write_all(&header).map_err(io_err("cannot write", path))?;
        for t in tensors {
            stream_tensor(t, seed, &mut w).map_err(|e| match e {
                StreamErr::Io(source) => Error::Io {
                    action: "cannot write",
                    path: path.display().to_string(),
                    source,
                },
                StreamErr::Init(e) => e,
            })?;
        }
        w.flush().map_err(io_err("cannot write", path))?;
    }
    tmp.as_file().sync_all().ok();
    tmp.persist(path).map_err(|e| Error::Io {
        action: "cannot rename the finished file to",
        path: path.display().to_string(),
        source: e.error,
    })?;
    Ok(())
}

fn check_plan(t: &TensorSpec) -> Result<()> {
    macro_rules! go {
        ($T:ty) => {{
            let mut empty: [$T; 0] = [];
            if t.init.is_shardable() {
                t.init
                    .fill_range(&t.shape, t.layout, &Stream::new(0, ""), 0, &mut empty)
            } else {
                // non-shardable initializers validate the shape without generating
                t.init.check_shape(&t.shape, t.layout, t.dtype)
            }
        }};
    }
    match t.dtype {
        DType::F32 => go!(f32),
        DType::F64 => go!(f64),
        DType::BF16 => go!(bf16),
        DType::F16 => go!(f16),
    }
}

enum StreamErr {
    Io(std::io::Error),
    Init(Error),
}

fn stream_tensor<W: Write>(t: &TensorSpec, seed: u64, w: &mut W) -> Result<(), StreamErr> {
    match t.dtype {
        DType::F32 => stream_typed::<f32, W>(t, seed, w),
        DType::F64 => stream_typed::<f64, W>(t, seed, w),
        DType::BF16 => stream_typed::<bf16, W>(t, seed, w),
        DType::F16 => stream_typed::<f16, W>(t, seed, w),
    }
}

/// Shardable tensors: a generator thread fills chunk k+1 (in parallel) while
/// this thread writes chunk k; two buffers are recycled so memory stays warm.
fn stream_typed<T: Element, W: Write>(
    t: &TensorSpec,
    seed: u64,
    w: &mut W,
) -> Result<(), StreamErr> {
    let stream = Stream::new(seed, &t.name);
    let n = t.numel().map_err(StreamErr::Init)?;
    if !t.init.is_shardable() {
        let mut buf = vec![T::default(); n as usize];
        t.init
            .fill(&t.shape, t.layout, &stream, &mut buf)
            .map_err(StreamErr::Init)?;
        return w
            .write_all(bytemuck::cast_slice(&buf))
            .map_err(StreamErr::Io);
    }
    let (full_tx, full_rx) = sync_channel::<(Vec<T>, Result<()>)>(1);
    let (empty_tx, empty_rx) = sync_channel::<Vec<T>>(2);
    empty_tx.send(Vec::new()).ok();
    empty_tx.send(Vec::new()).ok();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut start = 0u64;
            while start < n {
                let Ok(mut buf) = empty_rx.recv() else { return };
                let len = (n - start).min(CHUNK as u64) as usize;
                buf.resize(len, T::default());
                let r = t
                    .init
                    .fill_range(&t.shape, t.layout, &stream, start, &mut buf);
                let failed = r.is_err();
                if full_tx.send((buf, r)).is_err() || failed {
                    return;
                }
                start += len as u64;
            }
        });
        let mut written = 0u64;
        while written < n {
            let (buf, r) = full_rx
                .recv()
                .expect("generator ends only after sending every chunk or an error");
            r.map_err(StreamErr::Init)?;
            w.write_all(bytemuck::cast_slice(&buf))
                .map_err(StreamErr::Io)?;
            written += buf.len() as u64;
            empty_tx.send(buf).ok();
        }
        Ok(())
    })
}
