//! Reading tensor files back for `nninit inspect`: `.safetensors` and `.npy`
//! headers, validated with checked arithmetic against the file's real size,
//! then per-tensor statistics streamed chunk by chunk (never the whole file
//! in memory), and the symmetry check of the seed document: a weight matrix
//! whose rows are all equal (zero or constant init).

use half::{bf16, f16};
use nninit::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Largest header we accept (100 MB, as the safetensors crate).
const MAX_HEADER: u64 = 100_000_000;

/// One stored tensor.
#[derive(Debug, Clone, Serialize)]
pub struct TensorStats {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
    /// non-finite elements
    pub nonfinite: u64,
    /// the recorded init expression, if the file carries provenance
    pub init: Option<String>,
    pub layout: Option<String>,
    /// all rows of a rank >= 2 tensor equal (and more than one row)
    pub symmetric: bool,
}

/// A whole file.
#[derive(Debug, Clone, Serialize)]
pub struct FileStats {
    pub path: String,
    pub format: String,
    pub metadata: BTreeMap<String, String>,
    pub tensors: Vec<TensorStats>,
    pub warnings: Vec<String>,
}

struct Entry {
    name: String,
    dtype: String,
    size: usize,
    shape: Vec<usize>,
    start: u64,
    end: u64,
}

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::Data {
        origin: path.display().to_string(),
        line: 0,
        reason: reason.into(),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        action: "cannot read",
        path: path.display().to_string(),
        reason: source,
    }
}

fn dtype_size(d: &str) -> Option<usize> {
    match d {
        "F64" | "<f8" => Some(8),
        "F32" | "<f4" => Some(4),
        "F16" | "BF16" | "<f2" => Some(2),
        _ => None,
    }
}

