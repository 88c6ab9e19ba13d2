//! Secrets written in the file (E090).
//!
//! A value is judged on its folded text: string pieces joined by `+`,
//! environment properties and template parameters replaced by what they stand
//! for (variables stay `$(name)`). It is a secret when
//!
//! - it contains a credential of a known shape (an AWS access key, a GitHub or
//!   npm token, a JSON web token, a private key, an Azure storage key, a
//!   password in a connection string or a URL), whatever its key; or
//! - its key says it holds a secret (`password`, `token`, `secret`,
//!   `Authorization`, …), and the value is literal text (no `$(…)`), at least
//!   4 characters long once an authorization scheme (`Bearer `) is set aside,
//!   and not a path.
//!
//! A key that *names* a secret (`secretType`, `imagePullSecret`, `secretName`,
//! `secretsFilter`: it also says name, type, pull, filter, …) holds a name or a
//! kind, and is reported only for a credential of a known shape.
//!
//! The diagnostic points where the secret is written (the argument, default or
//! environment property it came from), is reported once per place, and never
//! repeats the value.

use super::{Checker, ParamValue, Scope};
use crate::ast::{self, ValueKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

/// Words of a key that says its value is a secret.
const HOLDS_SECRET: &[&str] = &[
    "secret",
    "password",
    "passwd",
    "pwd",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "access-key",
    "privatekey",
    "private_key",
    "credential",
    "authorization",
];

/// Words of a key that says its value names a secret, or describes one,
/// rather than being one. Derived from the inputs of Azure's in-box tasks
/// whose names say secret but whose values do not hold one: `secretType` (a
/// pick list), `secretName`, `imagePullSecrets`, `secretsFilter`,
/// `azureSubscriptionEndpointForSecrets`, `passwordEncrypted` (a boolean),
/// `sasTokenTimeOutInMinutes`.
const NAMES_SECRET: &[&str] = &[
    "name",
    "names",
    "type",
    "kind",
    "ref",
    "pull",
    "filter",
    "endpoint",
    "connection",
    "encrypted",
    "timeout",
    "time",
    "minutes",
    "file",
    "path",
    "length",
    "vault",
    "store",
    "provider",
    "mode",
    "format",
];

/// Authorization schemes set aside before judging a header's credential.
const SCHEMES: &[&str] = &["bearer ", "basic ", "token ", "bot ", "digest "];

/// What makes a value a secret, as said in the diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finding {
    /// The key says secret and the value is literal text.
    Literal,
    /// A credential of a known shape.
    Shape(&'static str),
}

/// A value's text as Azure will see it, and where its literal text is written.
struct Folded {
    text: String,
    /// The span of the literal that holds the text, when it is written
    /// elsewhere (an environment property, a template argument or default).
    origin: Option<Span>,
}

impl Checker<'_> {
    /// Report a secret written in the value of `name` (`what` says what `name`
    /// is: "variable", "input", "header", …).
    pub(crate) fn check_secret(
        &mut self,
        name: &str,
        value: &ast::Value,
        what: &str,
        scope: &Scope,
    ) {
        let Some(folded) = self.fold(value, scope, 0) else {
            return;
        };
        let holds = match self.memo.secret_keys.get(name) {
            Some(&holds) => holds,
            None => {
                let holds = key_holds_secret(name);
                self.memo.secret_keys.insert(name.to_string(), holds);
                holds
            }
        };
        let Some(finding) = judge_text(holds, &folded.text) else {
            return;
        };
        let origin = folded.origin.unwrap_or(value.span);
        if !self
            .memo
            .reported_secrets
            .insert((origin.file, origin.start, origin.end))
        {
            return;
        }
        let message = match finding {
            Finding::Literal => {
                format!("{what} `{name}` looks like a secret, and its value is written in the file")
            }
            Finding::Shape(kind) => format!("{what} `{name}` holds {kind}, written in the file"),
        };
        let fix = if what == "variable" {
            format!(
                "declare it with `secret {name}` and set its value in Azure (pipeline settings or a variable group)"
            )
        } else {
            "declare a secret (`secret name`, set in Azure or a variable group) and use `$(name)` here".to_string()
        };
        let mut d = Diagnostic::error(Code::SecretInSource, origin, message)
            .label("secret in clear text")
            .help(fix);
        if origin != value.span {
            d = d.related(value.span, format!("used as {what} `{name}` here"));
        }
        self.diags.push(d);
    }

    /// A script's text: only credentials of a known shape are reported, since
    /// a script mentions passwords and tokens by name all the time.
    pub(crate) fn check_script_secret(&mut self, value: &ast::Value, scope: &Scope) {
        let Some(folded) = self.fold(value, scope, 0) else {
            return;
        };
        let Some(kind) = shape(&folded.text) else {
            return;
        };
        let origin = folded.origin.unwrap_or(value.span);
        if !self
            .memo
            .reported_secrets
            .insert((origin.file, origin.start, origin.end))
        {
            return;
        }
        self.diags.push(
            Diagnostic::error(
                Code::SecretInSource,
                origin,
                format!("this script holds {kind}, written in the file"),
            )
            .label("secret in clear text")
            .help("declare a secret (`secret name`, set in Azure or a variable group) and pass it to the script: `env { NAME = \"$(name)\" }`"),
        );
    }

    /// Where the text of a value is written: the value itself, or the
    /// argument, default or property it stands for.
    pub(crate) fn origin_of(&mut self, v: &ast::Value, scope: &Scope) -> Span {
        self.fold(v, scope, 0)
            .and_then(|f| f.origin)
            .unwrap_or(v.span)
    }

    /// The text of a value without reporting anything; `None` when part of it
    /// is unknown (reported elsewhere) or not text.
    fn fold(&mut self, v: &ast::Value, scope: &Scope, depth: usize) -> Option<Folded> {
        match &v.kind {
            ValueKind::Str(s) => Some(Folded {
                text: s.clone(),
                origin: None,
            }),
            ValueKind::Concat(parts) => {
                let mut text = String::new();
                let mut origin = None;
                for p in parts {
                    let f = self.fold(p, scope, depth)?;
                    text.push_str(&f.text);
                    origin = origin.or(f.origin);
                }
                // Pieces joined from several places are reported where they are joined.
                let single = parts.len() == 1;
                Some(Folded {
                    text,
                    origin: if single { origin } else { None },
                })
            }
            ValueKind::Path(path) => {
                let first = &path.segments[0].text;
                if let Some(p) = scope.params.get(first) {
                    return match (p, path.segments.get(1)) {
                        (ParamValue::Environment(e), Some(prop)) if path.segments.len() == 2 => {
                            let e = e.clone();
                            self.fold_property(&e, &prop.text, scope, depth)
                        }
                        (_, None) => Some(Folded {
                            text: p.text(),
                            origin: scope.param_origins.get(first).copied(),
                        }),
                        _ => None,
                    };
                }
                if path.segments.len() == 2 && self.env_key(first).is_some() {
                    return self.fold_property(first, &path.segments[1].text, scope, depth);
                }
                // A variable: Azure substitutes its value at run time.
                Some(Folded {
                    text: format!("$({})", path.text()),
                    origin: None,
                })
            }
            ValueKind::Number(_) | ValueKind::Bool(_) => None,
            _ => None,
        }
    }

    fn fold_property(
        &mut self,
        env: &str,
        prop: &str,
        scope: &Scope,
        depth: usize,
    ) -> Option<Folded> {
        // Properties may refer to other properties; stop well before a cycle matters.
        if depth > 16 {
            return None;
        }
        let decl = self.env_decl(env)?;
        let entry = decl.properties.iter().find(|e| e.key.text == prop)?;
        let caller = Scope {
            params: Default::default(),
            ..scope.clone()
        };
        let f = self.fold(&entry.value, &caller, depth + 1)?;
        Some(Folded {
            origin: Some(f.origin.unwrap_or(entry.value.span)),
            text: f.text,
        })
    }
}

