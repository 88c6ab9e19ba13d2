//! Robustness: thousands of mutated versions of every `examples/*.release` (and of the
//! files in [`EXTRA_DIRS`]), and a list of hand-written nasty inputs, go through every
//! phase of relc: parse, check, and, when there is no error, `azure::emit`,
//! `checks::manifest` and serialisation of the IR; `render::human` and `render::json` for
//! every diagnostic. Nothing may panic; every span a diagnostic reports (primary and
//! related), and every span of the IR, must lie inside its file on UTF-8 character
//! boundaries; emitted YAML must read back with yaml-rust2 as one document.
//!
//! Mutations (one to three per mutant): delete, duplicate or swap tokens; delete,
//! duplicate or swap lines; insert an interesting character; truncate; change one
//! character of an identifier. The run is deterministic (SplitMix64, fixed seed).
//! Knobs, all optional:
//!
//! - `RELC_MUTANTS=n`: mutants of the examples in all (default 6,000 in a debug build,
//!   60,000 with `--release`), shared out evenly between them;
//! - `RELC_EXTRA_MUTANTS=n`: mutants of each file of [`EXTRA_DIRS`] (default 12 / 200);
//! - `RELC_MUTATION_SEED=n`: another base seed (decimal or `0x…`);
//! - `RELC_MUTANT_FILE=path`: check only that file (e.g. a reproduction this test wrote);
//! - `RELC_MUTATION_TRACE=1`: name each mutant on stderr before checking it.
//!
//! On failure the test writes every distinct failing input, and a minimised version of
//! it, to `target/mutations/`, and its message names the seed, the mutations and the
//! input. Each nasty input runs in a child process (this binary again, with
//! `RELC_NASTY_CHILD=i`), because a stack overflow or a hang cannot be caught in process.

use relc::backend::{azure, checks};
use relc::render;
use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;
use std::time::Instant;

const DEFAULT_SEED: u64 = 0x5eed_2e1c_a11c_e5e1;
const DEFAULT_MUTANTS_DEBUG: usize = 6_000;
const DEFAULT_MUTANTS_RELEASE: usize = 60_000;
/// Mutants of each file of [`EXTRA_DIRS`]: small files, one or a few diagnostics each.
const DEFAULT_EXTRA_DEBUG: usize = 12;
const DEFAULT_EXTRA_RELEASE: usize = 200;
/// More originals, besides `examples/*.release`: the invalid examples and the UI tests
/// reach every diagnostic, the standard library every import.
const EXTRA_DIRS: &[&str] = &["examples/invalid", "tests/ui", "stdlib"];
/// The command-line compiler runs on the main thread, whose stack is usually 8 MiB.
const STACK: usize = 8 << 20;
/// Distinct failures that get minimised and reported in full.
const REPORTED: usize = 8;

// ───────────────────────────── PRNG ─────────────────────────────

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the bias is irrelevant here.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The seed of mutant `i` of example `name`: reproducible without running the others.
fn mutant_seed(base: u64, name: &str, i: usize) -> u64 {
    SplitMix64(base ^ fnv1a(name) ^ (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d)).next()
}

// ─────────────────────────── mutations ───────────────────────────

const INTERESTING: &[&str] = &[
    "{", "}", "[", "]", "(", ")", "\"", "'", "\\", "$", "=", "+", ".", ",", "@", "é", "🚀", "\t",
    "\n",
];
const IDENT_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Byte ranges of the tokens of `text`: runs of word characters, and every other
/// non-whitespace character on its own.
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut word_start = None;
    for (i, c) in text.char_indices() {
        if is_word(c) {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(s) = word_start.take() {
            out.push((s, i));
        }
        if !c.is_whitespace() {
            out.push((i, i + c.len_utf8()));
        }
    }
    if let Some(s) = word_start {
        out.push((s, text.len()));
    }
    out
}

/// Byte ranges of the lines of `text`, each with its line break.
fn lines(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for l in text.split_inclusive('\n') {
        out.push((start, start + l.len()));
        start += l.len();
    }
    out
}