fn safetensors_entries(
    path: &Path,
    f: &mut std::fs::File,
    file_len: u64,
) -> Result<(Vec<Entry>, BTreeMap<String, String>)> {
    let mut len8 = [0u8; 8];
    f.read_exact(&mut len8)
        .map_err(|_| bad(path, "truncated: shorter than the 8-byte header length"))?;
    let n = u64::from_le_bytes(len8);
    if n > MAX_HEADER || n + 8 > file_len {
        return Err(bad(path, format!("header length {n} does not fit in the file ({file_len} bytes): truncated or not a safetensors file")));
    }
    let mut header = vec![0u8; n as usize];
    f.read_exact(&mut header).map_err(io(path))?;
    let v: serde_json::Value = serde_json::from_slice(&header)
        .map_err(|e| bad(path, format!("header is not valid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad(path, "header is not a JSON object"))?;
    let mut meta = BTreeMap::new();
    let mut entries = Vec::new();
    for (k, val) in obj {
        if k == "__metadata__" {
            if let Some(m) = val.as_object() {
                for (mk, mv) in m {
                    meta.insert(mk.clone(), mv.as_str().unwrap_or_default().to_string());
                }
            }
            continue;
        }
        let dtype = val["dtype"]
            .as_str()
            .ok_or_else(|| bad(path, format!("tensor `{k}` has no dtype")))?
            .to_string();
        let size = dtype_size(&dtype).ok_or_else(|| {
            bad(
                path,
                format!(
                    "tensor `{k}`: dtype {dtype} is not one nninit reads (F64, F32, F16, BF16)"
                ),
            )
        })?;
        let shape: Vec<usize> = serde_json::from_value(val["shape"].clone())
            .map_err(|_| bad(path, format!("tensor `{k}` has no valid shape")))?;
        let offs: Vec<u64> = serde_json::from_value(val["data_offsets"].clone())
            .map_err(|_| bad(path, format!("tensor `{k}` has no valid data_offsets")))?;
        if offs.len() != 2 || offs[0] > offs[1] {
            return Err(bad(
                path,
                format!("tensor `{k}`: invalid data_offsets {offs:?}"),
            ));
        }
        let numel = shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
            .ok_or_else(|| bad(path, format!("tensor `{k}`: shape overflows")))?;
        if numel.checked_mul(size as u64) != Some(offs[1] - offs[0]) {
            return Err(bad(
                path,
                format!(
                    "tensor `{k}`: {} bytes for {numel} elements of {dtype}",
                    offs[1] - offs[0]
                ),
            ));
        }
        let (start, end) = (8 + n + offs[0].min(file_len), 8 + n + offs[1].min(file_len));
        if offs[1] > file_len || end > file_len {
            return Err(bad(
                path,
                format!("tensor `{k}` ends at byte {end} but the file has {file_len}: truncated"),
            ));
        }
        entries.push(Entry {
            name: k.clone(),
            dtype,
            size,
            shape,
            start,
            end,
        });
    }
    entries.sort_by_key(|e| (e.start, e.end));
    // The format's rule (as the safetensors crate enforces it): the tensors
    // tile the data region exactly, with no overlap, no gap and nothing after.
    let mut at = 8 + n;
    for e in &entries {
        if e.start < at {
            return Err(bad(path, format!("tensor `{}` (data bytes {}..{}) overlaps the tensor before it, which ends at {}: the tensors of a safetensors file may not overlap", e.name, e.start - 8 - n, e.end - 8 - n, at - 8 - n)));
        }
        if e.start > at {
            return Err(bad(path, format!("a gap of {} bytes before tensor `{}` (data bytes {}..{}): the tensors of a safetensors file must tile its data without gaps", e.start - at, e.name, e.start - 8 - n, e.end - 8 - n)));
        }
        at = e.end;
    }
    if at != file_len {
        return Err(bad(path, format!("{} bytes after the last tensor: the tensors of a safetensors file must end where the file ends", file_len - at)));
    }
    Ok((entries, meta))
}

fn npy_entry(path: &Path, f: &mut std::fs::File, file_len: u64) -> Result<Entry> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("array")
        .to_string();
    npy_entry_at(path, f, 0, file_len, name)
}

/// The `.npy` array stored in bytes `base .. base + file_len` of `f` (a
/// whole file, or a stored member of an `.npz`), named `name`.
fn npy_entry_at(
    path: &Path,
    f: &mut std::fs::File,
    base: u64,
    file_len: u64,
    name: String,
) -> Result<Entry> {
    // version 1 headers are at most 64 KiB; larger (version 2/3) ones are read whole below
    let mut prefix = vec![0u8; file_len.min(65_536 + 12) as usize];
    f.seek(SeekFrom::Start(base)).map_err(io(path))?;
    f.read_exact(&mut prefix).map_err(io(path))?;
    let h = match super::parse_npy_header(&prefix) {
        Ok(h) => h,
        // a version 2/3 header longer than the prefix: read exactly that much
        Err(super::NpyHeaderError::Truncated { need, .. })
            if need as u64 <= file_len && need as u64 <= MAX_HEADER =>
        {
            let mut all = vec![0u8; need];
            f.seek(SeekFrom::Start(base)).map_err(io(path))?;
            f.read_exact(&mut all).map_err(io(path))?;
            super::parse_npy_header(&all).map_err(|e| bad(path, e.to_string()))?
        }
        Err(super::NpyHeaderError::Truncated { need, .. }) => {
            return Err(bad(
                path,
                format!("the .npy header needs {need} bytes but the file has {file_len} (at most {MAX_HEADER} are read): truncated or not a .npy file"),
            ))
        }
        Err(e) => return Err(bad(path, e.to_string())),
    };
    let size = dtype_size(&h.descr).ok_or_else(|| {
        bad(
            path,
            format!(
                "dtype `{}` is not one nninit reads (<f8, <f4, <f2)",
                h.descr
            ),
        )
    })?;
    if h.fortran_order {
        return Err(bad(path, "Fortran-order arrays are not supported"));
    }
    let numel = h
        .shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
        .ok_or_else(|| bad(path, "shape overflows"))?;
    let start = h.data_offset as u64;
    let end = numel
        .checked_mul(size as u64)
        .and_then(|b| b.checked_add(start))
        .ok_or_else(|| bad(path, "shape overflows"))?;
    if end > file_len {
        return Err(bad(
            path,
            format!("`{name}`: data ends at byte {end} but the array has {file_len}: truncated"),
        ));
    }
    Ok(Entry {
        name,
        dtype: h.descr,
        size,
        shape: h.shape,
        start: base + start,
        end: base + end,
    })
}

/// The arrays of an `.npz` (a zip of `.npy` files, as `np.savez` writes it:
/// stored, not compressed), each read in place from the archive.
fn npz_entries(path: &Path, f: &mut std::fs::File, file_len: u64) -> Result<Vec<Entry>> {
    let clone = f.try_clone().map_err(io(path))?;
    let mut zip = zip::ZipArchive::new(clone)
        .map_err(|e| bad(path, format!("not a valid .npz (zip) file: {e}")))?;
    let mut out = Vec::with_capacity(zip.len().min(1 << 16));
    for i in 0..zip.len() {
        let m = zip
            .by_index_raw(i)
            .map_err(|e| bad(path, format!("zip member {i}: {e}")))?;
        let name = m
            .name()
            .map_err(|e| bad(path, format!("zip member {i} has no valid name: {e}")))?
            .to_string();
        let Some(stem) = name.strip_suffix(".npy") else {
            return Err(bad(path, format!("member `{name}` is not a .npy array")));
        };
        if m.compression() != zip::CompressionMethod::Stored {
            return Err(bad(
                path,
                format!("array `{stem}` is compressed (np.savez_compressed); nninit reads arrays stored as np.savez writes them"),
            ));
        }
        let base = m.data_start().ok_or_else(|| {
            bad(
                path,
                format!("array `{stem}`: the zip gives no data offset"),
            )
        })?;
        let len = m.size();
        if base.checked_add(len).is_none_or(|e| e > file_len) {
            return Err(bad(
                path,
                format!("array `{stem}` runs past the end of the file: truncated"),
            ));
        }
        let stem = stem.to_string();
        drop(m);
        out.push(npy_entry_at(path, f, base, len, stem)?);
    }
    Ok(out)
}

fn decode(dtype: &str, bytes: &[u8], out: &mut Vec<f64>) {
    out.clear();
    match dtype {
        "F64" | "<f8" => out.extend(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8"))),
        ),
        "F32" | "<f4" => out.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4")) as f64),
        ),
        "F16" | "<f2" => out.extend(
            bytes
                .chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f64()),
        ),
        "BF16" => out.extend(
            bytes
                .chunks_exact(2)
                .map(|c| bf16::from_le_bytes([c[0], c[1]]).to_f64()),
        ),
        _ => {}
    }
}

