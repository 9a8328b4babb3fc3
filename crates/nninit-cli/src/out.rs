//! Printing to stdout that a closed pipe cannot turn into lost work.
//!
//! Commands that write files (`sample`, `init`, `probe`, `train`,
//! `experiment`) run with SIGPIPE ignored: when whoever reads their stdout
//! goes away (`nninit experiment | true`), printing stops and the work goes
//! on to its files and its normal exit status. Commands that only print
//! (`list`, `gain`, `bench`, ...) keep the default disposition and end
//! quietly, as every Unix filter does.

use std::fmt::Arguments;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Set once a write to stdout failed: nothing more is printed.
static CLOSED: AtomicBool = AtomicBool::new(false);

fn write(args: Arguments, newline: bool) {
    if CLOSED.load(Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let ok = if newline {
        writeln!(out, "{args}")
    } else {
        write!(out, "{args}")
    };
    if ok.is_err() {
        CLOSED.store(true, Relaxed);
    }
}

/// `println!` that stops printing, instead of panicking, once stdout is closed.
pub fn line(args: Arguments) {
    write(args, true)
}

/// `print!` likewise.
pub fn part(args: Arguments) {
    write(args, false)
}

/// `println!` for commands: see the module's doc.
macro_rules! outln {
    () => {
        $crate::out::line(format_args!(""))
    };
    ($($t:tt)*) => {
        $crate::out::line(format_args!($($t)*))
    };
}

/// `print!` for commands: see the module's doc.
macro_rules! out {
    ($($t:tt)*) => {
        $crate::out::part(format_args!($($t)*))
    };
}
