//! Parsing `--shape=D0,D1,...` (empty: a 0-d scalar).

use nninit::Error;
use nninit_io::output_numel;

pub fn parse(s: &str) -> Result<Vec<usize>, Error> {
    let t = s.trim();
    if t.is_empty() || t == "()" || t == "[]" {
        return Ok(Vec::new());
    }
    let t = t
        .trim_start_matches(['(', '['])
        .trim_end_matches([')', ']']);
    let mut parts: Vec<&str> = t.split([',', 'x']).collect();
    if parts.len() > 1 && parts.last().is_some_and(|p| p.trim().is_empty()) {
        parts.pop(); // Python-style "(3,)"
    }
    let mut dims = Vec::new();
    for part in parts {
        let p = part.trim();
        let d: usize = p.parse().map_err(|_| Error::BadShape {
            shape: s.to_string(),
            reason: format!("`{p}` is not a dimension; dimensions are whole numbers >= 0, separated by commas (e.g. 256,784)"),
        })?;
        dims.push(d);
    }
    output_numel(&dims)?;
    Ok(dims)
}