/// A random char boundary of `text`, `0..=len`.
fn boundary(rng: &mut SplitMix64, text: &str) -> usize {
    let mut i = rng.below(text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn splice(text: &str, range: (usize, usize), with: &str) -> String {
    format!("{}{with}{}", &text[..range.0], &text[range.1..])
}

fn swap(text: &str, a: (usize, usize), b: (usize, usize)) -> String {
    debug_assert!(a.1 <= b.0);
    format!(
        "{}{}{}{}{}",
        &text[..a.0],
        &text[b.0..b.1],
        &text[a.1..b.0],
        &text[a.0..a.1],
        &text[b.1..]
    )
}

/// Apply one random mutation; `None` when the chosen kind does not apply (no tokens…).
fn mutate_once(rng: &mut SplitMix64, text: &str) -> Option<(String, String)> {
    let toks = tokens(text);
    let lns = lines(text);
    let kind = rng.below(9);
    if toks.is_empty() && kind <= 1 {
        // Only whitespace: nothing for the token mutations to work on.
        return None;
    }
    Some(match kind {
        0 => {
            let t = *rng.pick(&toks);
            (
                splice(text, t, ""),
                format!("delete token {:?} at {}", &text[t.0..t.1], t.0),
            )
        }
        1 => {
            let t = *rng.pick(&toks);
            let sep = if rng.below(2) == 0 { " " } else { "" };
            let dup = format!("{}{sep}{}", &text[t.0..t.1], &text[t.0..t.1]);
            (
                splice(text, t, &dup),
                format!("duplicate token {:?} at {}", &text[t.0..t.1], t.0),
            )
        }
        2 => {
            if toks.len() < 2 {
                return None;
            }
            let i = rng.below(toks.len() - 1);
            let (a, b) = (toks[i], toks[i + 1]);
            (
                swap(text, a, b),
                format!(
                    "swap tokens {:?} and {:?} at {}",
                    &text[a.0..a.1],
                    &text[b.0..b.1],
                    a.0
                ),
            )
        }
        3 => {
            let l = *rng.pick(&lns);
            (splice(text, l, ""), format!("delete line at {}", l.0))
        }
        4 => {
            let l = *rng.pick(&lns);
            let mut line = text[l.0..l.1].to_string();
            if !line.ends_with('\n') {
                line.push('\n');
            }
            (
                splice(text, (l.0, l.0), &line),
                format!("duplicate line at {}", l.0),
            )
        }
        5 => {
            if lns.len() < 2 {
                return None;
            }
            let i = rng.below(lns.len());
            let j = rng.below(lns.len());
            let (i, j) = (i.min(j), i.max(j));
            if i == j {
                return None;
            }
            // Swap whole lines, keeping a final line without `\n` last.
            let (a, b) = (lns[i], lns[j]);
            let (mut la, mut lb) = (text[a.0..a.1].to_string(), text[b.0..b.1].to_string());
            if !lb.ends_with('\n') {
                lb.push('\n');
                la = la.trim_end_matches('\n').to_string();
            }
            let out = format!(
                "{}{lb}{}{la}{}",
                &text[..a.0],
                &text[a.1..b.0],
                &text[b.1..]
            );
            (out, format!("swap lines at {} and {}", a.0, b.0))
        }
        6 => {
            let at = boundary(rng, text);
            let c = *rng.pick(INTERESTING);
            (splice(text, (at, at), c), format!("insert {c:?} at {at}"))
        }
        7 => {
            let at = boundary(rng, text);
            (text[..at].to_string(), format!("truncate at {at}"))
        }
        _ => {
            let idents: Vec<_> = toks
                .iter()
                .filter(|t| text[t.0..].starts_with(|c: char| c.is_alphabetic() || c == '_'))
                .collect();
            if idents.is_empty() {
                return None;
            }
            let t = **rng.pick(&idents);
            let word: Vec<char> = text[t.0..t.1].chars().collect();
            let k = rng.below(word.len());
            let mut c = *rng.pick(IDENT_CHARS) as char;
            if c == word[k] {
                c = if c == '_' { 'x' } else { '_' };
            }
            let mut near = word.clone();
            near[k] = c;
            let near: String = near.into_iter().collect();
            let old: String = word.into_iter().collect();
            (
                splice(text, t, &near),
                format!("near-miss {old:?} -> {near:?} at {}", t.0),
            )
        }
    })
}

/// One mutant: one to three stacked mutations of `original`.
fn mutant(original: &str, seed: u64) -> (String, Vec<String>) {
    let mut rng = SplitMix64(seed);
    let count = match rng.below(20) {
        0..=11 => 1,
        12..=16 => 2,
        _ => 3,
    };
    let mut text = original.to_string();
    let mut applied = Vec::new();
    let mut attempts = 0;
    while applied.len() < count && attempts < 50 {
        attempts += 1;
        if text.is_empty() {
            // Only insertion makes sense on an empty text.
            let c = *rng.pick(INTERESTING);
            text.push_str(c);
            applied.push(format!("insert {c:?} at 0"));
            continue;
        }
        if let Some((t, what)) = mutate_once(&mut rng, &text) {
            text = t;
            applied.push(what);
        }
    }
    (text, applied)
}

// ───────────────────────── panic capture ─────────────────────────

struct Caught {
    message: String,
    location: String,
    backtrace: Backtrace,
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<Caught>> = const { RefCell::new(None) };
}

/// Panics on threads marked quiet are recorded instead of printed.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                return default(info);
            }
            let location = info
                .location()
                .map_or_else(|| "<unknown>".to_string(), |l| l.to_string());
            let message = payload_text(info.payload());
            let backtrace = Backtrace::force_capture();
            LAST_PANIC.set(Some(Caught {
                message,
                location,
                backtrace,
            }));
        }));
    });
}

fn payload_text(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// The frames of a backtrace that are relc's own code, with their locations.
fn relc_frames(bt: &Backtrace) -> String {
    let text = bt.to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if l.contains("relc::") && !l.contains("mutations::") {
            let _ = writeln!(out, "    {}", l.trim());
            if let Some(at) = lines
                .get(i + 1)
                .filter(|n| n.trim_start().starts_with("at "))
            {
                let _ = writeln!(out, "        {}", at.trim());
            }
        }
    }
    if out.is_empty() {
        "    (no relc frames; is debug info on?)\n".to_string()
    } else {
        out
    }
}

// ─────────────────────────── the check ───────────────────────────

/// What went wrong with one input. `key` identifies the bug (for de-duplication and
/// minimisation); `detail` is for people.
#[derive(Clone)]
struct Failure {
    key: String,
    detail: String,
}

fn fail(key: impl Into<String>, detail: impl Into<String>) -> Failure {
    Failure {
        key: key.into(),
        detail: detail.into(),
    }
}