/// Whether the value of `key` is a secret written in the file.
#[cfg(test)]
pub(crate) fn judge(key: &str, text: &str) -> Option<Finding> {
    judge_text(key_holds_secret(key), text)
}

/// Whether `key` says its value is a secret (and does not say it names or
/// describes one): the part of judging a value that depends on its key alone.
pub(crate) fn key_holds_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    // `PWD` and `OLDPWD` are the shell's working directories.
    if lower == "pwd" || lower == "oldpwd" {
        return false;
    }
    let holds = HOLDS_SECRET.iter().any(|w| lower.contains(w));
    let names = words(key)
        .iter()
        .any(|w| NAMES_SECRET.contains(&w.as_str()))
        || NAMES_SECRET.iter().any(|w| lower.ends_with(w));
    holds && !names
}

/// Whether `text` is a secret written in the file, the value of a key that
/// holds one (`holds`, from [`key_holds_secret`]) or not.
pub(crate) fn judge_text(holds: bool, text: &str) -> Option<Finding> {
    if let Some(kind) = shape(text) {
        return Some(Finding::Shape(kind));
    }
    if !holds {
        return None;
    }
    let mut credential = text.trim();
    // `get`: the value may hold a multi-byte character where an ASCII scheme would end.
    let scheme = SCHEMES.iter().find(|s| {
        credential.len() > s.len()
            && credential
                .get(..s.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(s))
    });
    if let Some(s) = scheme {
        credential = credential[s.len()..].trim();
    }
    let is_path = ["/", "./", "../", "~/"]
        .iter()
        .any(|p| credential.starts_with(p))
        || credential.as_bytes().get(1..3) == Some(b":\\");
    let literal = credential.chars().count() >= 4 && !credential.contains("$(") && !is_path;
    literal.then_some(Finding::Literal)
}