fn stats(path: &Path, f: &mut std::fs::File, e: &Entry) -> Result<TensorStats> {
    f.seek(SeekFrom::Start(e.start)).map_err(io(path))?;
    let numel = (e.end - e.start) / e.size as u64;
    let cols: u64 = if e.shape.len() >= 2 {
        e.shape[1..].iter().map(|&d| d as u64).product()
    } else {
        0
    };
    let rows = if e.shape.len() >= 2 {
        e.shape[0] as u64
    } else {
        0
    };
    let mut first_row: Vec<f64> = Vec::new();
    // a weight matrix: a (n, 1) bias column is not one
    let mut symmetric = rows >= 2 && cols >= 2;
    let (mut sum, mut sumsq, mut min, mut max, mut nonfinite) =
        (0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY, 0u64);
    // a 4 MiB window at most, and no larger than the tensor (a million small
    // tensors must not each allocate and clear 4 MiB)
    let chunk_elems = ((1usize << 22) / e.size).min(numel.max(1) as usize);
    let mut buf = vec![0u8; chunk_elems * e.size];
    let mut vals = Vec::with_capacity(chunk_elems);
    let mut idx = 0u64;
    while idx < numel {
        let k = (numel - idx).min(chunk_elems as u64) as usize;
        f.read_exact(&mut buf[..k * e.size])
            .map_err(|_| bad(path, format!("truncated inside tensor `{}`", e.name)))?;
        decode(&e.dtype, &buf[..k * e.size], &mut vals);
        for (j, &v) in vals.iter().enumerate() {
            let i = idx + j as u64;
            if v.is_finite() {
                sum += v;
                sumsq += v * v;
                min = min.min(v);
                max = max.max(v);
            } else {
                nonfinite += 1;
            }
            if symmetric {
                if i < cols {
                    first_row.push(v);
                } else if first_row[(i % cols) as usize].to_bits() != v.to_bits() {
                    symmetric = false;
                }
            }
        }
        idx += k as u64;
    }
    let n = (numel - nonfinite).max(1) as f64;
    let mean = sum / n;
    Ok(TensorStats {
        name: e.name.clone(),
        dtype: e.dtype.clone(),
        shape: e.shape.clone(),
        mean,
        std: (sumsq / n - mean * mean).max(0.0).sqrt(),
        min: if numel > 0 { min } else { 0.0 },
        max: if numel > 0 { max } else { 0.0 },
        nonfinite,
        init: None,
        layout: None,
        symmetric,
    })
}

