//! Datasets: the bundled 8x8 digits and users' CSV files.
//!
//! The digits (1797 samples, 64 pixels 0..16, 10 classes; UCI "Optical
//! Recognition of Handwritten Digits", Alpaydin & Kaynak 1998, CC BY 4.0, as
//! shipped in scikit-learn) are embedded in the library, so nothing is read
//! from outside the repository. `data/README.md` gives source and checksum.

use flate2::read::GzDecoder;
use ndarray::Array2;
use nninit::error::{Error, Result};
use nninit::rng::{Stream, Tag};
use std::io::Read;
use std::path::Path;

static DIGITS_GZ: &[u8] = include_bytes!("../../../data/digits.csv.gz");

/// A labelled dataset: `x` is `[samples, features]`, `y` class indices.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub x: Array2<f32>,
    pub y: Vec<usize>,
    pub classes: usize,
    pub name: String,
}

fn data_err(source: &str, line: usize, reason: String) -> Error {
    Error::Data {
        origin: source.to_string(),
        line,
        reason,
    }
}

/// Parse CSV text: numeric cells, last column an integer class label >= 0.
/// A first line that is not numeric is taken as a header.
pub fn parse_csv(text: &str, source: &str) -> Result<Dataset> {
    let mut rows: Vec<Vec<f32>> = Vec::new();
    let mut labels = Vec::new();
    let mut width = None;
    // a UTF-8 byte-order mark (Excel writes one) is not part of the first cell
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(|c| c.trim()).collect();
        let parsed: std::result::Result<Vec<f64>, _> =
            cells.iter().map(|c| c.parse::<f64>()).collect();
        let vals = match parsed {
            Ok(v) => v,
            Err(_) if i == 0 => continue, // header
            Err(_) => {
                let bad = cells
                    .iter()
                    .find(|c| c.parse::<f64>().is_err())
                    .copied()
                    .unwrap_or("");
                return Err(data_err(
                    source,
                    i + 1,
                    format!("cell `{bad}` is not a number"),
                ));
            }
        };
        if vals.len() < 2 {
            return Err(data_err(
                source,
                i + 1,
                "a row needs at least one feature and a label".into(),
            ));
        }
        match width {
            None => width = Some(vals.len()),
            Some(w) if w != vals.len() => {
                return Err(data_err(
                    source,
                    i + 1,
                    format!("{} columns, but the first row has {w}", vals.len()),
                ))
            }
            _ => {}
        }
        let label = *vals.last().expect("len >= 2");
        if label < 0.0 || label.fract() != 0.0 || label > 1e6 {
            return Err(data_err(
                source,
                i + 1,
                format!("label `{label}` is not a class index (a whole number >= 0)"),
            ));
        }
        if let Some((col, v)) = vals.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(data_err(
                source,
                i + 1,
                format!("column {}: value `{v}` is not finite", col + 1),
            ));
        }
        if let Some((col, v)) = vals[..vals.len() - 1]
            .iter()
            .enumerate()
            .find(|(_, v)| v.abs() > f32::MAX as f64)
        {
            return Err(data_err(
                source,
                i + 1,
                format!(
                    "column {}: value `{v}` is beyond float32's range (+-{:e}); features are trained in float32",
                    col + 1,
                    f32::MAX
                ),
            ));
        }
        labels.push(label as usize);
        rows.push(vals[..vals.len() - 1].iter().map(|&v| v as f32).collect());
    }
    let Some(w) = width else {
        return Err(data_err(source, 0, "no data rows".into()));
    };
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    if classes < 2 {
        return Err(data_err(
            source,
            0,
            "labels must cover at least two classes".into(),
        ));
    }
    let x = Array2::from_shape_vec((rows.len(), w - 1), rows.concat()).expect("rectangular");
    Ok(Dataset {
        x,
        y: labels,
        classes,
        name: source.to_string(),
    })
}

/// The bundled digits, pixels as given (0..16).
pub fn digits() -> Dataset {
    let mut text = String::new();
    GzDecoder::new(DIGITS_GZ)
        .read_to_string(&mut text)
        .expect("the embedded digits are valid gzip (checked by tests)");
    let mut d =
        parse_csv(&text, "digits").expect("the embedded digits are valid CSV (checked by tests)");
    d.name = "digits".into();
    d
}

/// Largest inflated size of one `.npz` array read as a dataset (4 GiB).
pub const MAX_NPZ_MEMBER: u64 = 4 << 30;

