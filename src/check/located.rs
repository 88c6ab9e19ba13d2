//! An error inside a piece of text the checker parses itself (a cron
//! expression, a duration), located by byte offsets into that text so the
//! caller can point at the exact characters in the source.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedError {
    pub message: String,
    pub help: Option<String>,
    /// Byte offsets into the parsed text, `start..end`.
    pub start: usize,
    pub end: usize,
}

impl LocatedError {
    pub(crate) fn new(message: impl Into<String>, start: usize, end: usize) -> Self {
        LocatedError {
            message: message.into(),
            help: None,
            start,
            end,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for LocatedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LocatedError {}
