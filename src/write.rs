//! Writing output files safely: all of them or none, never through a planted
//! link, never onto a special file or a source.
//!
//! Each output is first written to a fresh temporary file beside its target,
//! created exclusively (`O_EXCL`, and `O_NOFOLLOW` on unix: a name planted in
//! advance, file or link, makes creation fail rather than be followed), then
//! synced and given the mode of the file it replaces. Only when every
//! temporary file is complete are they renamed over their targets. A target
//! that is a link to a regular file is replaced by the new file; the file it
//! pointed to is untouched.
//!
//! Guarantee with several outputs: if a rename fails, the targets already
//! replaced are put back (from a hard link to their old contents made before
//! the rename, or removed when they did not exist before). Only if putting
//! back fails too can outputs be left mixed, and the error then names them.

use std::fs::{File, Permissions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One file to write.
pub struct Output<'a> {
    pub path: &'a Path,
    pub content: Content<'a>,
}

/// What goes into an output file.
pub enum Content<'a> {
    Bytes(&'a [u8]),
    /// Produced straight into the temporary file, so a large output is never
    /// held in memory whole. An error from it abandons every output.
    Stream(&'a dyn Fn(&mut dyn Write) -> std::io::Result<()>),
}

impl<'a> Output<'a> {
    pub fn bytes(path: &'a Path, bytes: &'a [u8]) -> Output<'a> {
        Output {
            path,
            content: Content::Bytes(bytes),
        }
    }

    pub fn stream(
        path: &'a Path,
        produce: &'a dyn Fn(&mut dyn Write) -> std::io::Result<()>,
    ) -> Output<'a> {
        Output {
            path,
            content: Content::Stream(produce),
        }
    }
}

/// Why outputs were not written. Nothing was changed unless the message says so.
#[derive(Debug)]
pub struct WriteError(pub String);

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is known about a target before writing: where its temporary file goes
/// and the permissions it keeps.
struct Plan<'a> {
    output: &'a Output<'a>,
    dir: PathBuf,
    permissions: Option<Permissions>,
    existed: bool,
}

/// The same file: same device and inode on unix, same canonical path elsewhere.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    crate::project::identity(a) == crate::project::identity(b)
}

fn plan<'a>(output: &'a Output<'a>, sources: &[PathBuf]) -> Result<Plan<'a>, WriteError> {
    let path = output.path;
    let shown = path.display();
    if path.file_name().is_none() {
        return Err(WriteError(format!("cannot write {shown}: not a file name")));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if let Some(source) = sources.iter().find(|s| same_file(path, s)) {
        return Err(WriteError(format!(
            "refusing to write {shown}: it is the source file {}",
            source.display()
        )));
    }
    let (permissions, existed) = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, false),
        Err(e) => return Err(WriteError(format!("cannot write {shown}: {e}"))),
        Ok(meta) => {
            // A link counts by what it points to (a dangling link is replaced).
            let meta = if meta.file_type().is_symlink() {
                std::fs::metadata(path).ok()
            } else {
                Some(meta)
            };
            match meta {
                Some(m) if !m.is_file() => {
                    return Err(WriteError(format!(
                        "refusing to write {shown}: it is {}, not a regular file",
                        special_kind(&m)
                    )));
                }
                Some(m) => (Some(m.permissions()), true),
                None => (None, true),
            }
        }
    };
    Ok(Plan {
        output,
        dir,
        permissions,
        existed,
    })
}

