//! Secret masking: every value registered as secret is replaced by `***` in
//! every log line, event and summary the interpreter writes.

use std::sync::{Arc, RwLock};

/// The secret values of one run, shared by every job; values registered while
/// the run goes on (`##vso[task.setsecret]`, `issecret=true`) apply from then on.
#[derive(Clone, Default)]
pub struct Masker {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Masker {
    pub fn add(&self, value: &str) {
        // A value that is blank hides nothing and would mask every gap.
        if value.trim().is_empty() {
            return;
        }
        let mut s = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        let mut add = |v: &str| {
            if !v.trim().is_empty() && !s.iter().any(|x| x == v) {
                s.push(v.to_string());
            }
        };
        add(value);
        // A multi-line secret is masked line by line too, as logs arrive by line.
        for line in value.lines() {
            add(line);
        }
        // Longest first, so a secret containing another is masked whole.
        s.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    pub fn mask(&self, text: &str) -> String {
        let s = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for secret in s.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_longest_first_and_ignores_blank_values() {
        let m = Masker::default();
        m.add("abc");
        m.add("abcdef");
        m.add("  ");
        assert_eq!(m.mask("x abcdef y abc z  "), "x *** y *** z  ");
        m.add("line1\nline2");
        assert_eq!(m.mask("got line2"), "got ***");
    }
}
