//! Network shapes: the layer-size list of the seed document's
//! `initialize_parameters(layers_dims)`, with a shorthand for deep nets:
//! `64,256x20,10` is an input of 64, twenty hidden layers of 256, and 10 outputs.

use nninit::error::{Error, Result};

/// Largest width we accept for one layer (2^24).
pub const MAX_WIDTH: usize = 1 << 24;
/// Largest number of layers (2^16).
pub const MAX_LAYERS: usize = 1 << 16;

/// Parse `784,256,256,10` or `64,256x20,10` into layer sizes (at least two,
/// all positive).
pub fn parse_layers(s: &str) -> Result<Vec<usize>> {
    let bad = |reason: String| Error::BadShape {
        shape: s.to_string(),
        reason,
    };
    let mut sizes = Vec::new();
    for part in s.split(',') {
        let p = part.trim();
        let (w, times) = match p.split_once(['x', 'X', '*']) {
            Some((w, n)) => (w.trim(), n.trim()),
            None => (p, "1"),
        };
        let width: usize = w
            .parse()
            .map_err(|_| bad(format!("`{p}` is not a layer width; widths are whole numbers, e.g. 784,256,10 or 64,256x20,10")))?;
        let times: usize = times.parse().map_err(|_| {
            bad(format!(
                "`{p}`: the repeat count after `x` must be a whole number (e.g. 256x20)"
            ))
        })?;
        if width == 0 || width > MAX_WIDTH {
            return Err(bad(format!(
                "layer width {width} must be between 1 and {MAX_WIDTH}"
            )));
        }
        if times == 0 || times > MAX_LAYERS - sizes.len().min(MAX_LAYERS) {
            return Err(bad(format!(
                "repeat count {times} must be between 1 and {MAX_LAYERS} layers in all"
            )));
        }
        sizes.extend(std::iter::repeat_n(width, times));
    }
    if sizes.len() < 2 {
        return Err(bad(format!(
            "a network needs at least two sizes (input and output), got {}; e.g. 784,256,10",
            sizes.len()
        )));
    }
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand() {
        assert_eq!(
            parse_layers("784,256,256,10").unwrap(),
            vec![784, 256, 256, 10]
        );
        let v = parse_layers("64,256x20,10").unwrap();
        assert_eq!(v.len(), 22);
        assert_eq!(v[1..21], [256; 20]);
        assert_eq!(parse_layers("256x3").unwrap(), vec![256; 3]);
        for bad in ["5", "0,3", "a,3", "3,256x0", "3,,4", "3,-1", ""] {
            assert!(parse_layers(bad).is_err(), "{bad}");
        }
    }
}
