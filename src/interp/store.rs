//! The local artifact store and the deployment ledger, under `.relc/`.
//!
//! Artifacts are content-addressed: every file is kept once under
//! `store/objects/<sha256>`, and an artifact is a manifest (relative path,
//! mode, size, object) stored under `store/manifests/<fingerprint>.json`,
//! where the fingerprint is the SHA-256 of the manifest. Two builds of the
//! same bytes have the same fingerprint; a fingerprint names exactly one
//! content forever. Objects are written to a unique temporary name and
//! renamed into place, so a crash never leaves a partial object under its name.
//!
//! The ledger (`ledger.jsonl`) is append-only: one line per deployment into
//! an environment.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub mode: u32,
    pub size: u64,
    pub sha256: String,
}

pub struct Store {
    root: PathBuf,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file name that no other writer uses at the same time.
fn unique(dir: &Path, tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{tag}.{}.{n}.tmp", std::process::id()))
}

/// Write `bytes` to `path` through a fresh temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = unique(dir, "write");
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Store {
    pub fn new(state_dir: &Path) -> Store {
        Store {
            root: state_dir.join("store"),
        }
    }

    fn object(&self, sha: &str) -> PathBuf {
        self.root.join("objects").join(&sha[..2]).join(&sha[2..])
    }

    fn manifest_path(&self, fingerprint: &str) -> PathBuf {
        self.root
            .join("manifests")
            .join(format!("{fingerprint}.json"))
    }

    /// Keep the file or directory at `path` as an artifact; its fingerprint.
    /// Symbolic links are not followed out of the artifact: a link is an error.
    pub fn put(&self, path: &Path) -> Result<String, String> {
        let meta = std::fs::symlink_metadata(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(path, path, &mut files)?;
        } else if meta.is_file() {
            let name = path
                .file_name()
                .map_or("file".into(), |n| n.to_string_lossy().into_owned());
            files.push((name, path.to_path_buf()));
        } else {
            return Err(format!("{} is not a file or directory", path.display()));
        }
        files.sort();
        let mut entries = Vec::with_capacity(files.len());
        for (rel, file) in files {
            entries.push(self.put_file(&rel, &file)?);
        }
        let manifest = serde_json::to_vec_pretty(&entries).map_err(|e| e.to_string())?;
        let fingerprint = hex(&Sha256::digest(&manifest));
        let at = self.manifest_path(&fingerprint);
        if !at.exists() {
            write_atomic(&at, &manifest).map_err(|e| format!("cannot write the store: {e}"))?;
        }
        Ok(fingerprint)
    }

    fn put_file(&self, rel: &str, file: &Path) -> Result<Entry, String> {
        let err = |e: std::io::Error| format!("cannot store {}: {e}", file.display());
        let mut f = std::fs::File::open(file).map_err(err)?;
        let mode = file_mode(&f.metadata().map_err(err)?);
        let mut hasher = Sha256::new();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(err)?;
        hasher.update(&bytes);
        let sha = hex(&hasher.finalize());
        let object = self.object(&sha);
        if !object.exists() {
            write_atomic(&object, &bytes).map_err(err)?;
        }
        Ok(Entry {
            path: rel.to_string(),
            mode,
            size: bytes.len() as u64,
            sha256: sha,
        })
    }

    pub fn manifest(&self, fingerprint: &str) -> Result<Vec<Entry>, String> {
        if fingerprint.len() != 64 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("`{fingerprint}` is not a fingerprint"));
        }
        let text = std::fs::read(self.manifest_path(fingerprint))
            .map_err(|e| format!("artifact {} is not in the store: {e}", short(fingerprint)))?;
        serde_json::from_slice(&text).map_err(|e| format!("damaged manifest {fingerprint}: {e}"))
    }

    /// Copy the artifact's files into `dest` (created), with their modes; every
    /// object is verified against its address first.
    pub fn materialize(&self, fingerprint: &str, dest: &Path) -> Result<usize, String> {
        let entries = self.manifest(fingerprint)?;
        for e in &entries {
            let rel = Path::new(&e.path);
            if rel.is_absolute()
                || rel
                    .components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                return Err(format!(
                    "manifest {fingerprint} names `{}`, outside the artifact",
                    e.path
                ));
            }
            let bytes = std::fs::read(self.object(&e.sha256))
                .map_err(|err| format!("object {} of {}: {err}", short(&e.sha256), e.path))?;
            if hex(&Sha256::digest(&bytes)) != e.sha256 {
                return Err(format!(
                    "object {} of {} is damaged",
                    short(&e.sha256),
                    e.path
                ));
            }
            let target = dest.join(rel);
            write_atomic(&target, &bytes)
                .map_err(|err| format!("cannot write {}: {err}", target.display()))?;
            set_mode(&target, e.mode);
        }
        Ok(entries.len())
    }
}

/// The first 12 hex digits: what people read.
pub fn short(fingerprint: &str) -> &str {
    &fingerprint[..fingerprint.len().min(12)]
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if kind.is_dir() {
            walk(root, &path, out)?;
        } else if kind.is_file() {
            let rel = path
                .strip_prefix(root)
                .map_err(|_| "path outside the artifact".to_string())?;
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((rel.join("/"), path));
        } else if kind.is_symlink() {
            return Err(format!(
                "{} is a symbolic link; artifacts hold files only",
                path.display()
            ));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn file_mode(m: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o777
}
#[cfg(not(unix))]
fn file_mode(_: &std::fs::Metadata) -> u32 {
    0o644
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o777));
}
#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

/// One deployment into an environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    pub environment: String,
    pub artifact: String,
    pub fingerprint: String,
    pub run: u64,
    pub stage: String,
    pub job: String,
    /// Unix seconds.
    pub at: i64,
}

pub fn record_deployment(state_dir: &Path, d: &Deployment) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(d).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(state_dir.join("ledger.jsonl"))?;
    f.write_all(&line)?;
    f.sync_data()
}

/// Every deployment recorded, oldest first (a torn last line is ignored).
pub fn deployments(state_dir: &Path) -> Vec<Deployment> {
    let Ok(text) = std::fs::read_to_string(state_dir.join("ledger.jsonl")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_content_has_the_same_fingerprint_and_comes_back_whole() {
        let dir = std::env::temp_dir().join(format!("relc-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let src = dir.join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("a.txt"), "hello").unwrap();
        std::fs::write(src.join("sub/b.txt"), "world").unwrap();
        let store = Store::new(&dir.join("state"));
        let fp = store.put(&src).unwrap();
        assert_eq!(store.put(&src).unwrap(), fp);
        std::fs::write(src.join("a.txt"), "hello!").unwrap();
        assert_ne!(store.put(&src).unwrap(), fp);
        let out = dir.join("out");
        assert_eq!(store.materialize(&fp, &out).unwrap(), 2);
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "hello");
        assert_eq!(
            std::fs::read_to_string(out.join("sub/b.txt")).unwrap(),
            "world"
        );
        assert!(store.manifest("../../etc/passwd").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
