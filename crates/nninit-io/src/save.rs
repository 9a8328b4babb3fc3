//! Writing tensors: `.npy` and `.safetensors`, streamed chunk by chunk from the
//! initializers, always through a temporary file in the target directory that
//! is renamed into place only when complete (never a partial or stale file).
//!
//! Both formats are written here rather than through `ndarray-npy` or
//! `safetensors::serialize_to_file` because both of those need the whole
//! tensor in memory first; writing the (tiny, fully specified) headers
//! ourselves lets generation of the next chunk overlap writing of the last and
//! keeps peak memory at a few chunks. The tests read every file back with the
//! reference `safetensors` crate. On tmpfs, a large `.npy`/`.safetensors` file
//! is instead filled by every core at once ([`crate::file_parts`],
//! [`crate::shmem`]), with the same bytes.

use crate::file_parts::FileParts;
use crate::npy::npy_header;
use crate::resources::check_memory;

use half::{bf16, f16};
use nninit::dtype::{DType, Element};
use nninit::error::{Error, Result};
use nninit::rng::Stream;
use nninit::Init;
use nninit::Layout;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::sync_channel;

#[cfg(target_endian = "big")]
compile_error!("nninit writes little-endian tensor files and supports little-endian targets only");

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One tensor, NumPy's `.npy`.
    Npy,
    /// NumPy's `.npz` (a zip of `.npy` files, stored uncompressed); `np.load` reads it.
    Npz,
    /// `.safetensors`, with provenance in `__metadata__`.
    Safetensors,
    /// A directory with one `NAME.npy` per tensor.
    NpyDir,
}

impl Format {
    /// From a file's extension: `.npy`, `.npz` or `.safetensors`.
    pub fn from_path(path: &Path) -> Result<Format> {
        match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()) {
            Some(e) if e == "npy" => Ok(Format::Npy),
            Some(e) if e == "npz" => Ok(Format::Npz),
            Some(e) if e == "safetensors" => Ok(Format::Safetensors),
            _ => Err(Error::Unsupported(format!(
                "cannot tell the format of `{}`: the file name must end in .npy, .npz or .safetensors",
                path.display()
            ))),
        }
    }

    /// As [`Format::from_path`], and a path without an extension (or an
    /// existing directory) means a directory of `.npy` files.
    pub fn for_output(path: &Path) -> Result<Format> {
        if path.is_dir() || path.extension().is_none() {
            return Ok(Format::NpyDir);
        }
        Format::from_path(path)
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
    /// A row (of dim 0) set to zero after initialization: PyTorch's
    /// `nn.Embedding(padding_idx=...)`.
    pub zero_row: Option<usize>,
    /// Values drawn beforehand (little-endian bytes of `dtype`, row-major),
    /// written as they are instead of generated from the tensor's stream:
    /// what a sequential generator ([`draw_sequential`]) produced.
    pub data: Option<std::sync::Arc<[u8]>>,
}

impl TensorSpec {
    /// A tensor without a zeroed row.
    pub fn new(
        name: impl Into<String>,
        shape: Vec<usize>,
        dtype: DType,
        layout: Layout,
        init: Init,
    ) -> Self {
        TensorSpec {
            name: name.into(),
            shape,
            dtype,
            layout,
            init,
            zero_row: None,
            data: None,
        }
    }

    /// The init expression as recorded in provenance.
    pub fn init_record(&self) -> String {
        match self.zero_row {
            Some(r) => format!("{} with row {r} zeroed (padding_idx)", self.init),
            None => self.init.to_string(),
        }
    }

    /// Number of elements (checked).
    pub fn numel(&self) -> Result<u64> {
        output_numel(&self.shape)
    }
}

/// Largest tensor nninit writes to a file: 2^40 elements (4 TiB of f32).
/// The core's [`nninit::init::checked_numel`] bounds any tensor (2^62, so
/// that indices never overflow); files get this smaller, practical bound.
pub const MAX_ELEMENTS: u64 = 1 << 40;

