//! What a compilation may read: the project root, imports inside it, and
//! reading a source file without trusting what the path names.
//!
//! The root of a file's project is the nearest directory, from the file's own
//! directory upwards (symlinks resolved), that holds a `.relc-root` or `.git`
//! entry; without one, the file's own directory. `--root DIR` overrides it.
//! An import is a relative path to a `.release` file, resolved against the
//! importing file; after symlinks are resolved it must lie inside the root.
//! `std/…` names a module of the standard library instead.
//!
//! Every file is read the same way ([`read_source`]): regular files only
//! (never a FIFO, device or directory, checked on the opened file so that
//! opening cannot block), at most [`MAX_FILE_BYTES`], UTF-8.

use crate::diagnostic::{Code, did_you_mean};
use crate::stdlib;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The largest source file relc reads (256 MiB); spans are `u32` byte offsets.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Entries whose presence makes a directory the root of a project.
pub const ROOT_MARKERS: &[&str] = &[".relc-root", ".git"];

/// Why a source file cannot be read. The messages never quote the file.
#[derive(Debug)]
pub enum ReadError {
    NotFound,
    /// Not a regular file: a directory, FIFO, device or socket (the kind in words).
    NotRegular(&'static str),
    TooLarge,
    /// Not UTF-8: the offset of the first invalid byte.
    NotUtf8(usize),
    Io(std::io::Error),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("no such file"),
            ReadError::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge => write!(
                f,
                "it is larger than {} MiB, the most relc reads",
                MAX_FILE_BYTES >> 20
            ),
            ReadError::NotUtf8(at) => {
                write!(f, "it is not UTF-8 text (invalid byte at offset {at})")
            }
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

fn kind_of(t: std::fs::FileType) -> Option<&'static str> {
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// Open `path` for reading without blocking: a FIFO opened for reading waits
/// for a writer unless it is opened non-blocking.
fn open_for_reading(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    {
        // No non-blocking open: refuse special files before opening them.
        let meta = std::fs::metadata(path)?;
        if kind_of(meta.file_type()).is_some() {
            return Err(std::io::Error::other("not a regular file"));
        }
    }
    options.open(path)
}

/// The text of a regular file of at most [`MAX_FILE_BYTES`] that is UTF-8.
/// The type is checked on the opened file, so no path trick (a link to a FIFO
/// or to `/dev/zero`) gets past it, and the size is capped while reading, so a
/// file that grows meanwhile cannot exhaust memory.
pub fn read_source(path: &Path) -> Result<String, ReadError> {
    let file = open_for_reading(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    })?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if let Some(kind) = kind_of(meta.file_type()) {
        return Err(ReadError::NotRegular(kind));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

/// The root of the project `file` belongs to (canonical): the nearest
/// directory from the file's own upwards with a [`ROOT_MARKERS`] entry, else
/// the file's directory. A file that does not exist is placed in the current
/// directory's project.
pub fn find_root(file: &Path) -> PathBuf {
    let dir = match file.canonicalize() {
        Ok(c) => c.parent().map(Path::to_path_buf).unwrap_or(c),
        Err(_) => {
            let parent = file.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = parent.unwrap_or(Path::new("."));
            dir.canonicalize().unwrap_or_else(|_| absolute(dir))
        }
    };
    dir.ancestors()
        .find(|d| {
            ROOT_MARKERS
                .iter()
                .any(|m| d.join(m).symlink_metadata().is_ok())
        })
        .map_or_else(|| dir.clone(), Path::to_path_buf)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The identity of a file: its canonical path, or for a file that does not
/// exist its absolute path, so that two spellings of one file compare equal.
pub fn identity(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            dir.canonicalize()
                .map_or_else(|_| absolute(p), |d| d.join(name))
        }
        _ => absolute(p),
    }
}

/// A file an import names, found by a [`Resolver`].
#[derive(Debug, Clone)]
pub struct Found {
    /// How diagnostics name the file: a path that opens it, as the user spelled it.
    pub name: String,
    /// Its identity: files with the same key are one file, loaded once.
    pub key: PathBuf,
    pub text: String,
}

/// Why an import cannot be loaded: the diagnostic's code, label and help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub code: Code,
    pub label: &'static str,
    pub help: String,
}

impl Unresolved {
    fn new(code: Code, label: &'static str, help: impl Into<String>) -> Unresolved {
        Unresolved {
            code,
            label,
            help: help.into(),
        }
    }
}

/// Where imported files come from.
pub trait Resolver {
    /// The key of the file being compiled, named `name`, so that importing it is recognised.
    fn main_key(&self, name: &str) -> PathBuf;