/// Where a span is wrong, if it is.
fn span_problem(
    s: relc::source::Span,
    sources: &relc::source::SourceMap,
    files: usize,
) -> Option<&'static str> {
    if s.file.0 as usize >= files {
        return Some("names a file that does not exist");
    }
    let text = &sources.get(s.file).text;
    let (start, end) = (s.start as usize, s.end as usize);
    if start > end {
        Some("starts after it ends")
    } else if end > text.len() {
        Some("ends past the end of the file")
    } else if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        Some("is not on a char boundary")
    } else {
        None
    }
}

/// Every `{file, start, end}` object of a serialised IR (the spans the IR carries).
fn ir_spans(v: &serde_json::Value, out: &mut Vec<relc::source::Span>) {
    match v {
        serde_json::Value::Object(m) => {
            if let (3, Some(f), Some(s), Some(e)) = (
                m.len(),
                m.get("file").and_then(|v| v.as_u64()),
                m.get("start").and_then(|v| v.as_u64()),
                m.get("end").and_then(|v| v.as_u64()),
            ) {
                out.push(relc::source::Span {
                    file: relc::source::FileId(f as u32),
                    start: s as u32,
                    end: e as u32,
                });
                return;
            }
            m.values().for_each(|v| ir_spans(v, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| ir_spans(v, out)),
        _ => {}
    }
}

/// Compile `text` and put the result through everything downstream of the parser.
/// `Ok(has_errors)` when all is well.
fn run_phases(name: &str, text: &str) -> Result<bool, Failure> {
    let c = relc::compile(name, text);
    let files = c.sources.files().count();
    for d in &c.diagnostics {
        let code = d.code.as_str();
        if let Some(p) = span_problem(d.span, &c.sources, files) {
            return Err(fail(
                format!("{code} primary span {p}"),
                format!(
                    "diagnostic {code} ({:?}): primary span {}..{} {p} (file length {})",
                    d.message,
                    d.span.start,
                    d.span.end,
                    text.len()
                ),
            ));
        }
        for r in &d.related {
            if let Some(p) = span_problem(r.span, &c.sources, files) {
                return Err(fail(
                    format!("{code} related span {p}"),
                    format!(
                        "diagnostic {code} ({:?}): related span {}..{} ({:?}) {p} (file length {})",
                        d.message,
                        r.span.start,
                        r.span.end,
                        r.message,
                        text.len()
                    ),
                ));
            }
        }
        let _ = render::human(d, &c.sources, d.span.start % 2 == 0);
        let _ = render::json(d, &c.sources);
    }
    if c.has_errors() {
        return Ok(true);
    }
    let Some(p) = &c.pipeline else {
        return Err(fail(
            "no pipeline",
            "no error was reported, but there is no pipeline",
        ));
    };
    let ir = serde_json::to_value(p).map_err(|e| {
        fail(
            "IR serialisation",
            format!("serde_json failed on the IR: {e}"),
        )
    })?;
    let _ =
        serde_json::to_string_pretty(&ir).map_err(|e| fail("IR serialisation", e.to_string()))?;
    let mut spans = Vec::new();
    ir_spans(&ir, &mut spans);
    for s in spans {
        if let Some(pr) = span_problem(s, &c.sources, files) {
            return Err(fail(
                format!("IR span {pr}"),
                format!(
                    "a span of the IR, {}..{}, {pr} (file length {})",
                    s.start,
                    s.end,
                    text.len()
                ),
            ));
        }
    }
    let yaml = azure::emit(p, name).map_err(|e| {
        fail(
            "emit error",
            format!("azure::emit failed on a valid pipeline: {e}"),
        )
    })?;
    match yaml_rust2::YamlLoader::load_from_str(&yaml) {
        Ok(docs) if docs.len() == 1 => {}
        Ok(docs) => {
            return Err(fail(
                "YAML documents",
                format!("the YAML holds {} documents:\n{yaml}", docs.len()),
            ));
        }
        Err(e) => {
            return Err(fail(
                "YAML reload",
                format!("yaml-rust2 cannot read the emitted YAML back: {e}\n{yaml}"),
            ));
        }
    }
    let _ = serde_json::to_string(&checks::manifest(p, &c.sources))
        .map_err(|e| fail("manifest serialisation", e.to_string()))?;
    Ok(false)
}

/// [`run_phases`], with panics turned into failures (and not printed).
fn check(name: &str, text: &str) -> Result<bool, Failure> {
    catching(|| run_phases(name, text))
}

/// `f()`, with a panic turned into a failure naming its location and relc's frames.
fn catching<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    install_hook();
    LAST_PANIC.set(None);
    QUIET.set(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.set(false);
    match result {
        Ok(r) => r,
        Err(payload) => {
            let caught = LAST_PANIC.take();
            let (message, location, frames) = match &caught {
                Some(c) => (
                    c.message.clone(),
                    c.location.clone(),
                    relc_frames(&c.backtrace),
                ),
                None => (
                    payload_text(&*payload),
                    "<unknown>".to_string(),
                    String::new(),
                ),
            };
            Err(fail(
                format!("panic at {location}"),
                format!("panicked at {location}: {message}\n  relc frames:\n{frames}"),
            ))
        }
    }
}

/// Run `f` on a fresh thread with the command line's stack size. A stack
/// overflow cannot be caught: it aborts the process, and the message names the thread.
fn on_thread<T: Send + 'static>(name: String, f: impl FnOnce() -> T + Send + 'static) -> T {
    install_hook();
    std::thread::Builder::new()
        .name(name)
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("a checking thread panicked outside catch_unwind")
}

// ─────────────────────────── minimising ───────────────────────────

/// Shrink `text` while it keeps failing with the same key: chunks of lines, then of
/// tokens, then single characters. Bounded, so it always ends.
fn minimise(name: &str, text: &str, key: &str) -> String {
    let budget = Cell::new(4_000usize);
    let still_fails = |t: &str| {
        if budget.get() == 0 {
            return false;
        }
        budget.set(budget.get() - 1);
        matches!(check(name, t), Err(f) if f.key == key)
    };
    let mut best = text.to_string();
    loop {
        let before = best.len();
        for unit in 0..3 {
            let pieces = |t: &str| -> Vec<(usize, usize)> {
                match unit {
                    0 => lines(t),
                    1 => {
                        // Tokens with the whitespace after them, so removal keeps layout sane.
                        let toks = tokens(t);
                        (0..toks.len())
                            .map(|i| (toks[i].0, toks.get(i + 1).map_or(t.len(), |n| n.0)))
                            .collect()
                    }
                    _ => t
                        .char_indices()
                        .map(|(i, c)| (i, i + c.len_utf8()))
                        .collect(),
                }
            };
            let mut chunk = pieces(&best).len().max(1);
            while chunk >= 1 {
                let mut i = 0;
                loop {
                    let ps = pieces(&best);
                    if i >= ps.len() {
                        break;
                    }
                    let end = (i + chunk).min(ps.len());
                    let candidate = splice(&best, (ps[i].0, ps[end - 1].1), "");
                    if candidate.len() < best.len() && still_fails(&candidate) {
                        best = candidate;
                    } else {
                        i += chunk;
                    }
                }
                if chunk == 1 {
                    break;
                }
                chunk /= 2;
            }
        }
        // Whitespace runs collapse to one space or line break.
        let collapsed = collapse_whitespace(&best);
        if collapsed.len() < best.len() && still_fails(&collapsed) {
            best = collapsed;
        }
        if best.len() >= before || budget.get() == 0 {
            return best;
        }
    }
}

fn collapse_whitespace(t: &str) -> String {
    let mut out = String::new();
    let mut ws: Option<char> = None;
    for c in t.chars() {
        if c == ' ' || c == '\n' {
            ws = Some(if ws == Some('\n') || c == '\n' {
                '\n'
            } else {
                ' '
            });
        } else {
            if let Some(w) = ws.take() {
                out.push(w);
            }
            out.push(c);
        }
    }
    if let Some(w) = ws {
        out.push(w);
    }
    out
}

// ───────────────────────────── reports ─────────────────────────────

struct Found {
    /// The name the input was compiled under.
    name: String,
    origin: String,
    text: String,
    failure: Failure,
    count: usize,
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("mutations");
    std::fs::create_dir_all(&dir).expect("create target/mutations");
    dir
}

fn clip(text: &str) -> String {
    if text.len() <= 4_000 {
        return text.to_string();
    }
    let mut end = 4_000;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// Minimise, write to `target/mutations/` and describe every distinct failure.
fn report(found: BTreeMap<String, Found>, what: &str, prefix: &str, minimise_them: bool) -> String {
    let dir = out_dir();
    // Reproductions of an earlier run would mislead.
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if e.file_name()
            .to_string_lossy()
            .starts_with(&format!("{prefix}-"))
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let mut out = format!("{} distinct failure(s) in {what}:\n", found.len());
    let mut firsts: Vec<&Found> = found.values().collect();
    firsts.sort_by_key(|f| std::cmp::Reverse(f.count));
    for (n, f) in firsts.iter().enumerate() {
        let _ = write!(
            out,
            "\n── failure {} ({} input(s)): {}\n   first: {}\n",
            n + 1,
            f.count,
            f.failure.key,
            f.origin
        );
        let path = dir.join(format!("{prefix}-{}.release", n + 1));
        std::fs::write(&path, &f.text).expect("write reproduction");
        let _ = writeln!(
            out,
            "   reproduce: RELC_MUTANT_FILE={} cargo test --test mutations mutants_of",
            path.display()
        );
        let _ = write!(
            out,
            "{}\n   input:\n<<<<\n{}\n>>>>\n",
            f.failure.detail.trim_end(),
            clip(&f.text)
        );
        if minimise_them && n < REPORTED {
            let (name, text, key) = (f.name.clone(), f.text.clone(), f.failure.key.clone());
            let min = on_thread("minimise".into(), move || minimise(&name, &text, &key));
            let min_path = dir.join(format!("{prefix}-{}.min.release", n + 1));
            std::fs::write(&min_path, &min).expect("write minimised reproduction");
            let _ = write!(
                out,
                "   minimised ({} bytes, {}):\n<<<<\n{}\n>>>>\n   {:?}\n",
                min.len(),
                min_path.display(),
                clip(&min),
                clip(&min)
            );
        }
    }
    out
}

// ───────────────────────────── tests ─────────────────────────────

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

/// One file that mutants are made of.
#[derive(Clone)]
struct Original {
    /// Relative to the package, e.g. `examples/tailspin.release`; it also seeds the PRNG.
    label: String,
    /// The path given to `relc::compile`, so that relative imports resolve as for the CLI.
    path: String,
    text: String,
    mutants: usize,
}

/// The `*.release` files directly in `dir` (relative to the package), sorted.
fn release_files(dir: &str, mutants: usize) -> Vec<Original> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<Original> = std::fs::read_dir(root.join(dir))
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "release").then_some(path)
        })
        .map(|p| Original {
            label: format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()),
            text: std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            path: p.display().to_string(),
            mutants,
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

#[test]
fn mutants_of_the_examples_do_not_break_the_compiler() {
    if let Ok(path) = std::env::var("RELC_MUTANT_FILE") {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let name = path.clone();
        if let Err(f) = on_thread(name.clone(), move || check(&name, &text)) {
            panic!("{path}: {}\n{}", f.key, f.detail);
        }
        return;
    }
    let release = !cfg!(debug_assertions);
    let total = env_number("RELC_MUTANTS").map_or(
        if release {
            DEFAULT_MUTANTS_RELEASE
        } else {
            DEFAULT_MUTANTS_DEBUG
        },
        |n| n as usize,
    );
    let extra = env_number("RELC_EXTRA_MUTANTS").map_or(
        if release {
            DEFAULT_EXTRA_RELEASE
        } else {
            DEFAULT_EXTRA_DEBUG
        },
        |n| n as usize,
    );
    let seed = env_number("RELC_MUTATION_SEED").unwrap_or(DEFAULT_SEED);
    let examples = release_files("examples", 0);
    assert!(!examples.is_empty(), "no examples/*.release");
    let per_example = total.div_ceil(examples.len());
    let mut corpus: Vec<Original> = examples
        .into_iter()
        .map(|o| Original {
            mutants: per_example,
            ..o
        })
        .collect();
    let example_count = corpus.len();
    for dir in EXTRA_DIRS {
        corpus.extend(release_files(dir, extra));
    }
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let trace = std::env::var_os("RELC_MUTATION_TRACE").is_some();
    let started = Instant::now();

    // Each worker takes every `workers`-th mutant of each file; each mutant's seed depends
    // only on (seed, file, index), so the set of mutants does not depend on the split.
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let corpus = corpus.clone();
            install_hook();
            std::thread::Builder::new()
                .name(format!("mutants-{w}"))
                .stack_size(STACK)
                .spawn(move || {
                    let mut found = Vec::new();
                    let (mut checked, mut clean) = (0usize, 0usize);
                    for (e, o) in corpus.iter().enumerate() {
                        for i in (w..o.mutants).step_by(workers) {
                            let s = mutant_seed(seed, &o.label, i);
                            let (text, applied) = mutant(&o.text, s);
                            checked += 1;
                            if trace {
                                eprintln!("mutant: {} #{i}: {}", o.label, applied.join("; "));
                            }
                            match check(&o.path, &text) {
                                Ok(has_errors) => clean += usize::from(!has_errors),
                                Err(f) => {
                                    let origin = format!(
                                        "{}, mutant #{i}, seed {s:#018x} (base {seed:#x}): {}",
                                        o.label,
                                        applied.join("; ")
                                    );
                                    found.push(((e, i), o.path.clone(), origin, text, f));
                                }
                            }
                        }
                    }
                    (found, checked, clean)
                })
                .expect("spawn")
        })
        .collect();
    let mut all = Vec::new();
    let (mut checked, mut clean) = (0, 0);
    for h in handles {
        let (f, n, c) = h
            .join()
            .expect("a mutant worker panicked outside catch_unwind");
        all.extend(f);
        checked += n;
        clean += c;
    }
    all.sort_by_key(|f| f.0);
    let failing = all.len();
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    for (_, name, origin, text, failure) in all {
        found
            .entry(failure.key.clone())
            .or_insert(Found {
                name,
                origin,
                text,
                failure,
                count: 0,
            })
            .count += 1;
    }
    eprintln!(
        "mutations: {checked} mutants ({} of each of {example_count} example(s), {extra} of each of {} \
         other file(s)) in {:.1?} on {workers} thread(s); {clean} compiled without errors, {failing} failed",
        per_example,
        corpus.len() - example_count,
        started.elapsed()
    );
    assert!(checked >= total, "only {checked} mutants");
    if !found.is_empty() {
        panic!(
            "{}",
            report(found, &format!("{checked} mutants"), "mutant", true)
        );
    }
}

