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

/// Parse the header at the start of `bytes` (versions 1 to 3).
pub fn parse_npy_header(bytes: &[u8]) -> std::result::Result<NpyHeader, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (bad magic or truncated)".into());
    }
    let (hlen, skip): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("truncated .npy header".into());
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let end = skip
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or("truncated .npy header")?;
    let h = String::from_utf8_lossy(&bytes[skip..end]);
    let descr = h
        .split("'descr':")
        .nth(1)
        .and_then(|s| s.split('\'').nth(1))
        .ok_or("no descr in .npy header")?
        .to_string();
    let fortran_order = h.contains("'fortran_order': True");
    let shape_s = h
        .split("'shape':")
        .nth(1)
        .and_then(|s| s.split(['(', ')']).nth(1))
        .ok_or("no shape in .npy header")?;
    let shape = shape_s
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("bad dimension `{s}` in .npy header"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(NpyHeader {
        descr,
        fortran_order,
        shape,
        data_offset: end,
    })
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
        assert!(parse_npy_header(b"\x93NUMPY\x01\x00\xff\x00{")
            .unwrap_err()
            .contains("truncated"));
    }
}
