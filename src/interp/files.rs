//! File patterns of the copy tasks: Azure's minimatch subset (`**` any number
//! of directories, `*` and `?` within one name, `!` to exclude), one pattern
//! per line.

use std::path::{Path, PathBuf};

/// Every file under `root`, relative to it, in name order (links not followed).
pub fn list(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let kind = e.file_type()?;
            let path = e.path();
            if kind.is_dir() {
                if e.file_name() != ".git" && e.file_name() != ".relc" {
                    walk(root, &path, out)?;
                }
            } else if kind.is_file() {
                out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    Ok(out)
}

/// Whether a `/`-separated relative path matches a pattern.
pub fn glob(pattern: &str, path: &str) -> bool {
    fn parts(p: &[&str], s: &[&str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => parts(&p[1..], s) || (!s.is_empty() && parts(p, &s[1..])),
            (Some(pat), Some(name)) => {
                crate::interp::trigger::wildcard(pat, name) && parts(&p[1..], &s[1..])
            }
            _ => false,
        }
    }
    let p: Vec<&str> = pattern
        .trim_start_matches("./")
        .split('/')
        .filter(|x| !x.is_empty())
        .collect();
    let s: Vec<&str> = path.split('/').collect();
    // `**` runs make this exponential only in the number of `**`s, which a
    // pattern line bounds; collapse repeats to keep it small.
    let mut q: Vec<&str> = Vec::with_capacity(p.len());
    for x in p {
        if !(x == "**" && q.last() == Some(&"**")) {
            q.push(x);
        }
    }
    parts(&q, &s)
}

/// Copy the files under `from` that the patterns take into `to`, keeping
/// their relative paths; how many.
pub fn copy_matching(from: &Path, to: &Path, patterns: &str) -> Result<usize, String> {
    let (include, exclude): (Vec<&str>, Vec<&str>) = patterns
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .partition(|l| !l.starts_with('!'));
    let files = list(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    let mut n = 0;
    for rel in files {
        let r = rel.to_string_lossy().replace('\\', "/");
        let takes =
            include.iter().any(|p| glob(p, &r)) && !exclude.iter().any(|p| glob(&p[1..], &r));
        if !takes {
            continue;
        }
        let target = to.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::copy(from.join(&rel), &target).map_err(|e| format!("{}: {e}", rel.display()))?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_names_and_directories() {
        assert!(glob("**", "a/b/c.txt"));
        assert!(glob("**/*.zip", "Release/app.zip"));
        assert!(glob("**/*.zip", "app.zip"));
        assert!(!glob("*.zip", "Release/app.zip"));
        assert!(glob("src/?.rs", "src/a.rs"));
    }
}