/// `prod(shape)` (the core's [`nninit::init::checked_numel`]), refused above
/// [`MAX_ELEMENTS`], the most nninit writes to a file.
pub fn output_numel(shape: &[usize]) -> Result<u64> {
    let n = nninit::init::checked_numel(shape)?;
    if n > MAX_ELEMENTS {
        return Err(Error::BadShape {
            shape: format!("{shape:?}"),
            reason: format!(
                "more than {MAX_ELEMENTS} elements (2^40), the most nninit writes to a file"
            ),
        });
    }
    Ok(n)
}

/// Elements per streamed chunk.
const CHUNK: usize = 1 << 21;

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        action,
        path: path.display().to_string(),
        reason: source,
    }
}

/// Write `path` atomically: `fill` writes a temporary file in the same
/// directory, which is renamed into place (0644) only if it succeeds; on any
/// error the temporary file is removed and `path` is untouched.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    check_output(path)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        let why = if dir.exists() {
            "not a directory"
        } else {
            "no such directory (create it first)"
        };
        return Err(Error::Io {
            action: "cannot write into",
            path: dir.display().to_string(),
            reason: std::io::Error::new(std::io::ErrorKind::NotFound, why),
        });
    }
    // created and registered at once: removed by an interrupt handler if the
    // process is stopped before the rename
    let (mut tmp, _in_flight) = crate::interrupt::create_registered(
        || {
            tempfile::Builder::new()
                .prefix(".nninit-")
                .suffix(".tmp")
                .tempfile_in(dir)
        },
        |t| t.path().to_path_buf(),
    )
    .map_err(io_err("cannot create a temporary file in", dir))?;
    fill(tmp.as_file_mut())?;
    // No fsync: the rename makes the file appear whole or not at all if the
    // process is interrupted (as safetensors' and NumPy's own writers, which do
    // not sync either); an fsync of a multi-GB checkpoint costs seconds.
    set_default_permissions(tmp.as_file());
    tmp.persist(path).map_err(|e| Error::Io {
        action: "cannot rename the finished file to",
        path: path.display().to_string(),
        reason: e.error,
    })?;
    Ok(())
}

/// Write `bytes` to `path` atomically (see [`write_atomic_with`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| {
        f.write_all(bytes).map_err(io_err("cannot write", path))
    })
}

/// Write existing f32 arrays (e.g. trained weights) to a `.safetensors` file,
/// through a temporary file renamed into place.
pub fn save_f32_safetensors(
    path: &Path,
    arrays: &[(&str, &[usize], &[f32])],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let entries: Vec<(&str, DType, &[usize])> =
        arrays.iter().map(|&(n, s, _)| (n, DType::F32, s)).collect();
    for &(name, shape, data) in arrays {
        if output_numel(shape)? != data.len() as u64 {
            return Err(Error::BadShape {
                shape: format!("{shape:?}"),
                reason: format!("`{name}` has {} values", data.len()),
            });
        }
    }
    let header = crate::safetensors::header_for(&entries, metadata)?;
    write_atomic_with(path, |f| {
        let mut w = std::io::BufWriter::new(f);
        w.write_all(&header).map_err(io_err("cannot write", path))?;
        for &(_, _, data) in arrays {
            w.write_all(bytemuck::cast_slice(data))
                .map_err(io_err("cannot write", path))?;
        }
        w.flush().map_err(io_err("cannot write", path))
    })
}

/// Called with the number of bytes written so far; returns whether to go
/// on. `false` stops the write at the next chunk (about 1-8 MB later) with
/// [`Error::Interrupted`], the temporary file removed: how a front end makes
/// a long write interruptible (the Python package checks for Ctrl-C there).
pub type Progress<'a> = &'a (dyn Fn(u64) -> bool + Sync);

/// The I/O error a write is stopped with when its progress callback says so.
#[derive(Debug)]
pub(crate) struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stopped by the caller")
    }
}

impl std::error::Error for Stopped {}

/// `Stopped` as an I/O error (what a writer returns mid-stream).
pub(crate) fn stopped() -> std::io::Error {
    std::io::Error::other(Stopped)
}