/// Hand-written inputs that have broken compilers before. `true`: must be rejected.
fn nasty_inputs() -> Vec<(String, String, bool)> {
    let job = "job B { script \"x\" }";
    let deep = 10_000;
    // Declarations chained through names. These make one label or one diagnostic per
    // declaration, so a renderer that is linear in the file per label is quadratic here.
    let many = 10_000;
    let long = "a".repeat(100_000);
    let mut long_near = long.clone();
    long_near.replace_range(50_000..50_001, "b");
    let fixed = vec![
        ("empty file", String::new(), false),
        ("only whitespace", " \n\t\r\n ".to_string(), false),
        ("only a line comment", "// nothing here".to_string(), false),
        ("only a block comment", "/* nothing\n here */".to_string(), false),
        ("unterminated block comment", "/* nothing here".to_string(), true),
        ("byte order mark", format!("\u{feff}stage A {{ {job} }}"), false),
        ("CRLF line breaks", "stage A {\r\n  job B {\r\n    script \"x\"\r\n  }\r\n}\r\n".to_string(), false),
        ("unterminated string", "stage A { job B { script \"echo hi".to_string(), true),
        ("unterminated string before a line break", "stage A { job B { script \"echo\n\" } }".to_string(), true),
        ("unterminated single-quoted string", "stage A { job B { script 'echo hi".to_string(), true),
        ("unterminated raw block", "stage A { job B { script \"\"\"\n  echo hi\n".to_string(), true),
        ("unterminated raw block with é", "stage A { job B { script \"\"\"\n  é🚀\n  ".to_string(), true),
        ("raw block with only a line break", "stage A { job B { script \"\"\"\n\"\"\" } }".to_string(), false),
        ("raw block with mixed indentation", "stage A { job B { script \"\"\"\n\t é\n  🚀\n \t\"\"\" } }".to_string(), false),
        ("escape at end of string", "stage A { job B { script \"\\".to_string(), true),
        ("invalid escape before é", "stage A { job B { script \"\\é\" } }".to_string(), true),
        ("invalid unicode escape", "stage A { job B { script \"\\u{d800}\\u{110000}\\u{\" } }".to_string(), true),
        (
            "10,000 `(` in a condition",
            format!("stage A {{ when {}true{} {job} }}", "(".repeat(deep), ")".repeat(deep)),
            false,
        ),
        ("10,000 unclosed `(` in a condition", format!("stage A {{ when {}true {job} }}", "(".repeat(deep)), true),
        ("10,000 `!` in a condition", format!("stage A {{ when {}true {job} }}", "!".repeat(deep)), false),
        (
            "10,000 nested lists",
            format!("stage A {{ job B {{ task T@1 {{ x = {}1{} }} }} }}", "[".repeat(deep), "]".repeat(deep)),
            false,
        ),
        (
            "10,000 nested objects",
            format!("stage A {{ job B {{ task T@1 {{ x = {}1{} }} }} }}", "{ y = ".repeat(deep), " }".repeat(deep)),
            false,
        ),
        ("10,000 `&&` in a condition", format!("stage A {{ when true{} {job} }}", " && true".repeat(deep)), false),
        ("10,000 `+` in a value", format!("stage A {{ job B {{ script \"x\"{} }} }}", " + \"x\"".repeat(deep)), false),
        ("10,000 `||` in a condition", format!("stage A {{ when true{} {job} }}", " || true".repeat(deep)), false),
        ("10,000 mixed `&&` `||`", format!("stage A {{ when true{} {job} }}", " && true || false".repeat(deep / 2)), false),
        ("10,000 stages", (0..deep).map(|i| format!("stage S{i} {{ {job} }}\n")).collect(), false),
        (
            "10,000 stages in a chain",
            (0..many).map(|i| format!("stage S{i} after {} {{ {job} }}\n", if i == 0 { "none".to_string() } else { format!("S{}", i - 1) })).collect(),
            false,
        ),
        (
            "10,000 stages in a cycle",
            (0..many).map(|i| format!("stage S{i} after S{} {{ {job} }}\n", (i + 1) % many)).collect(),
            true,
        ),
        (
            "10,000 jobs in a chain",
            format!("stage A {{\n{}}}", (0..many).map(|i| format!("job J{i} {}{{ script \"x\" }}\n", if i == 0 { String::new() } else { format!("after J{} ", i - 1) })).collect::<String>()),
            false,
        ),
        (
            "10,000 templates in a chain",
            format!(
                "{}template t{many}() {{ {job} }}\nstage A {{ use t0() }}",
                (0..many).map(|i| format!("template t{i}() {{ use t{}() }}\n", i + 1)).collect::<String>()
            ),
            false,
        ),
        (
            "10,000 gates in a chain",
            format!(
                "{}gate g{many} = when true\nstage A {{ gate g0 {job} }}",
                (0..many).map(|i| format!("gate g{i} = g{}\n", i + 1)).collect::<String>()
            ),
            false,
        ),
        ("100k-character stage name", format!("stage {long} {{ {job} }}"), false),
        ("100k-character unknown stage", format!("stage A after {long} {{ {job} }}"), true),
        ("100k-character near-miss stage", format!("stage {long} {{ {job} }}\nstage C after {long_near} {{ {job} }}"), true),
        ("100k-character string", format!("stage A {{ job B {{ script \"{long}\" }} }}"), false),
        ("NUL bytes between tokens", format!("stage A\0{{ {job}\0}}"), true),
        ("NUL bytes in a string", "stage A { job B { script \"a\0b\" } }".to_string(), false),
        ("NUL bytes only", "\0\0\0".to_string(), true),
        ("a stage that depends on itself", format!("stage A after A {{ {job} }}"), true),
        ("stages in a cycle", format!("stage A after C {{ {job} }}\nstage B after A {{ {job} }}\nstage C after B {{ {job} }}"), true),
        ("a job that depends on itself", "stage A { job B after B { script \"x\" } }".to_string(), true),
        ("a template that uses itself", format!("template t() {{ use t() }}\nstage A {{ use t() {job} }}"), true),
        (
            "templates that use each other in a cycle",
            format!("template t() {{ use u() }}\ntemplate u() {{ use t() }}\nstage A {{ use t() {job} }}"),
            true,
        ),
        (
            "templates that use each other in a cycle, with jobs",
            "template t() { job J { script \"x\" } use u() }\ntemplate u() { use t() }\nstage A { use t() }".to_string(),
            true,
        ),
        ("a gate that refers to itself", format!("gate a = a\nstage A {{ gate a {job} }}"), true),
        ("gates that refer to each other in a cycle", format!("gate a = b\ngate b = a\nstage A {{ gate a {job} }}"), true),
        (
            "gates in a longer cycle, with kinds",
            format!("gate a = b + when true\ngate b = c\ngate c = approval {{ approvers [\"M\"] }} + a\nstage A {{ gate a {job} }}"),
            true,
        ),
        (
            "an environment gate in a cycle",
            "gate a = b\ngate b = a\nenvironment e protected { gate a }\nstage A { deployment D to e { script \"x\" } }".to_string(),
            true,
        ),
        ("a template parameter that shadows a template", format!("template t(t: string) {{ use t(t) }}\nstage A {{ use t(\"x\") {job} }}"), true),
        ("only punctuation", "{}[]()\"'\\$=+.,@é🚀".to_string(), true),
        ("only emoji", "🚀".repeat(1000), true),
        ("error at a multi-byte character", format!("stage A {{ {job} é }}"), true),
        ("error at an emoji", format!("stage A {{ {job} 🚀 }}"), true),
        ("emoji in names", format!("stage 🚀 {{ {job} }}"), true),
        ("é in names", format!("stage Aé {{ {job} }}\nstage B after Aé {{ {job} }}"), true),
        ("duplicate pipeline blocks", format!("pipeline {{ }}\npipeline {{ }}\nstage A {{ {job} }}"), true),
        ("bad cron with é", "pipeline { schedule s { cron \"é 🚀 * * *\" branches [\"m\"] } }\nstage A { job B { script \"x\" } }".to_string(), true),
        ("bad duration with é", "stage A { job B { timeout 3é script \"x\" } }".to_string(), true),
        ("huge numbers", "stage A { job B { timeout 99999999999999999999999d retries 1e999 script \"x\" } }".to_string(), true),
        // Found by AFL (docs/fuzzing.md): the secret check sliced the value at the length of
        // a credential scheme (`bot `), inside `€`.
        ("secret-looking input with a multi-byte character where a scheme would end", "stage A { job B { task Foo@1 { Passwd = \"00€\" } } }".to_string(), false),
    ];
    let mut out: Vec<(String, String, bool)> = fixed
        .into_iter()
        .map(|(w, t, f)| (w.to_string(), t, f))
        .collect();
    // Text that YAML gives meaning to, or that its emitter must quote or indent with care,
    // in every place a string reaches the YAML.
    for x in YAML_HOSTILE {
        let q = release_string(x);
        let text = format!(
            "pipeline {q} {{ }}\nvar v = {q}\n\
             stage A {q} {{\n  job B {q} {{\n    script {q} {{ display {q} }}\n    task T@1 {{ k = {q} }}\n  }}\n}}\n"
        );
        out.push((format!("the string {x:?} in the YAML"), text, false));
    }
    out
}

