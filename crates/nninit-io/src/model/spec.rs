//! Spec files: a whole set of tensors in `.json` or `.toml` (one schema).
//!
//! ```toml
//! seed = 0
//! dtype = "f32"        # default for tensors that do not say
//! layout = "torch"     # default layout
//!
//! [[tensors]]
//! name = "encoder.weight"
//! shape = [256, 784]
//! init = "kaiming_normal(nonlinearity=relu)"
//!
//! [[tensors]]
//! name = "encoder.bias"
//! shape = [256]        # no init: the first matching rule decides
//!
//! [[rules]]
//! match = "*.bias"     # glob over tensor names, tried in order
//! init = "zeros"
//! ```
//!
//! A tensor's own `init` wins over the rules. Errors name the tensor and,
//! where the text shows it, the line.

use crate::{output_numel, TensorSpec};
use nninit::dtype::DType;
use nninit::error::{Error, Result};
use nninit::Init;
use nninit::Layout;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    seed: u64,
    dtype: Option<String>,
    layout: Option<String>,
    #[serde(default)]
    tensors: Vec<RawTensor>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTensor {
    name: String,
    shape: Vec<usize>,
    init: Option<String>,
    dtype: Option<String>,
    layout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(rename = "match")]
    pattern: String,
    init: String,
}

/// A parsed, validated spec.
#[derive(Debug, Clone)]
pub struct Spec {
    pub seed: u64,
    pub tensors: Vec<TensorSpec>,
}

fn spec_err(file: &str, line: usize, reason: String) -> Error {
    Error::Data {
        origin: file.to_string(),
        line,
        reason,
    }
}

/// The first line of `text` that mentions `"needle"` (1-based), or 0.
fn line_of(text: &str, needle: &str) -> usize {
    let quoted = format!("\"{needle}\"");
    text.lines()
        .position(|l| l.contains(&quoted))
        .map_or(0, |i| i + 1)
}

/// Ordered init rules: globs over tensor names, the first match wins (the
/// `[[rules]]` of a spec file; the glob syntax of the `glob` crate: `*`, `?`,
/// `[abc]`, and `*` also matches dots).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<(glob::Pattern, Init)>,
}

impl Rules {
    /// Rules from `(glob, init expression)` pairs; an error names the bad pair.
    pub fn new<S: AsRef<str>>(pairs: &[(S, S)]) -> Result<Rules> {
        let mut rules = Vec::with_capacity(pairs.len());
        for (index, (pat, expr)) in pairs.iter().enumerate() {
            let (pat, expr) = (pat.as_ref(), expr.as_ref());
            let p = glob::Pattern::new(pat).map_err(|e| Error::BadRule {
                index,
                glob: pat.to_string(),
                reason: format!("not a glob over tensor names ({e})"),
            })?;
            rules.push((p, Init::parse(expr)?));
        }
        Ok(Rules { rules })
    }

    /// The index and initializer of the first rule whose glob matches `name`.
    pub fn first_match(&self, name: &str) -> Option<(usize, &Init)> {
        self.rules
            .iter()
            .enumerate()
            .find(|(_, (p, _))| p.matches(name))
            .map(|(i, (_, init))| (i, init))
    }

    /// The glob of rule `i`.
    pub fn pattern(&self, i: usize) -> Option<&str> {
        self.rules.get(i).map(|(p, _)| p.as_str())
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn parse_raw(text: &str, file: &str) -> Result<RawSpec> {
    let ext = Path::new(file)
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    Ok(match ext.as_deref() {
        Some("json") => serde_json::from_str(text)
            .map_err(|e| spec_err(file, e.line(), format!("invalid JSON spec: {e}")))?,
        Some("toml") => toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| {
                text[..s.start.min(text.len())].lines().count().max(1)
            });
            spec_err(file, line, format!("invalid TOML spec: {}", e.message()))
        })?,
        _ => {
            return Err(spec_err(
                file,
                0,
                "a spec file must end in .json or .toml".into(),
            ))
        }
    })
}

fn compile_rules(raw: &RawSpec, text: &str, file: &str) -> Result<Rules> {
    let mut rules = Vec::new();
    for r in &raw.rules {
        // the line is looked up only for an error: a scan per entry would make
        // parsing quadratic in the number of entries
        let pat = glob::Pattern::new(&r.pattern).map_err(|e| {
            spec_err(
                file,
                line_of(text, &r.pattern),
                format!("rule `{}`: bad glob: {e}", r.pattern),
            )
        })?;
        let init = Init::parse(&r.init).map_err(|e| {
            spec_err(
                file,
                line_of(text, &r.init),
                format!("rule `{}`: {e}", r.pattern),
            )
        })?;
        rules.push((pat, init));
    }
    Ok(Rules { rules })
}

/// The `[[rules]]` of a spec file (its tensors, if any, are not read).
pub fn load_rules(path: &Path) -> Result<Rules> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let raw = parse_raw(&text, &file)?;
    if raw.rules.is_empty() {
        return Err(spec_err(&file, 0, "the spec has no [[rules]]".into()));
    }
    compile_rules(&raw, &text, &file)
}