/// Whether an I/O error is [`stopped`].
pub(crate) fn is_stopped(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|r| r.is::<Stopped>())
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
    save_as(
        path,
        Format::from_path(path)?,
        tensors,
        seed,
        metadata,
        &|_| true,
    )
}

/// Total bytes of tensor data.
pub fn data_bytes(tensors: &[TensorSpec]) -> Result<u64> {
    tensors.iter().try_fold(0u64, |acc, t| {
        Ok(acc.saturating_add(t.numel()?.saturating_mul(t.dtype.size() as u64)))
    })
}

/// [`save`] with an explicit format and a progress callback.
pub fn save_as(
    path: &Path,
    format: Format,
    tensors: &[TensorSpec],
    seed: u64,
    metadata: &BTreeMap<String, String>,
    progress: Progress<'_>,
) -> Result<()> {
    // validate everything before creating any file
    let mut names = std::collections::HashSet::new();
    for t in tensors {
        t.numel()?;
        if !names.insert(t.name.as_str()) {
            return Err(Error::Unsupported(format!(
                "duplicate tensor name `{}`",
                t.name
            )));
        }
        if format != Format::Safetensors
            && (t.name.is_empty() || t.name.contains(['/', '\\']) || t.name.starts_with('.'))
        {
            return Err(Error::Unsupported(format!(
                "tensor name `{}` cannot be a file name inside a .npz or a directory (no '/', '\\', leading '.')",
                t.name
            )));
        }
        check_plan(t)?;
    }
    let header = match format {
        Format::Npy => {
            if tensors.len() != 1 {
                return Err(Error::Unsupported(format!(
                    "a .npy file holds exactly one tensor (got {}); use .safetensors, .npz or a directory",
                    tensors.len()
                )));
            }
            npy_header(tensors[0].dtype, &tensors[0].shape)?
        }
        Format::Safetensors => crate::safetensors::safetensors_header(tensors, metadata)?,
        Format::Npz | Format::NpyDir => {
            for t in tensors {
                npy_header(t.dtype, &t.shape)?; // bf16 has no NumPy dtype
            }
            Vec::new()
        }
    };
    let dir = match format {
        Format::NpyDir => path,
        _ => match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        },
    };
    let need = data_bytes(tensors)? + header.len() as u64 + 4096;
    check_space(dir, need)?;
    if format == Format::NpyDir {
        std::fs::create_dir_all(path).map_err(io_err("cannot create directory", path))?;
        let mut done = 0u64;
        for t in tensors {
            let file = path.join(format!("{}.npy", t.name));
            let bytes = t.numel()? * t.dtype.size() as u64;
            save_as(
                &file,
                Format::Npy,
                std::slice::from_ref(t),
                seed,
                metadata,
                &|b| progress(done + b),
            )?;
            done += bytes;
        }
        return Ok(());
    }
    let werr = |e: StreamErr| match e {
        StreamErr::Io(source) if is_stopped(&source) => Error::Interrupted {
            path: path.display().to_string(),
        },
        StreamErr::Io(source) => Error::Io {
            action: "cannot write",
            path: path.display().to_string(),
            reason: source,
        },
        StreamErr::Init(e) => e,
    };
    write_atomic_with(path, |file| {
        let mut written = 0u64;
        if format == Format::Npz {
            let zerr =
                |e: zip::result::ZipError| io_err("cannot write", path)(std::io::Error::other(e));
            let mut zip = zip::ZipWriter::new(file);
            for t in tensors {
                let bytes = t.numel()? * t.dtype.size() as u64;
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored)
                    .large_file(bytes > u32::MAX as u64 / 2);
                zip.start_file(format!("{}.npy", t.name), opts)
                    .map_err(zerr)?;
                zip.write_all(&npy_header(t.dtype, &t.shape)?)
                    .map_err(io_err("cannot write", path))?;
                written += stream_counted(t, seed, &mut zip, written, progress).map_err(werr)?;
            }
            zip.finish().map_err(zerr)?;
        } else {
            if let Some(parts) = FileParts::new(&header, tensors, seed)? {
                if parts.write_parallel(file, progress).map_err(werr)? {
                    return Ok(());
                }
            }
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            w.write_all(&header).map_err(io_err("cannot write", path))?;
            for t in tensors {
                written += stream_counted(t, seed, &mut w, written, progress).map_err(werr)?;
            }
            w.flush().map_err(io_err("cannot write", path))?;
        }
        Ok(())
    })
}