/// The words of a key, lower-cased: `imagePullSecrets` → image, pull, secrets.
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && prev_lower);
        if boundary && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Whether `hay` contains `needle`.
pub(crate) fn has(hay: &str, needle: &str) -> bool {
    find(hay, needle, 0).is_some()
}

/// The first offset at or after `from` where `needle` starts in `hay`. The needles
/// are short words and the texts short: a vectorised scan for the first byte, then a
/// comparison, costs less than building a substring searcher on every call.
fn find(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let first = *n.first()?;
    let mut at = from;
    while at + n.len() <= h.len() {
        at += memchr::memchr(first, &h[at..=h.len() - n.len()])?;
        if &h[at..at + n.len()] == n {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// The bytes a credential's word is made of: letters, digits, `-`, `_`, `+`, `/`.
static IN_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'+' || c == b'/';
        b += 1;
    }
    t
};

/// False when `b` cannot hold a credential of a known shape: every match of
/// [`shape`] contains one of these substrings, each found here by a byte of it
/// and a look at its neighbours (one pass, no allocation):
///
/// - `PRIVATE KEY` (the private key; `-----BEGIN` is needed too);
/// - `AK` or `AS` (an AWS key starts `AKIA` or `ASIA`);
/// - `_` after `ghp`, `gho`, `ghu`, `ghs`, `ghr`, `github` or `npm` (GitHub and npm tokens);
/// - `xox` (Slack), `eyJ` (a JSON web token);
/// - `==` (an Azure storage key ends with it);
/// - `=` after `d`, `y` or `e` in any case (the last letter of the connection-string
///   fields `password`, `pwd`, `accountkey`, `sharedaccesskey`, `sharedaccesssignature`);
/// - `://` (a password in a URL).
pub(crate) fn may_have_shape(b: &[u8]) -> bool {
    any_byte(b, *b"AP_xJ=:", |i| {
        let c = b[i];
        let (before, after) = (&b[..i], &b[i + 1..]);
        match c {
            b'A' => matches!(after.first(), Some(b'K' | b'S')),
            b'P' => after.starts_with(b"RIVATE KEY"),
            b'_' => [
                &b"ghp"[..],
                b"gho",
                b"ghu",
                b"ghs",
                b"ghr",
                b"github",
                b"npm",
            ]
            .iter()
            .any(|p| before.ends_with(p)),
            b'x' => after.starts_with(b"ox"),
            b'J' => before.ends_with(b"ey"),
            b'=' => {
                after.first() == Some(&b'=')
                    || matches!(before.last().map(|l| l | 0x20), Some(b'd' | b'y' | b'e'))
            }
            b':' => after.starts_with(b"//"),
            _ => false,
        }
    })
}

/// Whether `f(i)` holds for an index `i` of `b` whose byte is one of `set`,
/// taken in order. Eight bytes are tested at a time, without a branch per
/// byte (a zero-byte test of the word XOR each byte of the set, exact for
/// every byte value), so text without such a byte costs about two instructions
/// a byte.
#[inline(always)]
pub(crate) fn any_byte<const N: usize>(
    b: &[u8],
    set: [u8; N],
    mut f: impl FnMut(usize) -> bool,
) -> bool {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // 0x80 in each byte of `w` that equals one of `set`, 0 elsewhere.
    let marks = |w: u64| {
        let mut m = 0;
        for c in set {
            let v = w ^ (u64::from(c) * 0x0101_0101_0101_0101);
            m |= !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7);
        }
        m
    };
    let mut words = b.chunks_exact(8);
    let mut base = 0;
    let mut at = |mut m: u64, base: usize| {
        while m != 0 {
            if f(base + (m.trailing_zeros() / 8) as usize) {
                return true;
            }
            m &= m - 1;
        }
        false
    };
    for word in &mut words {
        let m = marks(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        if m != 0 && at(m, base) {
            return true;
        }
        base += 8;
    }
    let rest = words.remainder();
    if rest.is_empty() {
        return false;
    }
    let mut last = [0u8; 8];
    last[..rest.len()].copy_from_slice(rest);
    // Only the bytes of `rest`, not the padding.
    let keep = u64::MAX >> (8 * (8 - rest.len()));
    let m = marks(u64::from_le_bytes(last)) & keep;
    m != 0 && at(m, base)
}

/// The kind of credential `text` contains, if it has a known shape.
pub(crate) fn shape(text: &str) -> Option<&'static str> {
    if !may_have_shape(text.as_bytes()) {
        return None;
    }
    shape_unfiltered(text)
}

