//! The one error type of nninit and its companion crates (`nninit-io`,
//! `nninit-lab`). Every variant carries the offending value and, where there
//! is a closed set of valid choices, the allowed set, so that a message can be
//! acted upon without reading the source.
//!
//! The core crate produces the input variants (`Syntax` to `Range`); the file
//! variants (`Unsupported`, `DiskSpace`, `Io`), `Data` and `Memory` come from
//! the companion crates, which share this type so that one `match` (or one
//! exit-status rule) covers every layer.

use thiserror::Error;

/// Everything that can go wrong in nninit. Variants are grouped by cause:
/// bad user input (an expression, a shape, a parameter), data, resources, I/O.
#[derive(Debug, Error)]
#[non_exhaustive]
#[allow(missing_docs)] // fields are named for what they hold; each variant's doc and message say the rest
pub enum Error {
    /// The init expression could not be parsed at all.
    #[error("malformed init expression `{expr}` at column {column}: {reason}")]
    Syntax {
        expr: String,
        column: usize,
        reason: String,
    },
    /// A name (initializer, nonlinearity, mode, distribution, layout, dtype) is not known.
    #[error("unknown {what} `{name}`{}; allowed: {}", suggest(.suggestion), .allowed.join(", "))]
    UnknownName {
        what: &'static str,
        name: String,
        suggestion: Option<String>,
        allowed: Vec<String>,
    },
    /// A parameter that the initializer does not take (often a typo).
    #[error("`{init}` has no parameter `{param}`{}; allowed: {}", suggest(.suggestion), if .allowed.is_empty() { "(none)".to_string() } else { .allowed.join(", ") })]
    UnknownParam {
        init: String,
        param: String,
        suggestion: Option<String>,
        allowed: Vec<&'static str>,
    },
    /// A parameter was given twice.
    #[error("`{init}`: parameter `{param}` given more than once")]
    DuplicateParam { init: String, param: String },
    /// A parameter has the wrong type or an invalid value.
    #[error("`{init}`: invalid value `{value}` for `{param}`: {expected}")]
    BadParam {
        init: String,
        param: String,
        value: String,
        expected: String,
    },
    /// A key of a model config (a Hugging Face `config.json`) has a value
    /// nninit cannot use.
    #[error("config `{origin}`: invalid value `{value}` for `{key}`: {expected}")]
    BadConfig {
        origin: String,
        key: String,
        value: String,
        expected: String,
    },
    /// A rule (glob over parameter names, init expression) is malformed.
    #[error("rule {index} (`{glob}`): {reason}")]
    BadRule {
        index: usize,
        glob: String,
        reason: String,
    },
    /// Parameters of a model that neither a rule nor the scheme covers.
    #[error("{} parameter(s) have no initializer under scheme `{scheme}`: {}; give each a rule (glob, init expression), e.g. (\"{example}\", \"normal(std=0.02)\")", .params.len(), .params.join(", "))]
    Uncovered {
        scheme: String,
        params: Vec<String>,
        example: String,
    },
    /// Parameters whose role in a transformer (for a scheme that decides by
    /// role) cannot be inferred from their names.
    #[error("scheme `{scheme}` decides by role, and the role of {} parameter(s) cannot be inferred: {}; name it with roles (glob -> role), e.g. {{\"{example}\": \"attn_out\"}} (roles: {}), or give it a rule", .params.len(), .params.join("; "), .roles.join(", "))]
    UnknownRole {
        scheme: String,
        params: Vec<String>,
        example: String,
        roles: Vec<&'static str>,
    },
    /// An option outside the initializers (a part `I/N`, a size, a seed
    /// source) has a value it cannot take.
    #[error("invalid {option} `{value}`: {expected}")]
    BadOption {
        option: &'static str,
        value: String,
        expected: String,
    },
    /// The tensor's shape does not suit the initializer.
    #[error("`{init}` cannot initialize a tensor of shape {shape:?}: {reason}")]
    Shape {
        init: String,
        shape: Vec<usize>,
        reason: String,
    },
    /// Some value the initializer would write is not finite in the target
    /// dtype (a constant of 1e300 in float32, `normal(std=1e5)` in float16).
    #[error("`{init}` cannot be written as {dtype}: {reason}")]
    Overflow {
        init: String,
        dtype: &'static str,
        reason: String,
    },
    /// A dimension list is malformed, zero where it may not be, or too large.
    #[error("invalid shape `{shape}`: {reason}")]
    BadShape { shape: String, reason: String },
    /// The requested slice of a tensor is out of range or the initializer needs the whole tensor.
    #[error("cannot generate elements {start}..{end} of `{init}` on a tensor of {numel} elements: {reason}")]
    Range {
        init: String,
        start: u64,
        end: u64,
        numel: u64,
        reason: String,
    },
    /// A sequential generator family (`numpy`, `torch`) cannot reproduce what
    /// was asked: a distribution the framework does not have, an initializer
    /// that goes through LAPACK, a seed the framework rejects, or a slice of
    /// a tensor (sequential streams fill whole tensors in order).
    #[error("rng `{rng}` cannot do {what}: {reason}")]
    Rng {
        rng: &'static str,
        what: String,
        reason: String,
    },
    /// A seed outside the range the generator family takes.
    #[error("invalid seed {seed} for rng `{rng}`: {expected}")]
    BadSeed {
        rng: &'static str,
        seed: String,
        expected: &'static str,
    },
    /// The dtype cannot be stored in the requested format.
    #[error("{0}")]
    Unsupported(String),
    /// A dataset file is malformed.
    #[error("bad data in `{origin}`{}: {reason}", if *.line > 0 { format!(" at line {}", .line) } else { String::new() })]
    Data {
        origin: String,
        line: usize,
        reason: String,
    },
    /// Not enough memory for the work asked for.
    #[error("`{what}` needs about {} of memory, {} are available", format_bytes(*.need), format_bytes(*.available))]
    Memory {
        what: String,
        need: u64,
        available: u64,
    },
    /// Not enough free disk space for the output.
    #[error(
        "not enough disk space in `{path}`: the output needs {}, {} are free",
        format_bytes(*.need),
        format_bytes(*.available)
    )]
    DiskSpace {
        path: String,
        need: u64,
        available: u64,
    },
    /// The caller stopped a write (Ctrl-C in Python); its temporary file was removed.
    #[error("writing `{path}` was interrupted; nothing was left behind")]
    Interrupted { path: String },
    /// An I/O failure, with the path involved. (`reason` is part of the
    /// message rather than the error's `source()`, so that printing the
    /// error chain does not repeat it.)
    #[error("{action} `{path}`: {reason}")]
    Io {
        action: &'static str,
        path: String,
        reason: std::io::Error,
    },
}