/// Temporary files are created 0600; a finished output gets what
/// `File::create` would give it: 0666 without the process's umask.
fn set_default_permissions(f: &std::fs::File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = f.set_permissions(std::fs::Permissions::from_mode(0o666 & !umask()));
    }
    #[cfg(not(unix))]
    let _ = f;
}

/// The process's umask, read from `/proc/self/status` (Linux); 0o022, the
/// usual one, where that is not available. (Reading it with `umask(2)`
/// would set it, racing with other threads.)
#[cfg(unix)]
pub(crate) fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Refuse an output path that exists and is not a regular file (a
/// directory, a symbolic link, a FIFO, a device): writing replaces the path
/// by renaming a new file over it, which would destroy such a thing. Called
/// before any work is done.
pub fn check_output(path: &Path) -> Result<()> {
    let Ok(md) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let ft = md.file_type();
    if ft.is_file() {
        return Ok(());
    }
    let what = if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() {
                "a FIFO"
            } else if ft.is_char_device() || ft.is_block_device() {
                "a device"
            } else if ft.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            }
        }
        #[cfg(not(unix))]
        "not a regular file"
    };
    Err(Error::Io {
        action: "will not replace",
        path: path.display().to_string(),
        reason: std::io::Error::other(format!(
            "it is {what}; nninit writes (and replaces) regular files only: choose another name"
        )),
    })
}

/// Stream `t` into `w`, reporting `base + bytes so far`; returns the bytes written.
fn stream_counted<W: Write>(
    t: &TensorSpec,
    seed: u64,
    w: &mut W,
    base: u64,
    progress: Progress<'_>,
) -> Result<u64, StreamErr> {
    let mut counted = Counted {
        inner: w,
        base,
        n: 0,
        progress,
    };
    stream_tensor(t, seed, &mut counted)?;
    Ok(counted.n)
}

/// A writer that reports progress.
struct Counted<'a, W: Write> {
    inner: &'a mut W,
    base: u64,
    n: u64,
    progress: Progress<'a>,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        if !(self.progress)(self.base + self.n) {
            return Err(stopped());
        }
        Ok(k)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Fail early when the target file system lacks the space.
pub(crate) fn check_space(dir: &Path, need: u64) -> Result<()> {
    // the nearest existing ancestor tells the file system
    let mut probe = dir;
    while !probe.exists() {
        match probe.parent() {
            Some(p) if !p.as_os_str().is_empty() => probe = p,
            _ => {
                probe = Path::new(".");
                break;
            }
        }
    }
    // a virtual file system (/proc, /sys) reports no storage at all: say
    // that, not "0 bytes are free"
    if fs4::total_space(probe).is_ok_and(|t| t == 0) {
        return Err(Error::Io {
            action: "cannot write into",
            path: dir.display().to_string(),
            reason: std::io::Error::other(format!(
                "`{}` is on a virtual file system with no storage (its total size is 0, as /proc and /sys); write to a directory on a disk or tmpfs",
                probe.display()
            )),
        });
    }
    if let Ok(avail) = fs4::available_space(probe) {
        if need > avail {
            return Err(Error::DiskSpace {
                path: dir.display().to_string(),
                need,
                available: avail,
            });
        }
    }
    Ok(())
}

