//! `nninit`: the command-line face of the nninit library. Thin glue: parse
//! flags (validation only), call the library, print.
//!
//! Exit status: 0 success; 2 bad input (a malformed expression, an unknown
//! name, a bad shape or parameter, a bad flag); 1 any other failure (I/O).

#[macro_use]
mod out;
mod bench;
mod experiment_cmd;
mod init_cmd;
mod plot;
mod probe_cmd;
mod report;
mod shape;
mod train_cmd;

use anyhow::Context;
use clap::{Parser, Subcommand};
use nninit::{calculate_gain, fans, DType, Error, Init, Layout};
use nninit_io::{save, TensorSpec};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nninit",
    version,
    about = "Neural-network parameter initialization: exact PyTorch/Keras/JAX semantics, reproducible streams, diagnosis."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate one tensor with an init expression and write it to .npy or .safetensors.
    #[command(
        after_help = "Examples:\n  nninit sample \"kaiming_normal(nonlinearity=relu)\" --shape=256,784 --seed 1 --out w1.npy\n  nninit sample \"trunc_normal(std=0.02)\" --shape=768,768 --dtype bf16 --out w.safetensors\n  nninit sample kaiming_normal --shape=256,784 --rng torch --seed 3 --out w.npy"
    )]
    Sample {
        /// Init expression, e.g. `normal(std=0.01)`, `kaiming_normal(nonlinearity=relu)`.
        expr: String,
        /// Comma-separated dimensions; empty (`--shape=`) for a 0-d scalar.
        #[arg(long, allow_hyphen_values = true)]
        shape: String,
        /// Seed of the random stream.
        #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_u64, default_value_t = 0)]
        seed: u64,
        /// f32, f64, bf16 or f16.
        #[arg(long, default_value = "f32")]
        dtype: String,
        /// Where in and out sit in the shape: torch ([out, in, *k]) or keras ([*k, in, out]).
        #[arg(long, default_value = "torch")]
        layout: String,
        /// Tensor name: keys the random stream (and names it in .safetensors). Default: the output
        /// file's stem (`--out w1.npy` is `w1`), so two files sampled with one seed differ.
        #[arg(long)]
        name: Option<String>,
        /// Output file: .npy or .safetensors.
        #[arg(long)]
        out: PathBuf,
        /// Random generator: nninit (keyed streams), numpy (= np.random.seed(SEED) then one call),
        /// numpy-default (= np.random.default_rng(SEED) then one call: standard_normal/random for
        /// N(0,1)/U(0,1) in f32 and f64, else normal/uniform in f64), torch (= torch.manual_seed(SEED)
        /// then the torch.nn.init function) or jax (= jax.random.normal/uniform/truncated_normal with
        /// jax.random.key(SEED), float32, times std plus mean; JAX_ENABLE_X64 and
        /// JAX_THREEFRY_PARTITIONABLE read as JAX reads them).
        #[arg(long, default_value = "nninit")]
        rng: String,
    },
    /// Initialize a whole network (layer sizes, spec file or Hugging Face config) to .safetensors/.npz/.npy files.
    Init(init_cmd::InitArgs),
    /// Show which initializer each tensor of a model gets, and why (the plan `init` carries out), without writing.
    Plan(init_cmd::PlanArgs),
    /// List a tensor file's tensors with statistics and recorded init; warn about symmetric weights.
    Inspect(init_cmd::InspectArgs),
    /// Print PyTorch's calculate_gain(NONLINEARITY, PARAM).
    Gain {
        /// linear, identity, conv1d..3d, conv_transpose1d..3d, sigmoid, tanh, relu, leaky_relu, selu.
        nonlinearity: String,
        /// leaky_relu's negative slope (default 0.01).
        #[arg(allow_hyphen_values = true)]
        param: Option<String>,
    },
    /// Print fan_in and fan_out of a weight shape.
    Fans {
        /// Comma-separated dimensions (rank >= 2).
        #[arg(long, allow_hyphen_values = true)]
        shape: String,
        /// torch ([out, in, *k]) or keras ([*k, in, out]).
        #[arg(long, default_value = "torch")]
        layout: String,
        /// Print {"fan_in": .., "fan_out": ..}.
        #[arg(long)]
        json: bool,
    },
    /// List every initializer: its parameters with their defaults, and what it draws.
    List {
        /// Print a JSON array of {name, params, defaults, required, description}.
        #[arg(long)]
        json: bool,
    },
    /// Forward and backward one batch through an MLP at initialization: per-layer statistics and a verdict.
    Probe(probe_cmd::ProbeArgs),
    /// The seed document's story as a grid (initializers x activations, probed and trained) with an HTML report.
    Experiment(experiment_cmd::ExperimentArgs),
    /// Train an MLP on real data (the bundled digits by default) and report per epoch.
    Train(train_cmd::TrainArgs),
    /// Measure fill throughput against a plain memory fill (see README).
    Bench(bench::BenchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    #[command(
        after_help = "Examples:\n  nninit completions bash > ~/.local/share/bash-completion/completions/nninit\n  nninit completions zsh > ~/.zfunc/_nninit\n  nninit completions fish > ~/.config/fish/completions/nninit.fish"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

/// An error with the exit code it maps to.
pub(crate) struct Failure {
    code: u8,
    err: anyhow::Error,
}

/// The framework generator for `--rng` (None for nninit's streams). Like
/// torch itself, `ATEN_CPU_CAPABILITY=default` selects torch's portable
/// kernels, whose f32 `normal_` differs from the AVX2 build's.
/// `--rng jax` reads `JAX_ENABLE_X64` and `JAX_THREEFRY_PARTITIONABLE` as JAX
/// does, and keys tensor `i` by `fold_in(key(SEED), i)`.
pub(crate) fn framework_rng(
    kind: nninit::rng::RngKind,
    seed: u64,
) -> nninit::Result<Option<nninit::rng::FrameworkRng>> {
    use nninit::rng::{FrameworkRng, JaxRandom, RngKind};
    if kind == RngKind::Jax {
        kind.seed(i128::from(seed))?;
        return Ok(Some(FrameworkRng::Jax(JaxRandom::new(
            seed as i64,
            jax_flags()?,
        ))));
    }
    kind.sequential_for(seed, std::env::var("ATEN_CPU_CAPABILITY").ok().as_deref())
}

/// JAX's flags from the environment, as JAX reads them.
fn jax_flags() -> nninit::Result<nninit::rng::JaxFlags> {
    nninit::rng::JaxFlags::from_env_values(
        std::env::var("JAX_ENABLE_X64").ok().as_deref(),
        std::env::var("JAX_THREEFRY_PARTITIONABLE").ok().as_deref(),
    )
}

/// [`framework_rng`] for `sample`'s one tensor: under `--rng jax` it is
/// drawn from `jax.random.key(SEED)` itself.
fn sample_rng(
    kind: nninit::rng::RngKind,
    seed: u64,
) -> nninit::Result<Option<nninit::rng::FrameworkRng>> {
    use nninit::rng::{threefry, FrameworkRng, JaxRandom, RngKind};
    if kind == RngKind::Jax {
        kind.seed(i128::from(seed))?;
        let flags = jax_flags()?;
        return Ok(Some(FrameworkRng::Jax(JaxRandom::single(
            threefry::key(seed as i64, flags.x64),
            flags.partitionable,
        ))));
    }
    framework_rng(kind, seed)
}

/// A whole number >= 0 for a flag, with a message that says so (clap's own
/// would suggest `-- -1` for a negative one).
pub(crate) fn whole_u64(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("`{s}` is not a whole number >= 0 (0 to {})", u64::MAX))
}