/// Read an `.npz` with arrays `x` (`[samples, features...]`, flattened to 2-D)
/// and `y` (`[samples]` integer class labels).
pub fn parse_npz(bytes: &[u8], source: &str) -> Result<Dataset> {
    parse_npz_limited(bytes, source, MAX_NPZ_MEMBER)
}

fn parse_npz_limited(bytes: &[u8], source: &str, max_member: u64) -> Result<Dataset> {
    let fail = |reason: String| data_err(source, 0, reason);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| fail(format!("not a valid .npz (zip) file: {e}")))?;
    // every member's header against its zip entry's declared size before
    // any member is inflated: a well-formed 1 GiB `x` beside a `y` whose
    // header claims millions of values in 118 bytes is refused at once,
    // not after `x` was inflated
    for name in ["x", "y"] {
        let mut f = match zip.by_name(&format!("{name}.npy")) {
            Ok(f) => f,
            Err(_) => continue, // reported as missing below
        };
        let declared = f.size();
        let mut head: Vec<u8> = Vec::new();
        let h = loop {
            match nninit_io::parse_npy_header(&head) {
                Ok(h) => break h,
                Err(nninit_io::NpyHeaderError::Truncated { need, .. })
                    if (need as u64) <= declared && need <= 1 << 20 =>
                {
                    let more = (need - head.len()) as u64;
                    let got = (&mut f)
                        .take(more)
                        .read_to_end(&mut head)
                        .map_err(|e| fail(format!("cannot read array `{name}`: {e}")))?;
                    if (got as u64) < more {
                        return Err(fail(format!(
                            "array `{name}` ends inside its .npy header: the file is corrupt"
                        )));
                    }
                }
                Err(e) => return Err(fail(format!("array `{name}`: {e}"))),
            }
        };
        let n = nninit::init::checked_numel(&h.shape)
            .map_err(|e| fail(format!("array `{name}`: {e}")))?;
        let item = nninit_io::npy_item_size(&h.descr).ok_or_else(|| {
            fail(format!(
                "array `{name}`: dtype `{}` is not supported (little-endian floats and integers are)",
                h.descr
            ))
        })?;
        let want = n
            .checked_mul(item as u64)
            .and_then(|b| b.checked_add(h.data_offset as u64));
        if want != Some(declared) {
            return Err(fail(format!(
                "array `{name}`: its header declares {n} values of `{}` ({} with the header), but its zip entry holds {}: the file is corrupt or hostile",
                h.descr,
                want.map_or("more than 2^64 bytes".into(), nninit::error::format_bytes),
                nninit::error::format_bytes(declared)
            )));
        }
    }
    let mut array = |name: &str| -> Result<(Vec<usize>, Vec<f64>)> {
        let mut f = zip.by_name(&format!("{name}.npy")).map_err(|_| {
            fail(format!(
                "no array `{name}`; a dataset .npz needs arrays `x` (features) and `y` (labels)"
            ))
        })?;
        // the member's declared (inflated) size is checked against a limit
        // and the memory available before a byte is inflated, and inflating
        // stops at that size: a small compressed file cannot grow without bound
        let declared = f.size();
        if declared > max_member {
            return Err(fail(format!(
                "array `{name}` declares {} when inflated; at most {} per array is read",
                nninit::error::format_bytes(declared),
                nninit::error::format_bytes(max_member)
            )));
        }
        nninit_io::check_memory(&format!("{source}: array `{name}`"), declared)?;
        let mut buf = Vec::new();
        (&mut f)
            .take(declared + 1)
            .read_to_end(&mut buf)
            .map_err(|e| fail(format!("cannot read array `{name}`: {e}")))?;
        if buf.len() as u64 != declared {
            return Err(fail(format!(
                "array `{name}` inflates to {} but its zip entry declares {}: the file is corrupt",
                if buf.len() as u64 > declared {
                    "more".to_string()
                } else {
                    nninit::error::format_bytes(buf.len() as u64)
                },
                nninit::error::format_bytes(declared)
            )));
        }
        let h =
            nninit_io::parse_npy_header(&buf).map_err(|e| fail(format!("array `{name}`: {e}")))?;
        let n = nninit::init::checked_numel(&h.shape)
            .map_err(|e| fail(format!("array `{name}`: {e}")))? as usize;
        // decoded as f64, then kept as f32: 12 bytes per value
        nninit_io::check_memory(
            &format!("{source}: array `{name}` ({n} values)"),
            (n as u64).saturating_mul(12),
        )?;
        if h.fortran_order {
            return Err(fail(format!(
                "array `{name}` is Fortran-ordered; save it C-ordered (np.ascontiguousarray)"
            )));
        }
        let vals = nninit_io::decode_npy(&h.descr, &buf[h.data_offset..])
            .map_err(|e| fail(format!("array `{name}`: {e}")))?;
        if vals.len() != n {
            return Err(fail(format!(
                "array `{name}` is truncated: {} of {n} values",
                vals.len()
            )));
        }
        Ok((h.shape, vals))
    };
    let (xs, xv) = array("x")?;
    let (ys, yv) = array("y")?;
    if xs.len() < 2 || ys.len() != 1 || xs[0] != ys[0] || xs[0] == 0 {
        return Err(fail(format!("x must be [samples, features...] and y [samples] with the same number of samples; got x {xs:?}, y {ys:?}")));
    }
    if let Some((i, v)) = yv
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.fract() == 0.0 && **v >= 0.0 && **v <= 1e6))
    {
        return Err(fail(format!(
            "label y[{i}] = {v} is not a class index (a whole number >= 0)"
        )));
    }
    if let Some(i) = xv.iter().position(|v| !v.is_finite()) {
        return Err(fail(format!("x has a non-finite value at flat index {i}")));
    }
    if let Some(i) = xv.iter().position(|v| v.abs() > f32::MAX as f64) {
        return Err(fail(format!(
            "x[{i}] (flat index) = {:e} is beyond float32's range; features are trained in float32",
            xv[i]
        )));
    }
    let y: Vec<usize> = yv.iter().map(|&v| v as usize).collect();
    let classes = y.iter().max().map_or(0, |m| m + 1);
    if classes < 2 {
        return Err(fail("labels must cover at least two classes".into()));
    }
    let features = xv.len() / xs[0];
    Ok(Dataset {
        x: Array2::from_shape_vec(
            (xs[0], features),
            xv.into_iter().map(|v| v as f32).collect(),
        )
        .expect("n*features"),
        y,
        classes,
        name: source.to_string(),
    })
}

