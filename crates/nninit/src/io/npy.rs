//! The `.npy` header (NumPy format 1.0/3.0: magic, version, little-endian
//! header length, a Python dict literal padded with spaces to a multiple of 64
//! bytes and ended by a newline). bf16 has no NumPy dtype: that is an error
//! pointing to `.safetensors`.

use crate::dtype::DType;
use crate::error::{Error, Result};

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