/// [`shape`] without the prefilter.
fn shape_unfiltered(text: &str) -> Option<&'static str> {
    // The rarer word first: most texts have a `-`, few a `P`.
    if has(text, "PRIVATE KEY") && has(text, "-----BEGIN") {
        return Some("a private key");
    }
    let b = text.as_bytes();
    let is_upper_digit = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let is_alnum = |c: &u8| c.is_ascii_alphanumeric();
    let is_b64url = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_';
    let is_b64 = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
    let in_word = |c: &u8| IN_WORD[*c as usize];
    fn run_in(b: &[u8], from: usize, class: impl Fn(&u8) -> bool) -> usize {
        b.get(from..)
            .map_or(0, |r| r.iter().take_while(|c| class(c)).count())
    }
    let run = |from: usize, class: &dyn Fn(&u8) -> bool| run_in(b, from, class);
    let word_at = |from: usize| run_in(b, from, in_word);
    // A match starts where a word does (after a character that none of the shapes
    // contains); each word is looked at once, at its start: linear in the text.
    let mut i = 0;
    while i < b.len() {
        if !in_word(&b[i]) {
            i += 1;
            continue;
        }
        // Every shape is a word of at least ten characters.
        let word = word_at(i);
        if word < 10 {
            i += word;
            continue;
        }
        let rest = &b[i..];
        let found = match b[i] {
            b'A' if (rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA"))
                && run(i + 4, &is_upper_digit) >= 16 =>
            {
                Some("an AWS access key")
            }
            b'g' if [&b"ghp_"[..], b"gho_", b"ghu_", b"ghs_", b"ghr_"]
                .iter()
                .any(|p| rest.starts_with(p))
                && run(i + 4, &is_alnum) >= 30 =>
            {
                Some("a GitHub token")
            }
            b'g' if rest.starts_with(b"github_pat_") && run(i + 11, &is_b64url) >= 40 => {
                Some("a GitHub token")
            }
            b'n' if rest.starts_with(b"npm_") && run(i + 4, &is_alnum) >= 36 => {
                Some("an npm token")
            }
            b'x' if rest.starts_with(b"xox")
                && matches!(b.get(i + 3), Some(b'a' | b'b' | b'p' | b'r' | b's'))
                && b.get(i + 4) == Some(&b'-')
                && run(i + 5, &|c: &u8| is_alnum(c) || *c == b'-') >= 10 =>
            {
                Some("a Slack token")
            }
            b'e' if rest.starts_with(b"eyJ") => {
                let head = run(i, &is_b64url);
                let payload = run(i + head + 1, &is_b64url);
                (head >= 10
                    && b.get(i + head) == Some(&b'.')
                    && payload >= 10
                    && b.get(i + head + 1 + payload) == Some(&b'.'))
                .then_some("a JSON web token")
            }
            _ => None,
        };
        if found.is_some() {
            return found;
        }
        // An Azure storage account key: 64 bytes in base64, 86 characters and `==`.
        if word >= 86 && run(i, &is_b64) == 86 && b[i + 86..].starts_with(b"==") {
            return Some("an Azure storage key");
        }
        i += word;
    }
    connection_secret(text)
}

/// A password or key in a connection string (`Password=…;`) or a URL
/// (`https://user:password@host`), unless it is a `$(…)` macro.
fn connection_secret(text: &str) -> Option<&'static str> {
    connection_string_secret(text).or_else(|| url_password(text))
}

