//! The `.safetensors` header: 8-byte little-endian length, then JSON
//! `{"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}, ...}`
//! padded with spaces to a multiple of 8. Tensors are laid out in the order
//! given, back to back. Same input, same bytes (metadata sorted by key).

use super::TensorSpec;
use nninit::dtype::DType;
use nninit::error::{Error, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::F32 => "F32",
        DType::F64 => "F64",
        DType::BF16 => "BF16",
        DType::F16 => "F16",
    }
}

/// The header bytes (length prefix included) for `tensors`, in order.
pub fn safetensors_header(
    tensors: &[TensorSpec],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let entries: Vec<(&str, DType, &[usize])> = tensors
        .iter()
        .map(|t| (t.name.as_str(), t.dtype, t.shape.as_slice()))
        .collect();
    header_for(&entries, metadata)
}

/// The header for `(name, dtype, shape)` entries laid out in order.
pub fn header_for(
    entries: &[(&str, DType, &[usize])],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let mut map = Map::new();
    if !metadata.is_empty() {
        map.insert("__metadata__".into(), json!(metadata));
    }
    let mut offset: u64 = 0;
    for &(name, dtype, shape) in entries {
        if name.is_empty() || name == "__metadata__" {
            return Err(Error::Unsupported(format!("invalid tensor name `{name}`")));
        }
        let bytes = super::output_numel(shape)? * dtype.size() as u64;
        let entry = json!({
            "dtype": dtype_name(dtype),
            "shape": shape,
            "data_offsets": [offset, offset + bytes],
        });
        if map.insert(name.to_string(), entry).is_some() {
            return Err(Error::Unsupported(format!(
                "duplicate tensor name `{name}`"
            )));
        }
        offset += bytes;
    }
    // serde_json's Map keeps keys sorted (BTreeMap): deterministic bytes
    let mut body = serde_json::to_vec(&Value::Object(map)).expect("JSON of strings and numbers");
    while !body.len().is_multiple_of(8) {
        body.push(b' ');
    }
    // the format's cap, which every reader enforces: refuse to write a file
    // no one could read (50 MB tensor names, a hundred thousand tiny layers)
    const MAX_HEADER: usize = 100_000_000;
    if body.len() > MAX_HEADER {
        return Err(Error::Unsupported(format!(
            "the safetensors header would be {} bytes ({} tensors); readers refuse headers over {MAX_HEADER} bytes: use shorter names, fewer tensors, or .npz",
            body.len(),
            entries.len()
        )));
    }
    let mut h = (body.len() as u64).to_le_bytes().to_vec();
    h.extend_from_slice(&body);
    Ok(h)
}
