//! Writing YAML text straight into a `String`: block collections, and one
//! scalar writer.
//!
//! The scalar contract: any string written as a key or a value reads back as
//! exactly that string, typed as a string, under YAML 1.1 (PyYAML, libyaml)
//! and YAML 1.2 (the core schema; yaml-rust2). Each scalar gets the first of
//! these styles that keeps that promise:
//!
//! - plain, when the text cannot be read as anything else in either version:
//!   no indicator at its start, no `: `/` #`-like sequences anywhere, nothing
//!   a 1.1 or 1.2 resolver reads as a null, a boolean, a number or a date, and
//!   only visible characters;
//! - a literal block (values only), for multi-line text of visible characters
//!   and tabs whose lines do not end in blanks;
//! - double-quoted, with every character that is not visible text escaped:
//!   controls, DEL, C1 controls, the Unicode line and paragraph separators,
//!   non-ASCII spaces, format characters and noncharacters. Line breaks of
//!   either version (`\r`, U+0085, U+2028, U+2029) therefore never appear raw
//!   in a double-quoted or plain scalar, and nothing can end a scalar early.
//!
//! Layout, which is the look of relc's output: two spaces per level;
//! sequences indented under their key; a mapping in a sequence item starts on
//! the item's line (`- key: value`); empty collections are `[]` and `{}`.
//! Every entry but the first of a collection starts with a line break, so a
//! collection ends without one and its writer decides what follows.

/// Longest key written in the implicit form (`key: value`). YAML 1.2 and the
/// 1.1 parsers limit an implicit key to 1024 characters; longer ones are
/// written as explicit keys (`? key` / `: value`). Measured in bytes, which
/// are never fewer than characters.
const IMPLICIT_KEY_MAX: usize = 1000;

/// What comes before the first entry of a collection.
#[derive(Clone, Copy)]
enum Lead {
    /// Nothing: the text already ends at the collection's column.
    Here,
    /// A space: the first entry shares the line of its `- ` (compact form).
    Inline,
    /// A line break and the collection's indentation.
    Below,
}

/// Where the entries of a collection start and whether one has been written.
struct Block<'o> {
    out: &'o mut String,
    /// The column of the collection's keys or dashes.
    indent: usize,
    lead: Lead,
    started: bool,
    /// Separate entries by a blank line (the top level of the document).
    spaced: bool,
}

impl Block<'_> {
    fn start_entry(&mut self) {
        if self.started {
            self.out.push('\n');
            // A keep-chomped literal block (`|+`) ends with its own empty
            // lines; another one here would become part of its value.
            if self.spaced && !self.out.ends_with("\n\n") {
                self.out.push('\n');
            }
            push_spaces(self.out, self.indent);
        } else {
            match self.lead {
                Lead::Here => {}
                Lead::Inline => self.out.push(' '),
                Lead::Below => {
                    self.out.push('\n');
                    push_spaces(self.out, self.indent);
                }
            }
            self.started = true;
        }
    }

    fn child(&mut self, lead: Lead) -> Block<'_> {
        Block {
            out: self.out,
            indent: self.indent + 2,
            lead,
            started: false,
            spaced: false,
        }
    }
}

fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// A block mapping being written.
pub struct Map<'o>(Block<'o>);

/// A block sequence being written.
pub struct Seq<'o>(Block<'o>);

impl<'o> Map<'o> {
    /// The top-level mapping of a document, starting where `out` ends (at the
    /// start of a line), with a blank line between its entries.
    pub fn document(out: &'o mut String) -> Map<'o> {
        Map(Block {
            out,
            indent: 0,
            lead: Lead::Here,
            started: false,
            spaced: true,
        })
    }

    /// Whether an entry has been written.
    pub fn is_empty(&self) -> bool {
        !self.0.started
    }

    /// Start an entry: the key and its `:`; the caller writes the value.
    pub fn entry(&mut self, key: &str) {
        self.0.start_entry();
        let out = &mut *self.0.out;
        let at = out.len();
        write_key(out, key);
        if out.len() - at > IMPLICIT_KEY_MAX {
            out.insert_str(at, "? ");
            out.push('\n');
            push_spaces(out, self.0.indent);
        }
        out.push(':');
    }

    /// `key: value` for a string value.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.entry(key);
        self.0.out.push(' ');
        write_value(self.0.out, value, self.0.indent + 2);
        self
    }