/// `Password=…;` and the like, with a value that is not a `$(…)` macro: at each `=`,
/// the word before it (letters and digits, in any case) names the field.
fn connection_string_secret(text: &str) -> Option<&'static str> {
    const FIELDS: [(&str, &str); 5] = [
        ("password", "a password in a connection string"),
        ("pwd", "a password in a connection string"),
        ("accountkey", "a key in a connection string"),
        ("sharedaccesskey", "a key in a connection string"),
        ("sharedaccesssignature", "a key in a connection string"),
    ];
    let b = text.as_bytes();
    for eq in memchr::memchr_iter(b'=', b) {
        let start = b[..eq]
            .iter()
            .rposition(|c| !c.is_ascii_alphanumeric())
            .map_or(0, |p| p + 1);
        let word = &text[start..eq];
        let Some((_, kind)) = FIELDS.iter().find(|(f, _)| f.eq_ignore_ascii_case(word)) else {
            continue;
        };
        let value = text[eq + 1..].split(';').next().unwrap_or("").trim();
        let value = value.trim_matches(|c| c == '\'' || c == '"' || c == '{' || c == '}');
        if !value.is_empty() && !is_reference(value) {
            return Some(kind);
        }
    }
    None
}

/// A value that names where the secret comes from instead of holding it: a
/// `$(…)` macro, a shell variable (`$PWD`, `${PASS}`), PowerShell's `$env:X`,
/// cmd's `%PASS%`.
fn is_reference(value: &str) -> bool {
    value.starts_with('$')
        || (value.len() > 2 && value.starts_with('%') && value[1..].contains('%'))
}

