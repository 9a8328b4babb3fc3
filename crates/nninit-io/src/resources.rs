//! What the machine can give: memory available to this process, checked
//! before a large allocation rather than being killed by the OOM killer half way.

use nninit::{Error, Result};

/// Bytes of memory available to this process, if the system says
/// (`MemAvailable` of `/proc/meminfo` on Linux).
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Fail early, with a message, when `need` bytes of working memory are not
/// available (rather than being killed by the OOM killer half way).
pub fn check_memory(what: &str, need: u64) -> Result<()> {
    if let Some(avail) = available_memory() {
        if need > avail {
            return Err(Error::Memory {
                what: what.to_string(),
                need,
                available: avail,
            });
        }
    }
    Ok(())
}
