//! Source files and byte spans.
//!
//! Every node of the AST and the IR carries a [`Span`]: the file it came from
//! and a half-open byte range in that file's text. Spans are `u32` offsets so
//! that they stay small; a file larger than 4 GiB is rejected when it is read.

use serde::{Deserialize, Serialize};

/// Index of a file in a [`SourceMap`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// A sub-range of this span, offsets relative to its start.
    pub fn sub(self, start: usize, end: usize) -> Span {
        let len = self.end - self.start;
        let start = (start as u32).min(len);
        let end = (end as u32).clamp(start, len);
        Span {
            file: self.file,
            start: self.start + start,
            end: self.start + end,
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One source file: its name as the user gave it and its full text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i as u32 + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 0-based index of the line holding a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len()) as u32;
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    /// Byte offset where a 0-based line starts; the text length past the last line.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .map_or(self.text.len(), |&s| s as usize)
    }

    /// The number of lines (a final line break starts an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and column (in characters) of a byte offset. A byte
    /// order mark at the start of the file is not a column.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let (line, before) = self.line_prefix(offset);
        (line + 1, before.chars().count() + 1)
    }

    /// 1-based line and column in UTF-16 code units (SARIF's default, and
    /// what editors speaking LSP count): a character outside the Basic
    /// Multilingual Plane, such as most emoji, is two columns. A byte order
    /// mark at the start of the file is not a column.
    pub fn line_col_utf16(&self, offset: u32) -> (usize, usize) {
        let (line, before) = self.line_prefix(offset);
        (
            line + 1,
            before.chars().map(char::len_utf16).sum::<usize>() + 1,
        )
    }

    /// The byte offset of a 0-based line and UTF-16 column (an editor's position); a
    /// column past the end of the line is its end, a line past the end the text's end.
    /// The inverse of [`SourceFile::line_col_utf16`].
    pub fn offset_utf16(&self, line: usize, column: usize) -> u32 {
        let Some(&start) = self.line_starts.get(line) else {
            return self.text.len() as u32;
        };
        let mut start = start as usize;
        if line == 0 && self.text.starts_with('\u{FEFF}') {
            start = 3;
        }
        let mut units = 0;
        for (i, c) in self.text[start..].char_indices() {
            if units >= column || c == '\n' {
                return (start + i) as u32;
            }
            units += c.len_utf16();
        }
        self.text.len() as u32
    }

    /// The 0-based line of a byte offset and the text of that line before it
    /// (a byte order mark excluded; an offset inside a character rounded down).
    fn line_prefix(&self, offset: u32) -> (usize, &str) {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let mut start = self.line_starts[line] as usize;
        if line == 0 && self.text.starts_with('\u{FEFF}') && offset >= 3 {
            start = 3;
        }
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        (line, &self.text[start..end])
    }
}

/// All files of one compilation; a [`FileId`] indexes into it.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let f = SourceFile::new("a", "ab\nçd\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_col(7), (3, 1));
        assert_eq!(f.line_col(99), (3, 1));
    }

    #[test]
    fn utf16_columns_count_astral_characters_twice() {
        let f = SourceFile::new("a", "a\u{1F680}b\nçd");
        assert_eq!(f.line_col(5), (1, 3));
        assert_eq!(f.line_col_utf16(5), (1, 4));
        assert_eq!(f.line_col_utf16(6), (1, 5));
        assert_eq!(f.line_col_utf16(9), (2, 2));
        let bom = SourceFile::new("a", "\u{FEFF}\u{1F680}x");
        assert_eq!(bom.line_col_utf16(7), (1, 3));
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let f = SourceFile::new("a", "\u{FEFF}ab\nc");
        assert_eq!(f.line_col(3), (1, 1));
        assert_eq!(f.line_col(4), (1, 2));
        assert_eq!(f.line_col(6), (2, 1));
    }
}