/// Where Debian's `dataset-fashion-mnist` package puts the IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

fn read_gz(path: &Path) -> Result<Vec<u8>> {
    let f = std::fs::File::open(path).map_err(|source| Error::Io {
        action: "cannot read",
        path: path.display().to_string(),
        reason: source,
    })?;
    let mut out = Vec::new();
    GzDecoder::new(f).read_to_end(&mut out).map_err(|e| {
        data_err(
            &path.display().to_string(),
            0,
            format!("not valid gzip: {e}"),
        )
    })?;
    Ok(out)
}

/// An IDX file (LeCun's MNIST format): big-endian magic `0x0000_08_nd`
/// (unsigned bytes, `nd` dimensions), the dimensions, then the data.
fn parse_idx<'a>(bytes: &'a [u8], origin: &str) -> Result<(Vec<usize>, &'a [u8])> {
    let fail = |r: String| data_err(origin, 0, r);
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 {
        return Err(fail("not an IDX file of unsigned bytes".into()));
    }
    let nd = bytes[3] as usize;
    let head = 4 + 4 * nd;
    if bytes.len() < head {
        return Err(fail("truncated IDX header".into()));
    }
    let dims: Vec<usize> = (0..nd)
        .map(|i| {
            u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let n: usize = dims.iter().product();
    if bytes.len() < head + n {
        return Err(fail(format!(
            "truncated IDX data: {} of {n} bytes",
            bytes.len() - head
        )));
    }
    Ok((dims, &bytes[head..head + n]))
}

/// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017; MIT licence, Zalando) from the IDX
/// files in `dir`: (train 60,000, test 10,000), 784 pixels 0..255, 10 classes.
pub fn fashion_mnist(dir: &Path) -> Result<(Dataset, Dataset)> {
    if !dir.join("train-images-idx3-ubyte.gz").exists() {
        return Err(Error::Unsupported(format!(
            "Fashion-MNIST is not in `{}`: install Debian's package (apt-get install dataset-fashion-mnist) or set NNINIT_FASHION_MNIST to a directory with its four IDX .gz files",
            dir.display()
        )));
    }
    let part = |images: &str, labels: &str| -> Result<Dataset> {
        let (ip, lp) = (dir.join(images), dir.join(labels));
        let (ib, lb) = (read_gz(&ip)?, read_gz(&lp)?);
        let (idims, ix) = parse_idx(&ib, &ip.display().to_string())?;
        let (ldims, ly) = parse_idx(&lb, &lp.display().to_string())?;
        if idims.len() != 3 || ldims.len() != 1 || idims[0] != ldims[0] {
            return Err(data_err(
                &ip.display().to_string(),
                0,
                format!("image dims {idims:?} and label dims {ldims:?} do not match"),
            ));
        }
        let features = idims[1] * idims[2];
        Ok(Dataset {
            x: Array2::from_shape_vec((idims[0], features), ix.iter().map(|&v| v as f32).collect())
                .expect("n*features"),
            y: ly.iter().map(|&v| v as usize).collect(),
            classes: 10,
            name: "fashion-mnist".into(),
        })
    };
    Ok((
        part("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")?,
        part("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")?,
    ))
}

/// Train and test sets for `spec`, standardized with the training set's
/// statistics: Fashion-MNIST keeps its official split; everything else gets
/// a seeded, stratified 75/25 split ([`split`]).
pub fn load_split(spec: &str, seed: u64) -> Result<(Dataset, Dataset)> {
    let (mut tr, mut te) = if spec.eq_ignore_ascii_case("fashion-mnist")
        || spec.eq_ignore_ascii_case("fashion_mnist")
    {
        let dir = std::env::var_os("NNINIT_FASHION_MNIST")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| FASHION_MNIST_DIR.into());
        fashion_mnist(&dir)?
    } else {
        let d = load(spec)?;
        let (tr, te) = split(&d, 0.25, seed);
        if tr.y.is_empty() || te.y.is_empty() {
            return Err(data_err(
                &d.name,
                0,
                format!(
                    "{} samples leave {} for training and {} for testing (a quarter is held out): give at least 4",
                    d.y.len(),
                    tr.y.len(),
                    te.y.len()
                ),
            ));
        }
        (tr, te)
    };
    standardize(&mut tr, &mut te);
    Ok((tr, te))
}

/// Load a dataset by name (`digits`), from a `.csv` file (last column =
/// label) or an `.npz` (arrays `x`, `y`).
pub fn load(spec: &str) -> Result<Dataset> {
    if spec.eq_ignore_ascii_case("digits") {
        return Ok(digits());
    }
    let path = Path::new(spec);
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
    {
        Some(e) if e == "csv" => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                action: "cannot read",
                path: spec.to_string(),
                reason: source,
            })?;
            parse_csv(&text, spec)
        }
        Some(e) if e == "npz" => {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                action: "cannot read",
                path: spec.to_string(),
                reason: source,
            })?;
            parse_npz(&bytes, spec)
        }
        _ => Err(Error::UnknownName {
            what: "dataset",
            name: spec.to_string(),
            suggestion: None,
            allowed: vec![
                "digits".into(),
                "a path to a .csv file (last column = label)".into(),
            ],
        }),
    }
}

