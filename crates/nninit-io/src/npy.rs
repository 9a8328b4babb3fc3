//! The `.npy` header (NumPy format 1.0/3.0: magic, version, little-endian
//! header length, a Python dict literal padded with spaces to a multiple of 64
//! bytes and ended by a newline). bf16 has no NumPy dtype: that is an error
//! pointing to `.safetensors`.

use nninit::dtype::DType;
use nninit::error::{Error, Result};

/// The header bytes of a C-order array of `dtype` and `shape`.
pub fn npy_header(dtype: DType, shape: &[usize]) -> Result<Vec<u8>> {
    let descr = match dtype {
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::F16 => "<f2",
        DType::BF16 => {
            return Err(Error::Unsupported(
                "NumPy has no bfloat16 dtype, so bf16 cannot be written to .npy; write .safetensors instead (PyTorch, JAX and ml_dtypes read bf16 from it)".into(),
            ))
        }
    };
    let shape_s = match shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_s}, }}");
    // magic(6) + version(2) + len(2 or 4) + dict + padding + '\n', total % 64 == 0
    let (version, len_bytes) = if dict.len() + 11 < 65_536 {
        (1u8, 2)
    } else {
        (3u8, 4)
    };
    let unpadded = 6 + 2 + len_bytes + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    let hlen = dict.len() + pad + 1;
    let mut h = Vec::with_capacity(unpadded + pad);
    h.extend_from_slice(b"\x93NUMPY");
    h.extend_from_slice(&[version, 0]);
    if len_bytes == 2 {
        h.extend_from_slice(&(hlen as u16).to_le_bytes());
    } else {
        h.extend_from_slice(&(hlen as u32).to_le_bytes());
    }
    h.extend_from_slice(dict.as_bytes());
    h.extend(std::iter::repeat_n(b' ', pad));
    h.push(b'\n');
    Ok(h)
}

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyHeader {
    /// NumPy type string, e.g. `<f4`, `<i8`, `|u1`.
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Bytes before the data.
    pub data_offset: usize,
}

/// Why a `.npy` header could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NpyHeaderError {
    /// The bytes end before the header does: read at least `need` bytes and retry.
    #[error("truncated .npy header: it needs {need} bytes, {have} are there")]
    Truncated { need: usize, have: usize },
    /// Not a `.npy` header, or one nninit does not read.
    #[error("{0}")]
    Invalid(String),
}

/// Parse the header at the start of `bytes` (versions 1 to 3). The dict is
/// read by a small parser of the Python literals NumPy writes (strings,
/// `True`/`False`, integers, tuples), with the keys NumPy requires
/// (`descr`, `fortran_order`, `shape`) and no others, so spacing, key order
/// and quoting do not matter.
pub fn parse_npy_header(bytes: &[u8]) -> std::result::Result<NpyHeader, NpyHeaderError> {
    let invalid = |s: String| NpyHeaderError::Invalid(s);
    let truncated = |need: usize| NpyHeaderError::Truncated {
        need,
        have: bytes.len(),
    };
    if bytes.len() < 6 || &bytes[..6] != b"\x93NUMPY" {
        if bytes.len() < 6 && b"\x93NUMPY".starts_with(bytes) {
            return Err(truncated(10));
        }
        return Err(invalid("not a .npy array (bad magic)".into()));
    }
    if bytes.len() < 10 {
        return Err(truncated(10));
    }
    let (hlen, skip): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err(truncated(12));
            }
            let n = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
            (n, 12)
        }
        v => {
            return Err(invalid(format!(
                "unsupported .npy version {v} (1, 2 and 3 are)"
            )))
        }
    };
    let end = skip + hlen;
    if end > bytes.len() {
        return Err(truncated(end));
    }
    let text = std::str::from_utf8(&bytes[skip..end])
        .map_err(|_| invalid("the .npy header is not UTF-8 text".into()))?;
    let dict = literal::parse_dict(text)
        .map_err(|e| invalid(format!("bad .npy header `{}`: {e}", text.trim_end())))?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (k, v) in dict {
        match (k.as_str(), v) {
            ("descr", literal::Value::Str(s)) => descr = Some(s),
            ("descr", _) => return Err(invalid("structured .npy dtypes are not supported (descr must be a type string such as '<f4')".into())),
            ("fortran_order", literal::Value::Bool(b)) => fortran_order = Some(b),
            ("shape", literal::Value::Tuple(dims)) => shape = Some(dims),
            (k @ ("fortran_order" | "shape"), v) => {
                return Err(invalid(format!("bad .npy header: `{k}` is {v:?}")))
            }
            (k, _) => return Err(invalid(format!("bad .npy header: unexpected key `{k}` (NumPy writes descr, fortran_order, shape)"))),
        }
    }
    let missing = |k: &str| invalid(format!("bad .npy header: no `{k}`"));
    Ok(NpyHeader {
        descr: descr.ok_or_else(|| missing("descr"))?,
        fortran_order: fortran_order.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
        data_offset: end,
    })
}