const YAML_HOSTILE: &[&str] = &[
    "\n x\ny",
    "\n\n x",
    " x\ny",
    "\t x\ny",
    "x\n\n",
    "x\n",
    "\nx",
    "\n",
    "\n\n",
    "\t\nx",
    "x \ny",
    "x\n \ny",
    "x\n\t\ny",
    "\u{85}",
    "a\u{85}b\nc",
    "\u{2028}",
    "a\u{2029}\nb",
    "\u{feff}x\ny",
    "\r",
    "x\r\ny",
    "\0",
    "a\0\nb",
    "\u{1}\u{7f}",
    "a\u{1b}[0m\nb",
    "\u{fffe}",
    "- x\n- y",
    "---\n...",
    "# c\nx",
    "x: y\nz",
    "*a\n&b",
    "!tag\nx",
    "|\n>",
    "%YAML\nx",
    "'\n\"",
    "{",
    "}\n[",
    "@x\n`y",
    "~",
    "null",
    "true",
    "0x10",
    "1e3",
    ".inf",
    "=",
    "",
    "é\n 🚀",
    "🚀\n\té",
    " ",
    "\t",
    "x:",
    ": x",
    "? x",
    "x #y",
    "x\n#y",
];

/// `text` as a `"…"` string of the language.
fn release_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Resource limits for a child process.
trait Limits {
    fn limits(&mut self, cpu_seconds: u64, memory: u64) -> &mut Self;
}