    /// `key: value` when there is a value.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.str(key, v);
        }
        self
    }

    /// `key: token` for a token that reads back as the boolean or number it
    /// spells (`true`, `30`).
    pub fn token(&mut self, key: &str, token: &str) -> &mut Self {
        self.entry(key);
        self.0.out.push(' ');
        self.0.out.push_str(token);
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.token(key, if value { "true" } else { "false" })
    }

    pub fn opt_bool(&mut self, key: &str, value: Option<bool>) -> &mut Self {
        if let Some(b) = value {
            self.bool(key, b);
        }
        self
    }

    pub fn opt_uint(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        if let Some(n) = value {
            self.token(key, &n.to_string());
        }
        self
    }

    /// `key:` and a mapping below it (`key: {}` when `f` writes no entry).
    pub fn map(&mut self, key: &str, f: impl FnOnce(&mut Map<'_>)) -> &mut Self {
        self.entry(key);
        let mut m = Map(self.0.child(Lead::Below));
        f(&mut m);
        if m.is_empty() {
            self.0.out.push_str(" {}");
        }
        self
    }

    /// `key:` and a sequence below it (`key: []` when `f` writes no item).
    pub fn seq(&mut self, key: &str, f: impl FnOnce(&mut Seq<'_>)) -> &mut Self {
        self.entry(key);
        let mut s = Seq(self.0.child(Lead::Below));
        f(&mut s);
        if s.is_empty() {
            self.0.out.push_str(" []");
        }
        self
    }

    /// `key:` and a sequence of strings.
    pub fn strs(&mut self, key: &str, items: &[String]) -> &mut Self {
        self.seq(key, |s| {
            for i in items {
                s.str(i);
            }
        })
    }
}

impl<'o> Seq<'o> {
    /// A sequence whose first item starts where `out` ends, at column `indent`.
    pub fn here(out: &'o mut String, indent: usize) -> Seq<'o> {
        Seq(Block {
            out,
            indent,
            lead: Lead::Here,
            started: false,
            spaced: false,
        })
    }

    /// Whether an item has been written.
    pub fn is_empty(&self) -> bool {
        !self.0.started
    }

    fn dash(&mut self) {
        self.0.start_entry();
        self.0.out.push('-');
    }

    /// `- value` for a string.
    pub fn str(&mut self, value: &str) -> &mut Self {
        self.dash();
        self.0.out.push(' ');
        write_value(self.0.out, value, self.0.indent + 2);
        self
    }

    /// `- token` for a token that reads back as the number it spells (`10`).
    pub fn token(&mut self, token: &str) -> &mut Self {
        self.dash();
        self.0.out.push(' ');
        self.0.out.push_str(token);
        self
    }

    /// `- key: …`: a mapping as an item (`- {}` when `f` writes no entry).
    pub fn map(&mut self, f: impl FnOnce(&mut Map<'_>)) -> &mut Self {
        self.dash();
        let mut m = Map(self.0.child(Lead::Inline));
        f(&mut m);
        if m.is_empty() {
            self.0.out.push_str(" {}");
        }
        self
    }
}

/// A key on one line: plain when that is safe, else double-quoted.
pub fn write_key(out: &mut String, key: &str) {
    if is_plain_safe(key) {
        out.push_str(key);
    } else {
        write_quoted(out, key);
    }
}

/// A value; a literal block's lines go at column `indent`.
pub fn write_value(out: &mut String, value: &str, indent: usize) {
    // Most values have no byte that needs a closer look (no line feed either).
    let special = has_special_byte(value.as_bytes());
    if special && value.contains('\n') && is_literal_safe(value) {
        write_literal(out, value, indent);
    } else if plain_safe(value, special) {
        out.push_str(value);
    } else {
        write_quoted(out, value);
    }
}

/// Characters written as escapes in double-quoted scalars and never written
/// raw anywhere (a tab is allowed raw inside literal blocks only): C0
/// controls, DEL and C1 controls; every Unicode space but U+0020 (among them
/// U+0085, U+2028 and U+2029, line breaks in YAML 1.1); format characters
/// (invisible: zero-width characters, bidirectional controls, U+FEFF);
/// U+FFFE and U+FFFF, which YAML does not allow in a stream at all.
pub fn must_escape(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control()
        || c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{FFFE}'..='\u{FFFF}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

/// The escape of a character in a double-quoted scalar, the same in YAML 1.1
/// and 1.2, pushed onto `out`; false (and nothing pushed) for a character
/// written as itself.
pub fn escape(c: char, out: &mut String) -> bool {
    let short = match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\u{8}' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\u{c}' => "\\f",
        '\r' => "\\r",
        c if must_escape(c) => {
            let n = c as u32;
            if n <= 0xFFFF {
                out.push_str(&format!("\\u{n:04x}"));
            } else {
                out.push_str(&format!("\\U{n:08x}"));
            }
            return true;
        }
        _ => return false,
    };
    out.push_str(short);
    true
}

/// `"…"`, with every character [`escape`] knows escaped.
pub fn write_quoted(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let mut run = 0;
    for (i, c) in text.char_indices() {
        if c == '"' || c == '\\' || must_escape(c) {
            out.push_str(&text[run..i]);
            escape(c, out);
            run = i + c.len_utf8();
        }
    }
    out.push_str(&text[run..]);
    out.push('"');
}

/// Visible text: what may appear raw in a plain scalar or a literal block.
fn visible(c: char) -> bool {
    if c.is_ascii() {
        c == ' ' || c.is_ascii_graphic()
    } else {
        !must_escape(c)
    }
}

/// Whether `text` can be written plain and read back as this string in both
/// YAML 1.1 and 1.2, in block context, as a key or a value.
pub fn is_plain_safe(text: &str) -> bool {
    plain_safe(text, has_special_byte(text.as_bytes()))
}

/// [`is_plain_safe`], told whether [`has_special_byte`] holds for `text`.
fn plain_safe(text: &str, special: bool) -> bool {
    let Some(first) = text.chars().next() else {
        return false; // the empty plain scalar is null
    };
    // Indicators, and `.`, `+`, `<`, `=` which begin 1.1's floats
    // (`.inf`), signed numbers, the merge key `<<` and the value key `=`.
    if matches!(
        first,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
            | '.'
            | '+'
            | '<'
            | '='
            | ' '
    ) || text.ends_with(' ')
    {
        return false;
    }
    // `: ` and ` #` end a plain scalar, and `,[]{}` end one in flow context;
    // any of these characters (and quotes, backslashes, backquotes) means
    // quoting, which keeps the rule simple and the text unambiguous to read.
    // One pass over the bytes decides ASCII text; other characters are decoded
    // only when there are any.
    let mut ascii = true;
    if special {
        for &b in text.as_bytes() {
            if b >= 0x80 {
                ascii = false;
            } else if NOT_PLAIN[b as usize] {
                return false;
            }
        }
    }
    (ascii || text.chars().all(visible)) && !is_reserved_word(text) && !is_number_like(text)
}

/// Whether `b` holds a byte that is not ASCII, or is one of [`NOT_PLAIN`]
/// (which include every control character, so a line feed too). Without one
/// the text is ASCII with nothing [`is_plain_safe`] quotes for inside it.
/// Branch-free over blocks of 16 bytes, which the compiler vectorises.
fn has_special_byte(b: &[u8]) -> bool {
    #[inline(always)]
    fn special(c: u8) -> bool {
        !(0x20..0x7f).contains(&c)
            | (c == b':')
            | (c == b'#')
            | (c == b',')
            | (c.wrapping_sub(b'[') < 3) // `[`, `\\`, `]`
            | (c == b'{')
            | (c == b'}')
            | (c == b'`')
            | (c == b'"')
            | (c == b'\'')
    }
    #[inline(always)]
    fn any_special(block: &[u8; 16]) -> bool {
        block.iter().fold(false, |any, &c| any | special(c))
    }
    let mut blocks = b.chunks_exact(16);
    for block in &mut blocks {
        if any_special(block.try_into().expect("16 bytes")) {
            return true;
        }
    }
    // The last bytes in a block of their own, padded with a letter.
    let rest = blocks.remainder();
    let mut last = [b'a'; 16];
    last[..rest.len()].copy_from_slice(rest);
    any_special(&last)
}

/// ASCII bytes that rule out a plain scalar: control characters, and the
/// punctuation [`is_plain_safe`] quotes.
static NOT_PLAIN: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = b < 0x20 || b == 0x7f;
        b += 1;
    }
    let punctuation = b":#,[]{}`\"'\\";
    let mut i = 0;
    while i < punctuation.len() {
        t[punctuation[i] as usize] = true;
        i += 1;
    }
    t
};

/// Words YAML 1.1 or 1.2 read as null or a boolean.
fn is_reserved_word(text: &str) -> bool {
    text.len() <= 5
        && matches!(
            text,
            "~" | "null"
                | "Null"
                | "NULL"
                | "true"
                | "True"
                | "TRUE"
                | "false"
                | "False"
                | "FALSE"
                | "y"
                | "Y"
                | "yes"
                | "Yes"
                | "YES"
                | "n"
                | "N"
                | "no"
                | "No"
                | "NO"
                | "on"
                | "On"
                | "ON"
                | "off"
                | "Off"
                | "OFF"
        )
}

/// Text that YAML 1.1 or 1.2 might read as an integer, a float or a
/// timestamp, over-approximated: once a leading sign or `.` is ruled out
/// (those are never plain), every such form starts with a digit and is made
/// of digits, `_`, `:`, `.`, exponents and signs (1.1's `1_000`, sexagesimal
/// `1:20`), has a base prefix (`0x`, `0o`, `0b`), or is a date (`2026-12-02…`).
/// Rust's own float syntax (`inf`, `NaN`, `infinity`) is included for parsers
/// that resolve floats with it.
fn is_number_like(text: &str) -> bool {
    let b = text.as_bytes();
    // What Rust's float syntax can start with (a digit, a sign, a point, `inf`, `nan`);
    // anything else is decided by the checks below, which need a leading digit.
    if !(b[0].is_ascii_digit() || matches!(b[0], b'+' | b'-' | b'.' | b'i' | b'I' | b'n' | b'N')) {
        return false;
    }
    if text.parse::<f64>().is_ok() {
        return true;
    }
    if !b[0].is_ascii_digit() {
        return false;
    }
    let prefixed =
        b.len() >= 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B');
    let numeric = b
        .iter()
        .all(|c| matches!(c, b'0'..=b'9' | b'_' | b':' | b'.' | b'e' | b'E' | b'+' | b'-'))
        // No int, float or sexagesimal has two dots; versions (`3.1.300`) stay plain.
        && b.iter().filter(|&&c| c == b'.').count() <= 1;
    let date = b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    prefixed || numeric || date
}

/// Whether multi-line `text` reads back exactly from a literal block: visible
/// characters, tabs and line feeds only, some text besides line feeds, and no
/// line ending in a blank (trailing blanks are kept by YAML but not by
/// editors, and are hard to see).
fn is_literal_safe(text: &str) -> bool {
    text.chars().all(|c| c == '\n' || c == '\t' || visible(c))
        && text.bytes().any(|b| b != b'\n')
        && !text.split('\n').any(|l| l.ends_with([' ', '\t']))
}

/// A literal block: `|` with an indentation indicator when the first line
/// with text starts with a blank (the parser would take the blank for
/// indentation), and chomping that keeps exactly the text's final line feeds
/// (`|-` none, `|` one, `|+` more). Empty lines are written empty.
fn write_literal(out: &mut String, text: &str, indent: usize) {
    out.push('|');
    let first_text = text.split('\n').find(|l| !l.is_empty()).unwrap_or("");
    if first_text.starts_with([' ', '\t']) {
        // Relative to the parent collection, whose column is `indent - 2`.
        out.push('2');
    }
    let body = text.trim_end_matches('\n');
    match text.len() - body.len() {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        out.push('\n');
        if !line.is_empty() {
            push_spaces(out, indent);
            out.push_str(line);
        }
    }
}

/// Text for a `#` comment on one line: every character [`must_escape`]
/// covers (line breaks of every kind, controls, invisible characters) is
/// written as its double-quoted escape, so nothing ends the comment early.
pub fn comment_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !(must_escape(c) && escape(c, &mut out)) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> String {
        let mut out = String::new();
        write_value(&mut out, text, 2);
        out
    }

    #[test]
    fn special_bytes_are_the_non_ascii_and_the_not_plain_ones() {
        for b in 0..=255u8 {
            let expected = b >= 0x80 || NOT_PLAIN[b as usize];
            for at in [0, 5, 15, 16, 20, 31, 40] {
                let mut text = [b'a'; 41];
                text[at] = b;
                assert_eq!(has_special_byte(&text[..]), expected, "byte {b:#x} at {at}");
                assert_eq!(has_special_byte(&text[..=at]), expected, "byte {b:#x} last");
            }
        }
        assert!(!has_special_byte(b""));
    }

    #[test]
    fn plain_only_when_nothing_else_can_be_read() {
        for plain in [
            "Release",
            "6.x",
            "0 3 * * *",
            "ubuntu-20.04",
            "a-b",
            "$(x)/*.zip",
            "é",
            "日本",
        ] {
            assert_eq!(value(plain), plain, "{plain:?}");
        }
        for quoted in [
            "",
            "1_000",
            "1:20",
            "0x1F",
            "0b101",
            "0o17",
            "2026-12-02",
            "12",
            "1.5",
            "1e5",
            ".inf",
            "+1",
            "-1",
            "inf",
            "NaN",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "~",
            "null",
            "<<",
            "=",
            "a: b",
            "a #b",
            " a",
            "a ",
            "a\u{2028}b",
            "a\u{85}",
            "\u{feff}a",
            "a\u{a0}",
            "x\u{7}",
        ] {
            assert!(
                value(quoted).starts_with('"'),
                "{quoted:?} -> {}",
                value(quoted)
            );
        }
    }

    #[test]
    fn escapes_cover_every_invisible_character() {
        assert_eq!(
            value("\u{7}\u{1b}\u{7f}\u{85}\u{2028}\u{2029}\u{feff}\u{ffff}\u{e0001}\"\\"),
            "\"\\u0007\\u001b\\u007f\\u0085\\u2028\\u2029\\ufeff\\uffff\\U000e0001\\\"\\\\\""
        );
    }

    #[test]
    fn literal_blocks_keep_leading_blanks_and_final_line_feeds() {
        assert_eq!(value("a\nb"), "|-\n  a\n  b");
        assert_eq!(value("a\nb\n"), "|\n  a\n  b");
        assert_eq!(value("a\n\n"), "|+\n  a\n");
        assert_eq!(value("  a\nb"), "|2-\n    a\n  b");
        assert_eq!(value("\n\n  a"), "|2-\n\n\n    a");
        assert_eq!(value("a\n\nb"), "|-\n  a\n\n  b");
        assert_eq!(value("\n"), "\"\\n\"");
        assert_eq!(value("a \nb"), "\"a \\nb\"");
        assert_eq!(value("a\r\nb"), "\"a\\r\\nb\"");
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(
            comment_text("t\u{2028}x: 1\r\n\u{85}\u{7}"),
            "t\\u2028x: 1\\r\\n\\u0085\\u0007"
        );
    }

    #[test]
    fn long_keys_are_explicit() {
        let key = "k".repeat(1025);
        let mut out = String::new();
        Map::document(&mut out).str(&key, "v").str("short", "w");
        assert_eq!(out, format!("? {key}\n: v\n\nshort: w"));
    }
}