/// `https://user:password@host`, with a password that is not a `$(…)` macro.
fn url_password(text: &str) -> Option<&'static str> {
    let mut from = 0;
    while let Some(i) = find(text, "://", from) {
        let start = i + 3;
        from = start;
        let authority = text[start..]
            .split(['/', ' ', '"', '\'', '\n'])
            .next()
            .unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
            && !is_reference(password)
        {
            return Some("a password in a URL");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_hold_secrets_with_literal_values_are_secrets() {
        for (key, value) in [
            ("dbPassword", "Pa55w0rd!"),
            ("password", "hunter2"),
            ("NPM_TOKEN", "npm_a1b2c3d4e5"),
            ("Authorization", "Bearer abc123"),
            ("Authorization", "Basic dXNlcjpwYXNz"),
            ("x-api-key", "k3y-v4lue"),
            ("clientSecret", "correct horse battery staple"),
            ("refresh_token", "r3fr3sh-me"),
            // A multi-byte character across the end of where a scheme (`bot `) would be.
            ("password", "hun€ter2"),
            ("password", "Bearer€ hunter2"),
        ] {
            assert_eq!(judge(key, value), Some(Finding::Literal), "{key} = {value}");
        }
    }

    #[test]
    fn references_names_and_paths_are_not_secrets() {
        for (key, value) in [
            ("dbPassword", "$(dbPassword)"),
            ("Authorization", "Bearer $(apiToken)"),
            ("secretType", "dockerRegistry"),
            ("imagePullSecret", "regcred"),
            ("secretName", "kubernetes-secret-name"),
            ("secretsFilter", "*"),
            ("passwordEncrypted", "true"),
            ("sasTokenTimeOutInMinutes", "240"),
            ("PWD", "/src/app"),
            ("keyFile", "./certs/signing.pfx"),
            ("tokenPath", "C:\\agent\\token.txt"),
            ("password", "pw"),
            ("refresh_token_name", "token-for-ci"),
            ("displayName", "Deploy with the new token flow"),
        ] {
            assert_eq!(judge(key, value), None, "{key} = {value}");
        }
    }

    #[test]
    fn known_shapes_are_secrets_under_any_key() {
        let storage_key = format!("{}==", "A".repeat(86));
        for (value, kind) in [
            ("AKIAIOSFODNN7EXAMPLE", "an AWS access key"),
            ("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "a GitHub token"),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
                "a JSON web token",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
                "a private key",
            ),
            (storage_key.as_str(), "an Azure storage key"),
            (
                "Server=db;User Id=sa;Password=hunter2;",
                "a password in a connection string",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc",
                "a key in a connection string",
            ),
            (
                "https://deploy:hunter2@example.com/repo.git",
                "a password in a URL",
            ),
        ] {
            assert_eq!(shape(value), Some(kind), "{value}");
            assert_eq!(judge("secretType", value), Some(Finding::Shape(kind)));
            assert_eq!(judge("CONNECTION", value), Some(Finding::Shape(kind)));
        }
    }

    #[test]
    fn a_password_field_that_names_a_variable_is_not_a_secret() {
        for text in [
            "echo pwd=$PWD",
            "Server=db;Password=${DB_PASSWORD};",
            "Password=$env:DB_PASSWORD",
            "set PWD=%DB_PASSWORD%",
            "https://deploy:$TOKEN@example.com/repo.git",
        ] {
            assert_eq!(shape(text), None, "{text}");
        }
        assert!(shape("Password=%;").is_some(), "a lone % is a value");
    }

    /// Each bypass is reported, and no part of a diagnostic (message, label,
    /// help, related messages, the JSON form) repeats the secret.
    #[test]
    fn secrets_are_reported_without_their_value() {
        let cases = [
            ("Pa55w0rd!", r#"var dbPassword = "Pa55" + "w0rd!""#),
            ("hunter2", r#"var apiToken = "hunter2" + """#),
            (
                "s3cr3t-k3y",
                r#"environment prod { deploy_key = "s3cr3t-k3y" }
                   stage A { deployment D to prod { script "x" { env { DEPLOY_PASSWORD = prod.deploy_key } } } }"#,
            ),
            (
                "9f8e7d6c5b4a",
                r#"environment prod { gate http { connection "c" success "true" headers { Authorization = "Bearer 9f8e7d6c5b4a" } } }
                   stage A { deployment D to prod { script "x" } }"#,
            ),
            (
                "npm_a1b2c3d4e5f6",
                r#"template t(token: string = "npm_a1b2c3d4e5f6") { script "x" { env { T = token } } }
                   stage A { job B { use t() } }"#,
            ),
            (
                "AKIAIOSFODNN7EXAMPLE",
                r#"stage A { job B { script "aws --key AKIAIOSFODNN7EXAMPLE s3 ls" } }"#,
            ),
        ];
        for (secret, text) in cases {
            let c = crate::compile("t.release", text);
            let found: Vec<_> = c
                .diagnostics
                .iter()
                .filter(|d| d.code == Code::SecretInSource)
                .collect();
            assert!(!found.is_empty(), "no E090 for {text}: {:?}", c.diagnostics);
            for d in &c.diagnostics {
                let json = crate::render::json(d, &c.sources).to_string();
                let mut parts = vec![d.message.as_str(), d.label.as_str(), json.as_str()];
                parts.extend(d.help.as_deref());
                parts.extend(d.related.iter().map(|r| r.message.as_str()));
                for p in parts {
                    assert!(!p.contains(secret), "{secret} printed in {p}");
                }
            }
        }
    }

    /// Every text with a known shape passes the prefilter: texts joined from
    /// pieces of credentials, fields and separators (a deterministic sample).
    #[test]
    fn the_prefilter_lets_every_shape_through() {
        let pieces = [
            "AKIA",
            "ASIA",
            "IOSFODNN7EXAMPLE",
            "ghp_",
            "github_pat_",
            "npm_",
            "xoxb-",
            "eyJ",
            "hbGciOiJIUzI1NiJ9",
            ".",
            "PRIVATE KEY",
            "-----BEGIN ",
            "=",
            "==",
            "Password",
            "PWD",
            "AccountKey",
            "SharedAccessSignature",
            ";",
            "://",
            "user:",
            "pw@host",
            "a1b2c3d4e5f6g7h8i9j0",
            "ABCDEFGHIJ0123456789",
            " ",
            "$(x)",
            "/",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut found = 0;
        for _ in 0..200_000 {
            let mut text = String::new();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = 1 + (seed >> 60) as usize;
            for _ in 0..n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let p = pieces[(seed >> 33) as usize % pieces.len()];
                let reps = 1 + (seed >> 61) as usize;
                text.push_str(&p.repeat(reps));
            }
            if shape_unfiltered(&text).is_some() {
                found += 1;
                assert!(may_have_shape(text.as_bytes()), "{text}");
            }
        }
        assert!(found > 1000, "only {found} texts with a shape");
    }

    #[test]
    fn ordinary_text_has_no_known_shape() {
        for value in [
            "Server=db;User Id=sa;Password=$(dbPassword);",
            "https://$(user):$(token)@example.com",
            "https://example.com/path?a=b",
            "echo ##vso[task.setvariable variable=x]1",
            "./deploy.sh --password $(dbPassword)",
            "AKIA is a prefix",
            "the ghp_ prefix",
            "BEGIN",
        ] {
            assert_eq!(shape(value), None, "{value}");
        }
    }
}