    /// The file `import` names, written in the file named `from` whose key is `from_key`.
    fn resolve(&self, import: &str, from: &str, from_key: &Path) -> Result<Found, Unresolved>;
}

/// The standard library for `std/…`, and `.release` files inside the project root otherwise.
pub struct FileResolver {
    root: PathBuf,
}

/// The key of a standard module: not an absolute path, so never a file's key.
fn std_key(name: &str) -> PathBuf {
    PathBuf::from(format!("<{name}>"))
}

impl FileResolver {
    /// Imports must stay under `root` (made canonical here).
    pub fn new(root: &Path) -> FileResolver {
        FileResolver {
            root: root.canonicalize().unwrap_or_else(|_| absolute(root)),
        }
    }

    /// The resolver for the project `file` belongs to ([`find_root`]).
    pub fn for_file(file: &Path) -> FileResolver {
        FileResolver {
            root: find_root(file),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root as a user would type it: relative to the current directory when inside it.
    fn shown_root(&self) -> String {
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| d.canonicalize().ok());
        match cwd.as_deref().and_then(|c| self.root.strip_prefix(c).ok()) {
            Some(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Some(rel) => rel.display().to_string(),
            None => self.root.display().to_string(),
        }
    }

    fn outside(&self, import: &str) -> Unresolved {
        Unresolved::new(
            Code::ImportOutsideProject,
            "outside the project",
            format!(
                "`{import}` leads outside the project root `{}`; imports are relative paths to files \
                 inside it (the root is the nearest folder above the compiled file with a `.relc-root` \
                 or `.git`, or `--root`)",
                self.shown_root()
            ),
        )
    }

    fn standard(import: &str) -> Result<Found, Unresolved> {
        if let Some((name, text)) = stdlib::module(import) {
            return Ok(Found {
                name: format!("<{name}>"),
                key: std_key(name),
                text: text.to_string(),
            });
        }
        let known: Vec<&str> = stdlib::names().collect();
        Err(Unresolved::new(
            Code::ImportNotFound,
            "not found",
            match did_you_mean(import.trim_end_matches(".release"), known.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("the standard library has {}", known.join(", ")),
            },
        ))
    }

    /// The canonical form of `path`, or of its nearest existing ancestor
    /// joined with the rest, so that a missing file can still be placed
    /// inside or outside the root without revealing whether it exists.
    fn place(path: &Path) -> Option<PathBuf> {
        let mut rest = Vec::new();
        let mut p = path;
        loop {
            if let Ok(c) = p.canonicalize() {
                let mut c = c;
                for part in rest.iter().rev() {
                    c.push(part);
                }
                return Some(c);
            }
            rest.push(p.file_name()?.to_os_string());
            p = p.parent()?;
            if p.as_os_str().is_empty() {
                p = Path::new(".");
            }
        }
    }

    fn not_found(&self, path: &Path, import: &str, from_key: &Path) -> Unresolved {
        let dir = path.parent().unwrap_or(Path::new("."));
        let dir_inside = dir.canonicalize().is_ok_and(|d| d.starts_with(&self.root));
        let siblings: Vec<String> = if dir_inside {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".release"))
                // The importing file is never what it meant to import.
                .filter(|n| identity(&dir.join(n)) != from_key)
                .collect()
        } else {
            Vec::new()
        };
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or(import);
        Unresolved::new(
            Code::ImportNotFound,
            "not found",
            match did_you_mean(file, siblings.iter().map(String::as_str)) {
                Some(m) => format!("there is no file {}; did you mean `{m}`?", path.display()),
                None => format!(
                    "there is no file {}; imports are relative to the importing file",
                    path.display()
                ),
            },
        )
    }
}

/// Whether `import` is an absolute path on any platform (`/x`, `\x`, `C:x`).
fn is_absolute(import: &str) -> bool {
    let p = Path::new(import);
    p.is_absolute()
        || p.has_root()
        || import.starts_with(['/', '\\'])
        || import.as_bytes().get(1) == Some(&b':')
        || p.components().any(|c| matches!(c, Component::Prefix(_)))
}

impl Resolver for FileResolver {
    fn main_key(&self, name: &str) -> PathBuf {
        identity(Path::new(name))
    }