/// The Python literals of a `.npy` header dict.
mod literal {
    /// A value in the header dict.
    #[derive(Debug, Clone, PartialEq)]
    pub(super) enum Value {
        Str(String),
        Bool(bool),
        Tuple(Vec<usize>),
    }

    struct P<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl P<'_> {
        fn ws(&mut self) {
            while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }
        fn peek(&mut self) -> Option<u8> {
            self.ws();
            self.s.get(self.i).copied()
        }
        fn eat(&mut self, c: u8) -> Result<(), String> {
            match self.peek() {
                Some(x) if x == c => {
                    self.i += 1;
                    Ok(())
                }
                Some(x) => Err(format!(
                    "expected `{}` at byte {}, found `{}`",
                    c as char, self.i, x as char
                )),
                None => Err(format!("expected `{}`, found the end", c as char)),
            }
        }
        fn string(&mut self) -> Result<String, String> {
            let q = self.peek().ok_or("expected a string, found the end")?;
            if q != b'\'' && q != b'"' {
                return Err(format!("expected a quoted string at byte {}", self.i));
            }
            self.i += 1;
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i] != q {
                if self.s[self.i] == b'\\' {
                    return Err("escapes are not supported in header strings".into());
                }
                self.i += 1;
            }
            if self.i >= self.s.len() {
                return Err("unterminated string".into());
            }
            let v = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
            self.i += 1;
            Ok(v)
        }
        fn word(&mut self) -> &[u8] {
            self.ws();
            let start = self.i;
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
            {
                self.i += 1;
            }
            &self.s[start..self.i]
        }
        /// Everything up to the next separator (a dimension, however malformed).
        fn token(&mut self) -> &[u8] {
            self.ws();
            let start = self.i;
            while self.i < self.s.len()
                && !matches!(self.s[self.i], b',' | b')' | b'}')
                && !self.s[self.i].is_ascii_whitespace()
            {
                self.i += 1;
            }
            &self.s[start..self.i]
        }
        fn value(&mut self) -> Result<Value, String> {
            match self.peek() {
                Some(b'\'' | b'"') => self.string().map(Value::Str),
                Some(b'(') => {
                    self.i += 1;
                    let mut dims = Vec::new();
                    loop {
                        if self.peek() == Some(b')') {
                            self.i += 1;
                            return Ok(Value::Tuple(dims));
                        }
                        let w = self.token();
                        let t = std::str::from_utf8(w).unwrap_or("");
                        let t = t.strip_suffix('L').unwrap_or(t);
                        let d = t.parse::<usize>().map_err(|_| {
                            format!("bad dimension `{}`", String::from_utf8_lossy(w))
                        })?;
                        dims.push(d);
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(b')') => {}
                            _ => return Err("expected `,` or `)` in the shape".into()),
                        }
                    }
                }
                Some(b'[') => Err("a list (structured dtype)".into()),
                _ => match self.word() {
                    b"True" => Ok(Value::Bool(true)),
                    b"False" => Ok(Value::Bool(false)),
                    w => Err(format!("unexpected `{}`", String::from_utf8_lossy(w))),
                },
            }
        }
    }

    /// `{'key': value, ...}` with an optional trailing comma and nothing after but spaces.
    pub(super) fn parse_dict(text: &str) -> Result<Vec<(String, Value)>, String> {
        let mut p = P {
            s: text.as_bytes(),
            i: 0,
        };
        p.eat(b'{')?;
        let mut out: Vec<(String, Value)> = Vec::new();
        loop {
            if p.peek() == Some(b'}') {
                p.i += 1;
                break;
            }
            let k = p.string()?;
            p.eat(b':')?;
            let v = p.value()?;
            if out.iter().any(|(o, _)| *o == k) {
                return Err(format!("key `{k}` given twice"));
            }
            out.push((k, v));
            match p.peek() {
                Some(b',') => p.i += 1,
                Some(b'}') => {}
                _ => return Err("expected `,` or `}`".into()),
            }
        }
        if p.peek().is_some() {
            return Err(format!("text after the dict at byte {}", p.i));
        }
        Ok(out)
    }
}