impl Limits for Command {
    fn limits(&mut self, cpu_seconds: u64, memory: u64) -> &mut Self {
        let set = move || {
            for (resource, limit) in [(libc::RLIMIT_CPU, cpu_seconds), (libc::RLIMIT_AS, memory)] {
                let l = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                // SAFETY: setrlimit is async-signal-safe and `l` is a valid rlimit.
                if unsafe { libc::setrlimit(resource, &l) } != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        };
        // SAFETY: the closure only calls setrlimit, which is safe between fork and exec.
        unsafe { self.pre_exec(set) }
    }
}

/// A nasty input's verdict, as its child process prints it on one line.
const VERDICT: &str = "RELC-NASTY-VERDICT ";
/// Limits of each nasty input's process, set with `setrlimit` before it starts: CPU time,
/// not wall-clock time, so a busy machine does not fail the test; a hang or a runaway
/// expansion is stopped by the kernel (SIGXCPU, or an allocation failure).
const NASTY_CPU_SECONDS: u64 = 300;
const NASTY_MEMORY: u64 = 4 << 30;

/// Check nasty input `i` in this process and print the verdict (the child's side).
fn nasty_child(i: usize) {
    let (what, text, _) = nasty_inputs().swap_remove(i);
    let started = Instant::now();
    let result = on_thread(format!("nasty input #{i}: {what}"), move || {
        check("nasty.release", &text)
    });
    let verdict = match result {
        Ok(has_errors) => {
            serde_json::json!({ "has_errors": has_errors, "ms": started.elapsed().as_millis() as u64 })
        }
        Err(f) => serde_json::json!({ "key": f.key, "detail": f.detail }),
    };
    println!("\n{VERDICT}{verdict}");
}

/// Each input runs in a child process (this test binary, filtered to this test), so that
/// a stack overflow or a hang, which cannot be caught, fails one input and not the run.
#[test]
fn nasty_inputs_do_not_break_the_compiler() {
    if let Some(i) = env_number("RELC_NASTY_CHILD") {
        return nasty_child(i as usize);
    }
    let exe = std::env::current_exe().expect("the test binary");
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let started = Instant::now();
    let inputs = nasty_inputs();
    for (i, (what, text, must_fail)) in inputs.iter().enumerate() {
        let mut child = Command::new(&exe)
            .args([
                "nasty_inputs_do_not_break_the_compiler",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("RELC_NASTY_CHILD", i.to_string())
            .env_remove("RELC_MUTANT_FILE")
            .limits(NASTY_CPU_SECONDS, NASTY_MEMORY)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the test binary");
        let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let read = |mut r: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = r.read_to_string(&mut s);
                s
            })
        };
        let (stdout, stderr) = (read(Box::new(stdout)), read(Box::new(stderr)));
        let status = child.wait().expect("wait for the child");
        let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
        let verdict = stdout
            .lines()
            .find_map(|l| l.find(VERDICT).map(|at| &l[at + VERDICT.len()..]))
            .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok());
        let failure = match (status, verdict) {
            (status, _) if status.signal() == Some(libc::SIGXCPU) => Some(fail(
                "hang",
                format!("still running after {NASTY_CPU_SECONDS} s of CPU time; stopped"),
            )),
            (_, Some(v)) if v.get("key").is_some() => Some(fail(
                v["key"].as_str().unwrap_or_default(),
                v["detail"].as_str().unwrap_or_default(),
            )),
            (_, Some(v)) if *must_fail && v["has_errors"] == false => Some(fail(
                "accepted",
                "compiled without errors, but it must be rejected",
            )),
            (_, Some(_)) => None,
            (status, None) => {
                let key = if stderr.contains("overflowed its stack") {
                    "stack overflow"
                } else if stderr.contains("memory allocation") {
                    "out of memory"
                } else {
                    "crash"
                };
                let tail: String = stderr
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .take(20)
                    .collect::<Vec<_>>()
                    .join("\n");
                Some(fail(key, format!("the process died ({status}):\n{tail}")))
            }
        };
        if let Some(failure) = failure {
            let key = format!("{what}: {}", failure.key);
            let f = Failure {
                key: key.clone(),
                detail: failure.detail,
            };
            let origin = format!("nasty input #{i}: {what}");
            found.insert(
                key,
                Found {
                    name: "nasty.release".to_string(),
                    origin,
                    text: text.clone(),
                    failure: f,
                    count: 1,
                },
            );
        }
    }
    eprintln!(
        "nasty inputs: {} checked in {:.1?}",
        inputs.len(),
        started.elapsed()
    );
    if !found.is_empty() {
        // Not minimised in process: some of these abort it.
        panic!("{}", report(found, "the nasty inputs", "nasty", false));
    }
}