/// [`whole_u64`] for sizes and counts.
pub(crate) fn whole_usize(s: &str) -> Result<usize, String> {
    s.trim()
        .parse::<usize>()
        .map_err(|_| format!("`{s}` is not a whole number >= 0"))
}

/// Bad input: exit 2.
pub(crate) fn input(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 2,
        err: e.into(),
    }
}

/// A library error: I/O is exit 1, everything else is bad input (2).
pub(crate) fn lib(e: Error) -> Failure {
    // I/O and a full disk are the environment's failures (1); the rest is input (2)
    let code = if matches!(e, Error::Io { .. } | Error::DiskSpace { .. }) {
        1
    } else {
        2
    };
    Failure {
        code,
        err: e.into(),
    }
}

/// Any other failure: exit 1.
pub(crate) fn other(e: anyhow::Error) -> Failure {
    Failure { code: 1, err: e }
}

/// Write `bytes` to `path` through a temporary file in the same directory.
pub(crate) fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), Failure> {
    nninit_io::write_atomic(path, bytes).map_err(|e| other(e.into()))
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Sample {
            expr,
            shape,
            seed,
            dtype,
            layout,
            name,
            out,
            rng,
        } => {
            let rng = nninit::rng::RngKind::parse(&rng).map_err(lib)?;
            let name = name.unwrap_or_else(|| {
                out.file_stem()
                    .and_then(|s| s.to_str())
                    .filter(|s| !s.is_empty())
                    .unwrap_or("tensor")
                    .to_string()
            });
            let init = Init::parse(&expr).map_err(lib)?;
            let shape = shape::parse(&shape).map_err(lib)?;
            let dtype = DType::parse(&dtype).map_err(lib)?;
            let layout = Layout::parse(&layout).map_err(lib)?;
            nninit_io::check_output(&out).map_err(lib)?;
            let mut spec = TensorSpec::new(name.clone(), shape, dtype, layout, init.clone());
            let mut meta = BTreeMap::new();
            if let Some(mut g) = sample_rng(rng, seed).map_err(lib)? {
                nninit_io::draw_sequential(std::slice::from_mut(&mut spec), &mut g).map_err(lib)?;
                meta.insert("rng".into(), rng.name().into());
            }
            meta.insert("format".into(), "pt".into());
            meta.insert("nninit_version".into(), env!("CARGO_PKG_VERSION").into());
            meta.insert("seed".into(), seed.to_string());
            meta.insert(format!("init.{name}"), init.to_string());
            meta.insert(format!("layout.{name}"), layout.name().into());
            save(&out, &[spec], seed, &meta).map_err(lib)?;
            Ok(())
        }
        Command::Gain {
            nonlinearity,
            param,
        } => {
            let p = match param {
                None => None,
                Some(s) => Some(s.trim().parse::<f64>().map_err(|_| {
                    input(anyhow::anyhow!(
                        "negative_slope `{s}` is not a valid number; give a number such as 0.2"
                    ))
                })?),
            };
            let g = calculate_gain(&nonlinearity, p).map_err(lib)?;
            outln!("{g}");
            Ok(())
        }
        Command::Fans {
            shape,
            layout,
            json,
        } => {
            let shape = shape::parse(&shape).map_err(lib)?;
            let layout = Layout::parse(&layout).map_err(lib)?;
            let f = fans(&shape, layout).map_err(lib)?;
            if json {
                outln!(
                    "{}",
                    serde_json::json!({"fan_in": f.fan_in, "fan_out": f.fan_out})
                );
            } else {
                outln!("fan_in {}\nfan_out {}", f.fan_in, f.fan_out);
            }
            Ok(())
        }
        Command::List { json } => {
            let mut rows = Vec::new();
            for (name, params) in nninit::init::expr::initializers() {
                // the canonical expression of the bare name shows every default;
                // a name that needs a parameter says which
                let (defaults, required) = match Init::parse(name) {
                    Ok(i) => (i.to_string(), Vec::new()),
                    Err(_) => {
                        // the one parameter that, given alone, makes it parse
                        let one = params.iter().copied().find(|p| {
                            ["1", "0.5"]
                                .iter()
                                .any(|v| Init::parse(&format!("{name}({p}={v})")).is_ok())
                        });
                        (String::new(), one.map_or(params.to_vec(), |p| vec![p]))
                    }
                };
                let what = nninit::init::expr::describe(name).unwrap_or("");
                rows.push(serde_json::json!({
                    "name": name, "params": params, "defaults": defaults,
                    "required": required, "description": what,
                }));
                if !json {
                    let sig = if defaults.is_empty() {
                        format!(
                            "{name}({})  [required: {}]",
                            params.join(", "),
                            required.join(", ")
                        )
                    } else {
                        defaults.clone()
                    };
                    outln!("{sig}\n    {what}");
                }
            }
            if json {
                outln!("{}", serde_json::Value::Array(rows));
            }
            Ok(())
        }
        Command::Probe(args) => probe_cmd::run(args),
        Command::Init(args) => init_cmd::run(args),
        Command::Plan(args) => init_cmd::run_plan(args),
        Command::Inspect(args) => init_cmd::run_inspect(args),
        Command::Train(args) => train_cmd::run(args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "nninit", &mut out);
            out!("{}", String::from_utf8_lossy(&out));
            Ok(())
        }
        Command::Experiment(args) => experiment_cmd::run(args),
        Command::Bench(args) => bench::run(args)
            .context("benchmark failed")
            .map_err(|err| Failure { code: 1, err }),
    }
}