fn special_kind(m: &std::fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// A new file in `dir` with a name no one else holds, created exclusively.
fn create_temp(dir: &Path, target: &Path) -> std::io::Result<(PathBuf, File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let stem = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut last = None;
    for _ in 0..16 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!(".{stem}.relc-{}-{nanos:x}-{n}.tmp", std::process::id());
        let path = dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
        }
        match options.open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

fn write_temp(plan: &Plan<'_>) -> std::io::Result<PathBuf> {
    let (tmp, mut file) = create_temp(&plan.dir, plan.output.path)?;
    let done = (|| {
        match &plan.output.content {
            Content::Bytes(bytes) => file.write_all(bytes)?,
            Content::Stream(produce) => produce(&mut file)?,
        }
        if let Some(p) = &plan.permissions {
            file.set_permissions(p.clone())?;
        }
        file.sync_all()
    })();
    match done {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Write every output, or none of them (see the module documentation).
/// `sources` are the files the outputs were compiled from: none may be a target.
pub fn write_all(outputs: &[Output<'_>], sources: &[PathBuf]) -> Result<(), WriteError> {
    for (i, a) in outputs.iter().enumerate() {
        for b in &outputs[..i] {
            if crate::project::identity(a.path) == crate::project::identity(b.path)
                || same_file(a.path, b.path)
            {
                return Err(WriteError(format!(
                    "refusing to write {} and {}: they are the same file",
                    b.path.display(),
                    a.path.display()
                )));
            }
        }
    }
    let plans = outputs
        .iter()
        .map(|o| plan(o, sources))
        .collect::<Result<Vec<_>, _>>()?;
    let mut temps: Vec<PathBuf> = Vec::new();
    for p in &plans {
        match write_temp(p) {
            Ok(t) => temps.push(t),
            Err(e) => {
                for t in &temps {
                    let _ = std::fs::remove_file(t);
                }
                return Err(WriteError(format!(
                    "cannot write {}: {e}",
                    p.output.path.display()
                )));
            }
        }
    }
    // Old contents of the targets replaced so far, to put back if a later rename fails.
    let mut replaced: Vec<(&Plan<'_>, Option<PathBuf>)> = Vec::new();
    for (i, (p, tmp)) in plans.iter().zip(&temps).enumerate() {
        let last = i + 1 == plans.len();
        let backup = if p.existed && !last {
            create_backup(p)
        } else {
            None
        };
        if let Err(e) = std::fs::rename(tmp, p.output.path) {
            for t in &temps[i..] {
                let _ = std::fs::remove_file(t);
            }
            if let Some(b) = backup {
                let _ = std::fs::remove_file(b);
            }
            let unrestored = restore(replaced);
            let mut message = format!("cannot write {}: {e}", p.output.path.display());
            if !unrestored.is_empty() {
                message.push_str(&format!(
                    "; {} already replaced and could not be restored",
                    unrestored.join(", ")
                ));
            }
            return Err(WriteError(message));
        }
        replaced.push((p, backup));
    }
    for (_, backup) in replaced {
        if let Some(b) = backup {
            let _ = std::fs::remove_file(b);
        }
    }
    Ok(())
}

/// A hard link to the target's current contents, beside it.
fn create_backup(p: &Plan<'_>) -> Option<PathBuf> {
    let (name, file) = create_temp(&p.dir, p.output.path).ok()?;
    drop(file);
    let _ = std::fs::remove_file(&name);
    std::fs::hard_link(p.output.path, &name).ok()?;
    Some(name)
}

/// Put replaced targets back; the names of those that could not be.
fn restore(replaced: Vec<(&Plan<'_>, Option<PathBuf>)>) -> Vec<String> {
    let mut failed = Vec::new();
    for (p, backup) in replaced {
        let ok = match (p.existed, backup) {
            (false, _) => std::fs::remove_file(p.output.path).is_ok(),
            (true, Some(b)) => std::fs::rename(&b, p.output.path).is_ok(),
            (true, None) => false,
        };
        if !ok {
            failed.push(p.output.path.display().to_string());
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("relc-write-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_failed_second_output_leaves_the_first_target_untouched() {
        let d = scratch("all-or-none");
        let first = d.join("a.yml");
        std::fs::write(&first, "old").unwrap();
        let missing_dir = d.join("missing").join("checks.json");
        let err = write_all(
            &[
                Output::bytes(&first, b"new"),
                Output::bytes(&missing_dir, b"{}"),
            ],
            &[],
        )
        .unwrap_err();
        assert!(err.0.contains("checks.json"), "{err}");
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "old");
        let left: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "temporary files left behind: {left:?}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_stream_that_fails_leaves_the_target_and_no_temporary_file() {
        let d = scratch("stream-fails");
        let target = d.join("a.yml");
        std::fs::write(&target, "old").unwrap();
        let produce = |w: &mut dyn Write| -> std::io::Result<()> {
            w.write_all(b"half of it")?;
            Err(std::io::Error::other("the emitter gave up"))
        };
        let err = write_all(&[Output::stream(&target, &produce)], &[]).unwrap_err();
        assert!(err.0.contains("the emitter gave up"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let left: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "temporary files left behind: {left:?}");
        let ok = |w: &mut dyn Write| w.write_all(b"new");
        write_all(&[Output::stream(&target, &ok)], &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_failed_rename_restores_the_targets_already_replaced() {
        let d = scratch("restore");
        let first = d.join("a.yml");
        std::fs::write(&first, "old").unwrap();
        let plan_a = Plan {
            output: &Output::bytes(&first, b""),
            dir: d.clone(),
            permissions: None,
            existed: true,
        };
        let backup = create_backup(&plan_a).expect("hard links work in the temp dir");
        std::fs::write(d.join("new"), "new").unwrap();
        std::fs::rename(d.join("new"), &first).unwrap();
        assert!(restore(vec![(&plan_a, Some(backup))]).is_empty());
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "old");
        let _ = std::fs::remove_dir_all(&d);
    }
}
