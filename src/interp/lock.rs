//! The exclusive lock of an environment across local runs: an advisory
//! `flock` on `.relc/locks/<environment>.lock`, held for as long as the
//! stage that took it runs (the file handle lives in the run's state), and
//! released by the kernel if the run dies.

use std::path::Path;

/// The lock if it is free now; `None` when another run holds it.
pub fn try_lock(state_dir: &Path, environment: &str) -> std::io::Result<Option<std::fs::File>> {
    let dir = state_dir.join("locks");
    std::fs::create_dir_all(&dir)?;
    let safe: String = environment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{safe}.lock")))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock(2) on a descriptor we own; no memory is involved.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::WouldBlock {
                Ok(None)
            } else {
                Err(e)
            };
        }
    }
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_held_lock_is_not_given_twice_and_is_free_once_dropped() {
        let dir = std::env::temp_dir().join(format!("relc-lock-{}", std::process::id()));
        let first = super::try_lock(&dir, "prod").unwrap();
        assert!(first.is_some());
        assert!(super::try_lock(&dir, "prod").unwrap().is_none());
        drop(first);
        assert!(super::try_lock(&dir, "prod").unwrap().is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