/// A seeded, stratified split: in every class, a `test_frac` share goes to
/// the test set. Returns (train, test).
pub fn split(d: &Dataset, test_frac: f64, seed: u64) -> (Dataset, Dataset) {
    let stream = Stream::new(seed, "split");
    let mut train = Vec::new();
    let mut test = Vec::new();
    for c in 0..d.classes {
        let mut idx: Vec<usize> = (0..d.y.len()).filter(|&i| d.y[i] == c).collect();
        idx.sort_by_key(|&i| (stream.block(Tag::Uniform, i as u64, 0)[0], i));
        let n_test = (idx.len() as f64 * test_frac).round() as usize;
        test.extend_from_slice(&idx[..n_test]);
        train.extend_from_slice(&idx[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (subset(d, &train), subset(d, &test))
}

/// Rows `idx` of `d`.
pub fn subset(d: &Dataset, idx: &[usize]) -> Dataset {
    let x = d.x.select(ndarray::Axis(0), idx);
    Dataset {
        x,
        y: idx.iter().map(|&i| d.y[i]).collect(),
        classes: d.classes,
        name: d.name.clone(),
    }
}

/// Standardize features with the mean and std of `train` (constant features
/// are centred only), applied to both sets.
pub fn standardize(train: &mut Dataset, test: &mut Dataset) {
    let n = train.x.nrows() as f32;
    for j in 0..train.x.ncols() {
        let col = train.x.column(j);
        let m = col.sum() / n;
        let s = (col.iter().map(|v| (v - m) * (v - m)).sum::<f32>() / n).sqrt();
        let s = if s > 1e-6 { s } else { 1.0 };
        train.x.column_mut(j).mapv_inplace(|v| (v - m) / s);
        test.x.column_mut(j).mapv_inplace(|v| (v - m) / s);
    }
}

/// `n` rows of `d` (all if n >= rows), chosen by a seeded shuffle.
pub fn sample_rows(d: &Dataset, n: usize, seed: u64) -> Dataset {
    let mut idx: Vec<usize> = (0..d.y.len()).collect();
    let s = Stream::new(seed, "sample_rows");
    idx.sort_by_key(|&i| (s.block(Tag::Uniform, i as u64, 0)[0], i));
    idx.truncate(n.min(d.y.len()));
    subset(d, &idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_shape_and_classes() {
        let d = digits();
        assert_eq!(d.x.dim(), (1797, 64));
        assert_eq!(d.classes, 10);
        for c in 0..10 {
            let n = d.y.iter().filter(|&&y| y == c).count();
            assert!((170..=190).contains(&n), "class {c}: {n}");
        }
        assert!(d.x.iter().all(|&v| (0.0..=16.0).contains(&v)));
    }

    #[test]
    fn split_is_stratified_and_seeded() {
        let d = digits();
        let (tr, te) = split(&d, 0.25, 0);
        assert_eq!(tr.y.len() + te.y.len(), 1797);
        for c in 0..10 {
            let a = te.y.iter().filter(|&&y| y == c).count() as f64;
            let b = d.y.iter().filter(|&&y| y == c).count() as f64;
            assert!((a / b - 0.25).abs() < 0.01);
        }
        let (_, te2) = split(&d, 0.25, 0);
        assert_eq!(te.y, te2.y);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = parse_csv("1,2,0\n1,2\n", "f.csv").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("columns"), "{e}");
        let e = parse_csv("a,b,label\n1,x,0\n", "f.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("`x`"), "{e}");
        let e = parse_csv("1,2,-1\n", "f.csv").unwrap_err().to_string();
        assert!(e.contains("label"), "{e}");
    }

    fn npz(arrays: &[(&str, &str, &[usize], Vec<u8>)]) -> Vec<u8> {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            for (name, descr, shape, data) in arrays {
                z.start_file(
                    format!("{name}.npy"),
                    zip::write::SimpleFileOptions::default(),
                )
                .unwrap();
                let mut h = nninit_io::npy_header(nninit::DType::F32, shape).unwrap();
                // patch the descr for integer arrays (same length as "<f4")
                let pos = h.windows(3).position(|w| w == b"<f4").unwrap();
                h[pos..pos + 3].copy_from_slice(descr.as_bytes());
                z.write_all(&h).unwrap();
                z.write_all(data).unwrap();
            }
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn npz_datasets() {
        let x: Vec<u8> = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let y: Vec<u8> = [0i32, 1, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
        let d = parse_npz(
            &npz(&[
                ("x", "<f4", &[3, 2], x.clone()),
                ("y", "<i4", &[3], y.clone()),
            ]),
            "d.npz",
        )
        .unwrap();
        assert_eq!(d.x.dim(), (3, 2));
        assert_eq!(d.y, vec![0, 1, 1]);
        assert_eq!(d.classes, 2);
        let e = parse_npz(&npz(&[("x", "<f4", &[3, 2], x.clone())]), "d.npz")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no array `y`"), "{e}");
        let e = parse_npz(
            &npz(&[
                ("x", "<f4", &[3, 2], x.clone()),
                ("y", "<i4", &[2], y[..8].to_vec()),
            ]),
            "d.npz",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("same number of samples"), "{e}");
        let neg: Vec<u8> = [0i32, -1, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
        let e = parse_npz(
            &npz(&[("x", "<f4", &[3, 2], x), ("y", "<i4", &[3], neg)]),
            "d.npz",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("y[1]"), "{e}");
        assert!(parse_npz(b"not a zip", "d.npz")
            .unwrap_err()
            .to_string()
            .contains("not a valid .npz"));
    }

    /// A zip bomb: 64 MiB of zeros deflated to about 64 kB, its entry
    /// declaring 4096 bytes. Inflating stops at the declared size (never 64
    /// MiB of memory), and a declared size over the limit is refused before
    /// any inflating.
    #[test]
    fn npz_members_are_inflated_only_to_their_declared_size() {
        use std::io::Write;
        let rows = 8 << 20;
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let deflate = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            z.start_file("x.npy", deflate).unwrap();
            z.write_all(&nninit_io::npy_header(nninit::DType::F32, &[rows, 2]).unwrap())
                .unwrap();
            z.write_all(&vec![0u8; rows * 8]).unwrap();
            z.start_file("y.npy", deflate).unwrap();
            z.write_all(&nninit_io::npy_header(nninit::DType::F32, &[rows]).unwrap())
                .unwrap();
            z.write_all(&vec![0u8; rows * 4]).unwrap();
            z.finish().unwrap();
        }
        let honest = buf.into_inner();
        assert!(honest.len() < 1 << 20, "{} bytes", honest.len());
        let e = parse_npz_limited(&honest, "bomb.npz", 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("array `x` declares 67.1 MB") && e.contains("at most 1.0 MB"),
            "{e}"
        );
        // the same file lying about its size: 4096 in the local and central headers
        let mut lying = honest.clone();
        let declared = (rows * 8 + 128) as u32;
        let mut patched = 0;
        for sig in [[0x50u8, 0x4b, 3, 4], [0x50, 0x4b, 1, 2]] {
            let at = if sig[2] == 3 { 22 } else { 24 };
            let pos = lying.windows(4).position(|w| w == sig).unwrap();
            let field = &mut lying[pos + at..pos + at + 4];
            assert_eq!(u32::from_le_bytes(field.try_into().unwrap()), declared);
            field.copy_from_slice(&4096u32.to_le_bytes());
            patched += 1;
        }
        assert_eq!(patched, 2);
        let e = parse_npz(&lying, "bomb.npz").unwrap_err().to_string();
        assert!(
            e.contains("array `x`: its header declares 16777216 values") && e.contains("4.1 kB"),
            "{e}"
        );
    }

    /// `x` is well formed but its data is corrupt (a CRC error once fully
    /// inflated); `y`'s header declares 67 million values in a 128-byte
    /// entry (its header alone). The `y` lie is reported: every header is checked against its
    /// entry's size before any member is inflated.
    #[test]
    fn npz_headers_are_checked_before_any_member_is_inflated() {
        use std::io::Write;
        let mut buf = std::io::Cursor::new(Vec::new());
        let x_data = vec![7u8; 4096 * 8];
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let stored = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            z.start_file("x.npy", stored).unwrap();
            z.write_all(&nninit_io::npy_header(nninit::DType::F32, &[4096, 2]).unwrap())
                .unwrap();
            z.write_all(&x_data).unwrap();
            z.start_file("y.npy", stored).unwrap();
            let h = nninit_io::npy_header(nninit::DType::F32, &[67_108_864]).unwrap();
            assert_eq!(h.len(), 128);
            z.write_all(&h).unwrap(); // the header and no data
            z.finish().unwrap();
        }
        let mut bytes = buf.into_inner();
        // corrupt one byte of x's data: inflating x would fail its CRC
        let at = bytes.windows(64).position(|w| w == &x_data[..64]).unwrap() + 1000;
        bytes[at] ^= 1;
        let e = parse_npz(&bytes, "hostile.npz").unwrap_err().to_string();
        assert!(
            e.contains("array `y`: its header declares 67108864 values") && e.contains("128 bytes"),
            "{e}"
        );
        // inflating x would have failed (so x was not inflated first)
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let mut all = Vec::new();
        assert!(zip.by_name("x.npy").unwrap().read_to_end(&mut all).is_err());
    }

    #[test]
    fn idx_files() {
        let mut b = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3];
        b.extend(0u8..12);
        let (dims, data) = parse_idx(&b, "x").unwrap();
        assert_eq!(dims, vec![2, 2, 3]);
        assert_eq!(data.len(), 12);
        assert!(parse_idx(&b[..20], "x")
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        assert!(parse_idx(&[0, 0, 9, 1], "x").is_err());
        let e = fashion_mnist(Path::new("/nonexistent"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("apt-get install dataset-fashion-mnist"), "{e}");
    }
}