#[test]
fn the_mutator_is_deterministic_and_varied() {
    let text = "stage A \"é🚀\" after B {\n  job C { script \"x\" }\n}\n";
    assert_eq!(
        tokens("ab c.d🚀\"x\""),
        vec![
            (0, 2),
            (3, 4),
            (4, 5),
            (5, 6),
            (6, 10),
            (10, 11),
            (11, 12),
            (12, 13)
        ]
    );
    let a: Vec<_> = (0..200)
        .map(|i| mutant(text, mutant_seed(1, "t", i)).0)
        .collect();
    let b: Vec<_> = (0..200)
        .map(|i| mutant(text, mutant_seed(1, "t", i)).0)
        .collect();
    assert_eq!(a, b);
    let distinct: std::collections::HashSet<_> = a.iter().collect();
    assert!(
        distinct.len() > 120,
        "only {} distinct mutants of 200",
        distinct.len()
    );
    assert!(a.iter().any(|m| m.len() < text.len()) && a.iter().any(|m| m.len() > text.len()));
}

#[test]
fn the_checks_catch_what_they_are_for() {
    let f = catching(|| -> Result<(), Failure> { panic!("boom {}", 42) }).unwrap_err();
    assert!(
        f.key.starts_with("panic at tests/mutations.rs:"),
        "{}",
        f.key
    );
    assert!(f.detail.contains("boom 42"), "{}", f.detail);
    // A panic outside `catching` is printed again.
    assert!(!QUIET.get());

    let mut sources = relc::source::SourceMap::new();
    let file = sources.add("t.release", "aé");
    let span = |start, end| relc::source::Span { file, start, end };
    assert_eq!(span_problem(span(0, 3), &sources, 1), None);
    assert_eq!(span_problem(span(1, 1), &sources, 1), None);
    assert_eq!(
        span_problem(span(2, 3), &sources, 1),
        Some("is not on a char boundary")
    );
    assert_eq!(
        span_problem(span(0, 4), &sources, 1),
        Some("ends past the end of the file")
    );
    assert_eq!(
        span_problem(span(3, 1), &sources, 1),
        Some("starts after it ends")
    );
    let other = relc::source::Span {
        file: relc::source::FileId(1),
        start: 0,
        end: 0,
    };
    assert_eq!(
        span_problem(other, &sources, 1),
        Some("names a file that does not exist")
    );
}

#[test]
fn the_ir_span_check_sees_the_spans_of_the_ir() {
    let c = relc::compile("t.release", "stage A { job B { script \"x\" } }");
    let ir = serde_json::to_value(c.pipeline.as_ref().expect("compiles")).unwrap();
    let mut spans = Vec::new();
    ir_spans(&ir, &mut spans);
    assert!(
        spans.len() >= 3,
        "only {} spans found in the IR",
        spans.len()
    );
    assert!(spans.iter().all(|s| s.end as usize <= 33));
}