/// Statistics of every tensor in a `.safetensors` or `.npy` file.
pub fn inspect(path: &Path) -> Result<FileStats> {
    if path.is_dir() {
        return inspect_dir(path);
    }
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let file_len = f.metadata().map_err(io(path))?.len();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    let (entries, meta, format) = match ext.as_deref() {
        Some("safetensors") => {
            let (e, m) = safetensors_entries(path, &mut f, file_len)?;
            (e, m, "safetensors")
        }
        Some("npy") => (
            vec![npy_entry(path, &mut f, file_len)?],
            BTreeMap::new(),
            "npy",
        ),
        Some("npz") => (npz_entries(path, &mut f, file_len)?, BTreeMap::new(), "npz"),
        _ => {
            return Err(Error::Unsupported(format!(
                "cannot inspect `{}`: nninit reads .safetensors, .npy and .npz files and checkpoint directories",
                path.display()
            )))
        }
    };
    let mut tensors = Vec::with_capacity(entries.len());
    let mut warnings = Vec::new();
    for e in &entries {
        let mut s = stats(path, &mut f, e)?;
        s.init = meta.get(&format!("init.{}", e.name)).cloned();
        s.layout = meta.get(&format!("layout.{}", e.name)).cloned();
        if s.symmetric {
            warnings.push(format!(
                "`{}`: all {} rows are equal (a zero or constant init): every unit computes the same value and gets the same gradient, so they never differ (the symmetry problem); use a random init",
                s.name, s.shape[0]
            ));
        }
        if s.nonfinite > 0 {
            warnings.push(format!("`{}`: {} non-finite values", s.name, s.nonfinite));
        }
        tensors.push(s);
    }
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(FileStats {
        path: path.display().to_string(),
        format: format.into(),
        metadata: meta,
        tensors,
        warnings,
    })
}

/// A checkpoint directory: a Hugging Face `model.safetensors.index.json`
/// with its shards (every tensor listed once, each found in the shard the
/// index names), or else every `.safetensors`/`.npy` file in it. One
/// [`FileStats`] over all tensors, warnings included.
fn inspect_dir(dir: &Path) -> Result<FileStats> {
    let index = dir.join("model.safetensors.index.json");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    let mut expect: Option<BTreeMap<String, String>> = None;
    if index.exists() {
        let text = std::fs::read(&index).map_err(io(&index))?;
        if text.len() as u64 > MAX_HEADER {
            return Err(bad(&index, format!("larger than {MAX_HEADER} bytes")));
        }
        let v: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| bad(&index, format!("not valid JSON: {e}")))?;
        let map = v["weight_map"]
            .as_object()
            .ok_or_else(|| bad(&index, "no `weight_map` object"))?;
        let mut wm = BTreeMap::new();
        for (k, f) in map {
            let f = f
                .as_str()
                .ok_or_else(|| bad(&index, format!("`{k}` maps to {f}, not a file name")))?;
            if f.contains(['/', '\\']) || f.starts_with('.') {
                return Err(bad(
                    &index,
                    format!("`{k}` maps to `{f}`, which is not a file in the directory"),
                ));
            }
            wm.insert(k.clone(), f.to_string());
        }
        let mut uniq: Vec<&String> = wm.values().collect();
        uniq.sort();
        uniq.dedup();
        files = uniq.into_iter().map(|f| dir.join(f)).collect();
        expect = Some(wm);
    } else {
        let rd = std::fs::read_dir(dir).map_err(io(dir))?;
        for e in rd {
            let p = e.map_err(io(dir))?.path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if p.is_file() && matches!(ext, "safetensors" | "npy") {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(bad(
                dir,
                "no model.safetensors.index.json, .safetensors or .npy file in the directory",
            ));
        }
    }
    let mut all = FileStats {
        path: dir.display().to_string(),
        format: if expect.is_some() {
            "safetensors-index"
        } else {
            "directory"
        }
        .into(),
        metadata: BTreeMap::new(),
        tensors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for p in &files {
        let fs = inspect(p)?;
        let fname = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        for t in fs.tensors {
            if let Some(other) = seen.insert(t.name.clone(), fname.clone()) {
                return Err(bad(
                    dir,
                    format!("tensor `{}` is in both `{other}` and `{fname}`", t.name),
                ));
            }
            if let Some(wm) = &expect {
                match wm.get(&t.name) {
                    Some(f) if *f == fname => {}
                    Some(f) => {
                        return Err(bad(
                            dir,
                            format!(
                                "tensor `{}` is in `{fname}` but the index names `{f}`",
                                t.name
                            ),
                        ))
                    }
                    None => {
                        return Err(bad(
                            dir,
                            format!("tensor `{}` in `{fname}` is not in the index", t.name),
                        ))
                    }
                }
            }
            all.tensors.push(t);
        }
        all.warnings.extend(fs.warnings);
        for (k, v) in fs.metadata {
            all.metadata.entry(k).or_insert(v);
        }
    }
    if let Some(wm) = &expect {
        if let Some((k, f)) = wm.iter().find(|(k, _)| !seen.contains_key(*k)) {
            return Err(bad(
                dir,
                format!("the index lists `{k}` in `{f}`, which does not hold it"),
            ));
        }
    }
    all.tensors.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}