    fn resolve(&self, import: &str, from: &str, from_key: &Path) -> Result<Found, Unresolved> {
        if import.starts_with("std/") {
            return FileResolver::standard(import);
        }
        if import.is_empty() || import.contains('\0') {
            return Err(Unresolved::new(
                Code::ImportNotFound,
                "not a file name",
                "an import names a `.release` file, relative to the importing file",
            ));
        }
        if is_absolute(import) {
            return Err(Unresolved::new(
                Code::ImportOutsideProject,
                "absolute path",
                format!(
                    "imports are relative to the importing file and stay inside the project root `{}`",
                    self.shown_root()
                ),
            ));
        }
        if !import.ends_with(".release") {
            return Err(Unresolved::new(
                Code::ImportNotSource,
                "not a `.release` file",
                "only `.release` files can be imported; a file of another kind is never read",
            ));
        }
        if !from_key.is_absolute() {
            // A standard module (or another resolver's file) has no folder to be relative to.
            return Err(Unresolved::new(
                Code::ImportNotFound,
                "not found",
                "the standard library imports only `std/…` modules",
            ));
        }
        let base = Path::new(from).parent().unwrap_or(Path::new(""));
        let path = base.join(import);
        let Some(placed) = FileResolver::place(&path) else {
            return Err(self.outside(import));
        };
        if !placed.starts_with(&self.root) {
            return Err(self.outside(import));
        }
        let key = match path.canonicalize() {
            Ok(key) => key,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(self.not_found(&path, import, from_key));
            }
            Err(e) => {
                return Err(Unresolved::new(
                    Code::ImportNotSource,
                    "cannot be read",
                    format!("{} cannot be read ({e})", path.display()),
                ));
            }
        };
        if key.extension().is_none_or(|e| e != "release") {
            return Err(Unresolved::new(
                Code::ImportNotSource,
                "not a `.release` file",
                format!(
                    "{} is a link to a file that is not a `.release` file; only `.release` files can be imported",
                    path.display()
                ),
            ));
        }
        match read_source(&key) {
            Ok(text) => Ok(Found {
                name: path.display().to_string(),
                key,
                text,
            }),
            Err(ReadError::NotFound) => Err(self.not_found(&path, import, from_key)),
            Err(e) => Err(Unresolved::new(
                Code::ImportNotSource,
                "cannot be read",
                format!("{} cannot be read: {e}", path.display()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_of_every_platform_are_recognised() {
        for p in ["/etc/passwd", "\\x", "C:\\x", "c:x", "\\\\server\\share"] {
            assert!(is_absolute(p), "{p}");
        }
        for p in ["a.release", "../a.release", "x/y.release", "./a.release"] {
            assert!(!is_absolute(p), "{p}");
        }
    }

    #[test]
    fn standard_modules_resolve_without_the_file_system() {
        let r = FileResolver::new(Path::new("/nonexistent-root"));
        let found = r.resolve("std/gates", "x.release", Path::new("/x.release"));
        assert_eq!(found.expect("std/gates exists").name, "<std/gates>");
        let err = r
            .resolve("std/gatez", "x.release", Path::new("/x.release"))
            .unwrap_err();
        assert_eq!(err.code, Code::ImportNotFound);
        assert!(err.help.contains("std/gates"), "{}", err.help);
    }

    #[test]
    fn a_missing_file_outside_the_root_is_outside_not_missing() {
        let r = FileResolver::new(Path::new("/nonexistent-root"));
        let err = r
            .resolve("../nowhere/x.release", "x.release", Path::new("/x.release"))
            .unwrap_err();
        assert_eq!(err.code, Code::ImportOutsideProject);
    }
}