/// Parse a spec from `text`; `file` names it in errors and its extension picks the syntax.
pub fn parse_spec(text: &str, file: &str) -> Result<Spec> {
    let raw = parse_raw(text, file)?;
    let dtype = DType::parse(raw.dtype.as_deref().unwrap_or("f32"))
        .map_err(|e| spec_err(file, line_of(text, "dtype"), e.to_string()))?;
    let layout = Layout::parse(raw.layout.as_deref().unwrap_or("torch"))
        .map_err(|e| spec_err(file, line_of(text, "layout"), e.to_string()))?;
    let rules = compile_rules(&raw, text, file)?;
    if raw.tensors.is_empty() {
        return Err(spec_err(file, 0, "the spec lists no tensors".into()));
    }
    let mut seen = std::collections::HashSet::new();
    let mut tensors = Vec::with_capacity(raw.tensors.len());
    for t in raw.tensors {
        let fail = |reason: String| {
            spec_err(
                file,
                line_of(text, &t.name),
                format!("tensor `{}`: {reason}", t.name),
            )
        };
        if t.name.is_empty() || t.name == "__metadata__" {
            return Err(fail("invalid name".into()));
        }
        if !seen.insert(t.name.clone()) {
            return Err(fail("duplicate tensor name".into()));
        }
        output_numel(&t.shape).map_err(|e| fail(e.to_string()))?;
        let init = match &t.init {
            Some(e) => Init::parse(e).map_err(|e| fail(e.to_string()))?,
            None => rules
                .first_match(&t.name)
                .map(|(_, i)| i.clone())
                .ok_or_else(|| fail("no `init` and no rule matches its name".into()))?,
        };
        let dtype = match &t.dtype {
            Some(d) => DType::parse(d).map_err(|e| fail(e.to_string()))?,
            None => dtype,
        };
        let layout = match &t.layout {
            Some(l) => Layout::parse(l).map_err(|e| fail(e.to_string()))?,
            None => layout,
        };
        init.check_shape(&t.shape, layout, dtype)
            .map_err(|e| fail(e.to_string()))?;
        tensors.push(TensorSpec::new(t.name, t.shape, dtype, layout, init));
    }
    Ok(Spec {
        seed: raw.seed,
        tensors,
    })
}

/// Read and parse a spec file.
pub fn load_spec(path: &Path) -> Result<Spec> {
    let text = read_text(path)?;
    parse_spec(&text, &path.display().to_string())
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "cannot read",
        path: path.display().to_string(),
        reason: source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
seed = 3
dtype = "f32"

[[tensors]]
name = "enc.weight"
shape = [8, 4]
init = "kaiming_normal(nonlinearity=relu)"

[[tensors]]
name = "enc.bias"
shape = [8]
dtype = "f64"

[[rules]]
match = "*.bias"
init = "zeros"
"#;

    #[test]
    fn toml_and_json_agree() {
        let a = parse_spec(TOML, "m.toml").unwrap();
        assert_eq!(a.seed, 3);
        assert_eq!(a.tensors[1].init, Init::zeros());
        assert_eq!(a.tensors[1].dtype, DType::F64);
        let json = r#"{"seed": 3, "tensors": [{"name": "enc.weight", "shape": [8, 4], "init": "kaiming_normal(nonlinearity=relu)"},
            {"name": "enc.bias", "shape": [8], "dtype": "f64"}], "rules": [{"match": "*.bias", "init": "zeros"}]}"#;
        let b = parse_spec(json, "m.json").unwrap();
        assert_eq!(format!("{:?}", a.tensors), format!("{:?}", b.tensors));
    }

    #[test]
    fn errors_point_at_the_tensor_and_line() {
        let bad = TOML.replace("kaiming_normal(nonlinearity=relu)", "kaiming_normall");
        let e = parse_spec(&bad, "m.toml").unwrap_err().to_string();
        assert!(
            e.contains("enc.weight") && e.contains("line 6") && e.contains("kaiming_normal"),
            "{e}"
        );
        let dup = TOML.replace("enc.bias", "enc.weight");
        assert!(parse_spec(&dup, "m.toml")
            .unwrap_err()
            .to_string()
            .contains("duplicate"));
        let norule = TOML.replace("*.bias", "*.gamma");
        assert!(parse_spec(&norule, "m.toml")
            .unwrap_err()
            .to_string()
            .contains("no rule"));
        let e = parse_spec("{\"tensors\": [", "m.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid JSON"), "{e}");
        let e = parse_spec("tensors = [ {name = 1} ]", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid TOML") && e.contains("line 1"), "{e}");
        let e = parse_spec(&TOML.replace("shape = [8, 4]", "shape = [8]"), "m.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rank >= 2"), "{e}");
        let e = parse_spec(&TOML.replace("seed = 3", "seed = 3\nsed = 4"), "m.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field"), "{e}");
    }
}