/// `1.2 TB (1200016013632 bytes)`: readable, and exact for a script (how
/// every message of nninit states a size).
pub fn format_bytes(n: u64) -> String {
    let units = [
        (1e15, "PB"),
        (1e12, "TB"),
        (1e9, "GB"),
        (1e6, "MB"),
        (1e3, "kB"),
    ];
    match units.iter().find(|(u, _)| n as f64 >= *u) {
        Some((u, name)) => format!("{:.1} {name} ({n} bytes)", n as f64 / u),
        None => format!("{n} bytes"),
    }
}

fn suggest(s: &Option<String>) -> String {
    match s {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

/// The closest of `candidates` to `name` by edit distance, if it is close enough
/// to be a plausible typo.
pub(crate) fn closest<'a, I: IntoIterator<Item = &'a str>>(
    name: &str,
    candidates: I,
) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}

impl Error {
    /// [`Error::UnknownName`] for `name` with the closest of `allowed` as the
    /// suggestion: `unknown_name("optimizer", "adma", &["sgd", "adam"])`
    /// reads "unknown optimizer `adma` (did you mean `adam`?); allowed: sgd, adam".
    pub fn unknown_name(what: &'static str, name: &str, allowed: &[&str]) -> Error {
        Error::UnknownName {
            what,
            name: name.to_string(),
            suggestion: closest(name, allowed.iter().copied()),
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
        }
    }
}

pub(crate) fn unknown_name(what: &'static str, name: &str, allowed: &[&str]) -> Error {
    Error::unknown_name(what, name, allowed)
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