/// Bytes per value of a `.npy` type string [`decode_npy`] reads (`<f4` is
/// 4), or None for a type it does not read.
pub fn npy_item_size(descr: &str) -> Option<usize> {
    let b = descr.as_bytes();
    if b.len() < 3 || !matches!(b[0], b'<' | b'|') || !matches!(b[1], b'f' | b'i' | b'u' | b'b') {
        return None;
    }
    let size: usize = descr[2..].parse().ok()?;
    decode_npy(descr, &vec![0u8; size]).ok()?;
    Some(size)
}

/// Decode little-endian numeric `.npy` data of type `descr` into f64.
pub fn decode_npy(descr: &str, data: &[u8]) -> std::result::Result<Vec<f64>, String> {
    fn chunks<const N: usize>(d: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
        d.chunks_exact(N).map(|c| c.try_into().expect("N bytes"))
    }
    Ok(match descr {
        "<f8" => chunks::<8>(data).map(f64::from_le_bytes).collect(),
        "<f4" => chunks::<4>(data)
            .map(|b| f32::from_le_bytes(b) as f64)
            .collect(),
        "<f2" => chunks::<2>(data)
            .map(|b| half::f16::from_le_bytes(b).to_f64())
            .collect(),
        "<i8" => chunks::<8>(data)
            .map(|b| i64::from_le_bytes(b) as f64)
            .collect(),
        "<i4" => chunks::<4>(data)
            .map(|b| i32::from_le_bytes(b) as f64)
            .collect(),
        "<i2" => chunks::<2>(data)
            .map(|b| i16::from_le_bytes(b) as f64)
            .collect(),
        "<u8" => chunks::<8>(data)
            .map(|b| u64::from_le_bytes(b) as f64)
            .collect(),
        "<u4" => chunks::<4>(data)
            .map(|b| u32::from_le_bytes(b) as f64)
            .collect(),
        "<u2" => chunks::<2>(data)
            .map(|b| u16::from_le_bytes(b) as f64)
            .collect(),
        "|u1" | "<u1" => data.iter().map(|&b| b as f64).collect(),
        "|i1" | "<i1" => data.iter().map(|&b| b as i8 as f64).collect(),
        "|b1" => data.iter().map(|&b| b as f64).collect(),
        other => {
            return Err(format!(
                "dtype `{other}` is not supported (little-endian floats and integers are)"
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        for shape in [vec![], vec![3], vec![2, 5, 7]] {
            let h = npy_header(DType::F32, &shape).unwrap();
            assert_eq!(h.len() % 64, 0);
            let p = parse_npy_header(&h).unwrap();
            assert_eq!(
                (p.descr.as_str(), p.shape, p.data_offset, p.fortran_order),
                ("<f4", shape, h.len(), false)
            );
        }
        assert!(matches!(
            parse_npy_header(b"\x93NUMPY\x01\x00\xff\x00{"),
            Err(NpyHeaderError::Truncated {
                need: 265,
                have: 11
            })
        ));
    }

    fn header_of(dict: &str) -> Vec<u8> {
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        h.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        h.extend_from_slice(dict.as_bytes());
        h
    }

    #[test]
    fn header_literals_are_parsed_not_searched() {
        // no spaces, other key order, double quotes: still Fortran order
        let p = parse_npy_header(&header_of(
            "{'fortran_order':True,\"shape\":(2,3),'descr':'<f8'}\n",
        ))
        .unwrap();
        assert!(p.fortran_order);
        assert_eq!((p.descr.as_str(), p.shape), ("<f8", vec![2, 3]));
        let p = parse_npy_header(&header_of(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }  \n",
        ))
        .unwrap();
        assert_eq!(p.shape, vec![5]);
        for (dict, why) in [
            ("{'descr': '<f4', 'fortran_order': False}", "no `shape`"),
            (
                "{'descr': '<f4', 'fortran_order': 0, 'shape': ()}",
                "fortran_order",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
                "bad dimension `-1`",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
                "bad dimension",
            ),
            (
                "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}",
                "structured",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': True}",
                "unexpected key `x`",
            ),
            (
                "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': ()}",
                "twice",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': ()} x",
                "text after",
            ),
            ("{'descr': '<f4", "unterminated"),
        ] {
            let e = parse_npy_header(&header_of(dict)).unwrap_err().to_string();
            assert!(e.contains(why), "{dict}: {e}");
        }
    }
}
