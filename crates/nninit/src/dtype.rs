//! Output element types. Single-precision types (f32, bf16, f16) are computed in
//! f32 and rounded to nearest even; f64 has its own double-precision streams.

use crate::error::{unknown_name, Error};
use half::{bf16, f16};

/// A storage dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE binary32.
    F32,
    /// IEEE binary64 (its own double-precision streams).
    F64,
    /// bfloat16 (computed in f32, rounded to nearest even).
    BF16,
    /// IEEE binary16 (computed in f32, rounded to nearest even).
    F16,
}

const DTYPE_NAMES: [&str; 4] = ["f32", "f64", "bf16", "f16"];

impl DType {
    /// Parse `f32`, `f64`, `bf16`, `f16` (also `float32`, `float64`, `bfloat16`, `float16`, `half`).
    pub fn parse(s: &str) -> Result<DType, Error> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "f32" | "float32" | "float" => DType::F32,
            "f64" | "float64" | "double" => DType::F64,
            "bf16" | "bfloat16" => DType::BF16,
            "f16" | "float16" | "half" => DType::F16,
            _ => return Err(unknown_name("dtype", s, &DTYPE_NAMES)),
        })
    }

    /// Short name (`f32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::BF16 => "bf16",
            DType::F16 => "f16",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F64 => 8,
            DType::F32 => 4,
            DType::BF16 | DType::F16 => 2,
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A scalar nninit can fill. Implemented for `f32`, `f64`, `half::bf16`, `half::f16`.
pub trait Element: bytemuck::Pod + Send + Sync + Default + std::fmt::Debug + 'static {
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Round an f32 to this type (nearest even).
    fn from_f32(x: f32) -> Self;
    /// Round an f64 to this type (nearest even).
    fn from_f64(x: f64) -> Self;
    /// Exact widening to f64.
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    #[inline]
    fn from_f32(x: f32) -> Self {
        x
    }
    #[inline]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    #[inline]
    fn from_f32(x: f32) -> Self {
        x as f64
    }
    #[inline]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

impl Element for bf16 {
    const DTYPE: DType = DType::BF16;
    #[inline]
    fn from_f32(x: f32) -> Self {
        bf16::from_f32(x)
    }
    #[inline]
    fn from_f64(x: f64) -> Self {
        bf16::from_f64(x)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        bf16::to_f64(self)
    }
}

impl Element for f16 {
    const DTYPE: DType = DType::F16;
    #[inline]
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
    #[inline]
    fn from_f64(x: f64) -> Self {
        f16::from_f64(x)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }
}