fn check_plan(t: &TensorSpec) -> Result<()> {
    if let Some(d) = &t.data {
        let want = t.numel()?.saturating_mul(t.dtype.size() as u64);
        if d.len() as u64 != want {
            return Err(Error::BadShape {
                shape: format!("{:?}", t.shape),
                reason: format!(
                    "tensor `{}` carries {} bytes of values, its shape and dtype need {want}",
                    t.name,
                    d.len()
                ),
            });
        }
        return Ok(());
    }
    if !t.init.is_shardable() {
        // whole-tensor initializers hold the tensor (and, for orthogonal, two
        // working copies in the compute precision) in memory
        let work = if t.dtype == DType::F64 { 8 } else { 4 };
        let need = t.numel()?.saturating_mul(t.dtype.size() as u64 + 2 * work);
        check_memory(
            &format!("{} {:?} ({})", t.name, t.shape, t.init.name()),
            need,
        )?;
    }
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

pub(crate) enum StreamErr {
    Io(std::io::Error),
    Init(Error),
}

fn stream_tensor<W: Write>(t: &TensorSpec, seed: u64, w: &mut W) -> Result<(), StreamErr> {
    if let Some(d) = &t.data {
        for chunk in d.chunks(CHUNK) {
            w.write_all(chunk).map_err(StreamErr::Io)?;
        }
        return Ok(());
    }
    match t.dtype {
        DType::F32 => stream_typed::<f32, W>(t, seed, w),
        DType::F64 => stream_typed::<f64, W>(t, seed, w),
        DType::BF16 => stream_typed::<bf16, W>(t, seed, w),
        DType::F16 => stream_typed::<f16, W>(t, seed, w),
    }
}

/// Zero the elements of `t.zero_row` that fall in `buf` (elements `start..`).
pub(crate) fn zero_row<T: Element>(t: &TensorSpec, start: u64, buf: &mut [T]) {
    let Some(r) = t.zero_row else { return };
    let cols: u64 = t.shape[1..].iter().map(|&d| d as u64).product();
    let (a, b) = (r as u64 * cols, (r as u64 + 1) * cols);
    let end = start + buf.len() as u64;
    let (lo, hi) = (a.max(start), b.min(end));
    if lo < hi {
        buf[(lo - start) as usize..(hi - start) as usize].fill(T::from_f64(0.0));
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
    // whole-tensor initializers, and tensors of one chunk or less (no
    // generator thread for each of a million small tensors)
    if !t.init.is_shardable() || n <= CHUNK as u64 {
        let mut buf = vec![T::default(); n as usize];
        t.init
            .fill(&t.shape, t.layout, &stream, &mut buf)
            .map_err(StreamErr::Init)?;
        zero_row(t, 0, &mut buf);
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
                zero_row(t, start, &mut buf);
                let failed = r.is_err();
                if full_tx.send((buf, r)).is_err() || failed {
                    return;
                }
                start += len as u64;
            }
        });
        // owned by this closure: an early return (a failed write) drops
        // them, which ends the generator, and the scope can join it
        let (full_rx, empty_tx) = (full_rx, empty_tx);
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

/// Draw every tensor of `tensors`, in order, from the sequential generator
/// `rng` (NumPy's or PyTorch's global generator replayed: the order of the
/// tensors is the order of drawing) and keep the values in
/// [`TensorSpec::data`]. Memory for all of them is checked first; on an error
/// nothing is kept.
pub fn draw_sequential<R: nninit::rng::Sequential>(
    tensors: &mut [TensorSpec],
    rng: &mut R,
) -> Result<()> {
    let total = data_bytes(tensors)?;
    check_memory(
        &format!("the {} tensors drawn by rng {}", tensors.len(), rng.name()),
        total,
    )?;
    let mut drawn = Vec::with_capacity(tensors.len());
    for t in tensors.iter() {
        let n = t.numel()? as usize;
        macro_rules! go {
            ($T:ty) => {{
                let mut v = vec![<$T>::default(); n];
                t.init.fill_sequential(&t.shape, t.layout, rng, &mut v)?;
                zero_row(t, 0, &mut v);
                std::sync::Arc::<[u8]>::from(bytemuck::cast_slice::<$T, u8>(&v))
            }};
        }
        drawn.push(match t.dtype {
            DType::F32 => go!(f32),
            DType::F64 => go!(f64),
            DType::BF16 => go!(bf16),
            DType::F16 => go!(f16),
        });
    }
    for (t, d) in tensors.iter_mut().zip(drawn) {
        t.data = Some(d);
    }
    Ok(())
}