/// Let a closed pipe (`nninit list | head`) end a command that only prints
/// quietly, as it does for every Unix filter. Commands that write files keep
/// SIGPIPE ignored (Rust's default) and stop printing instead (`out.rs`), so
/// `nninit experiment | true` still writes its report and exits 0.
fn reset_sigpipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any other
    // thread exists; no handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary files being written
/// (earlier outputs under the final names are untouched), say so in one
/// line, and exit 128 + the signal (130 for Ctrl-C, 143 for SIGTERM). Only
/// SIGKILL can leave a `.nninit-XXXXXX.tmp` file behind.
fn handle_interrupts() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let removed = nninit_io::remove_temporary_files();
                let name = match sig {
                    SIGINT => "SIGINT",
                    SIGTERM => "SIGTERM",
                    _ => "SIGHUP",
                };
                eprintln!(
                    "nninit: interrupted by {name}; removed {removed} unfinished temporary file(s), earlier outputs are untouched"
                );
                std::process::exit(128 + sig);
            }
        });
    }
}

/// Whether the command writes files (and so must outlive a closed stdout).
fn writes_files(command: &Command) -> bool {
    matches!(
        command,
        Command::Sample { .. }
            | Command::Init(_)
            | Command::Probe(_)
            | Command::Train(_)
            | Command::Experiment(_)
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !writes_files(&cli.command) {
        reset_sigpipe();
    }
    handle_interrupts();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, err }) => {
            eprintln!("error: {err:#}");
            ExitCode::from(code)
        }
    }
}
