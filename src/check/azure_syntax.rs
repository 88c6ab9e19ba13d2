//! Azure's own syntax inside relc text (E100, W005).
//!
//! relc text is literal, except `$(name)` macros, which Azure expands at run
//! time and relc checks. Azure also reads other syntax in the values relc
//! emits:
//!
//! - `${{ … }}`: a template expression, evaluated before the run in every
//!   value of stages, jobs and steps (and refused in triggers and schedules).
//!   Reported (E100), except Azure's literal form `${{ '…' }}`, whose result is
//!   the quoted text; in triggers and schedules even that is refused by Azure.
//! - a value that is all `$[ … ]`: a run-time expression (E100). Partial
//!   `$[` is left as text by Azure, and is shell syntax in scripts.
//! - `##vso[`: a logging command, run by the agent whenever a step prints it.
//!   Scripts print them on purpose; anywhere else it is a warning (W005).
//!
//! E100 can be silenced with `// relc-allow E100: <why>` to hand an
//! expression to Azure deliberately.

use super::Checker;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;

/// What kind of text is being read, for the rules above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Position {
    /// Display names, inputs, environment variables, variable values, …
    #[default]
    Text,
    /// A script's body (or a task input that is one).
    Script,
    /// Branch, path and tag filters of triggers, and schedules.
    Trigger,
    /// A template's `string` argument: its logging commands are judged where
    /// the template uses the parameter (a script, or other text).
    Argument,
}

const TEMPLATE: &str = "${{";
const LOGGING: &str = "##vso[";

impl Checker<'_> {
    /// Report Azure syntax in `text`, the value written at `span`.
    pub(crate) fn check_azure_syntax(&mut self, text: &str, span: Span) {
        let (template, logging) = find_syntax(text);
        if template {
            self.template_expressions(text, span);
        }
        let trimmed = text.trim();
        if trimmed.starts_with("$[") && trimmed.ends_with(']') {
            let at = self.precise(span, "$[", "]");
            self.diags.push(
                Diagnostic::error(
                    Code::AzureExpression,
                    at,
                    "Azure would evaluate this value as a run-time expression (`$[ … ]`)",
                )
                .label("Azure run-time expression")
                .help("relc text is literal: write conditions with `when`, and set a computed value from a script (`##vso[task.setvariable …]`) to read it as `$(name)`; a `relc-allow E100` comment hands the expression to Azure"),
            );
        }
        if !matches!(self.text_position, Position::Script | Position::Argument) && logging {
            self.logging_command(span);
        }
    }

    /// A template parameter's text, used whole at `origin` (where its value is
    /// written) in the current position: its logging commands are judged here.
    pub(crate) fn check_parameter_text(&mut self, text: &str, origin: Span) {
        if self.text_position == Position::Text && text.contains(LOGGING) {
            self.logging_command(origin);
        }
    }

    /// W005 for the logging command written in `span`.
    fn logging_command(&mut self, span: Span) {
        let at = self.precise(span, LOGGING, "]");
        self.diags.push(
            Diagnostic::warning(
                Code::LoggingCommand,
                at,
                "this text holds an Azure logging command, which the agent runs whenever a step prints it",
            )
            .label("`##vso[` logging command")
            .help("logging commands belong in scripts: `script \"echo '##vso[task.setvariable variable=x]1'\"`"),
        );
    }

    fn template_expressions(&mut self, text: &str, span: Span) {
        let mut rest = text;
        while let Some(i) = rest.find(TEMPLATE) {
            let after = &rest[i + TEMPLATE.len()..];
            let literal = literal_form(after);
            if let (Some(len), false) = (literal, self.text_position == Position::Trigger) {
                rest = &after[len..];
                continue;
            }
            let at = self.precise(span, TEMPLATE, "}}");
            let d = if self.text_position == Position::Trigger {
                Diagnostic::error(
                    Code::AzureExpression,
                    at,
                    "Azure does not allow `${{ … }}` in triggers and schedules",
                )
                .label("Azure template expression")
                .help("Azure rejects the pipeline with an expression here, even in its literal form `${{ '…' }}`; write the text without `${{`")
            } else {
                Diagnostic::error(
                    Code::AzureExpression,
                    at,
                    "Azure would evaluate `${{ … }}` before the run, so this text would not reach it as written",
                )
                .label("Azure template expression")
                .help("relc text is literal: join template parameters in (`\"v\" + version`) and write conditions with `when`; Azure's literal form `${{ '${{' }}` writes the characters themselves; a `relc-allow E100` comment hands the expression to Azure")
            };
            self.diags.push(d);
            return;
        }
    }

    /// The part of `span` from `open` to the next `close`, if the source
    /// holds it as written; the whole span otherwise.
    fn precise(&self, span: Span, open: &str, close: &str) -> Span {
        let source = &self.sources.get(span.file).text;
        let Some(written) = source.get(span.range()) else {
            return span;
        };
        let Some(start) = written.find(open) else {
            return span;
        };
        let end = written[start + open.len()..]
            .find(close)
            .filter(|&e| !written[start + open.len()..start + open.len() + e].contains('\n'))
            .map_or(start + open.len(), |e| start + open.len() + e + close.len());
        span.sub(start, end)
    }
}

/// Whether `text` holds [`TEMPLATE`] and whether it holds [`LOGGING`], found
/// in one scan for their first bytes.
fn find_syntax(text: &str) -> (bool, bool) {
    let b = text.as_bytes();
    let (mut template, mut logging) = (false, false);
    for i in memchr::memchr2_iter(b'$', b'#', b) {
        let rest = &b[i..];
        template |= rest.starts_with(TEMPLATE.as_bytes());
        logging |= rest.starts_with(LOGGING.as_bytes());
        if template && logging {
            break;
        }
    }
    (template, logging)
}

/// The length of ` '…' }}` after `${{`: Azure's literal form, a template
/// expression that is a single quoted string (`''` is a quote inside it).
fn literal_form(after: &str) -> Option<usize> {
    let b = after.as_bytes();
    let mut i = after.len() - after.trim_start().len();
    if b.get(i) != Some(&b'\'') {
        return None;
    }
    i += 1;
    loop {
        match b.get(i)? {
            b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => break,
            _ => i += 1,
        }
    }
    i += 1;
    i += after[i..].len() - after[i..].trim_start().len();
    after[i..].starts_with("}}").then_some(i + 2)
}

#[cfg(test)]
mod tests {
    use super::{find_syntax, literal_form};

    #[test]
    fn template_expressions_and_logging_commands_are_found_anywhere() {
        assert_eq!(find_syntax("echo $(a) ${{ x }}"), (true, false));
        assert_eq!(find_syntax("# ##vso[task.complete]"), (false, true));
        assert_eq!(find_syntax("##vso[x] and ${{"), (true, true));
        assert_eq!(find_syntax("$( ${ $[ #vso[ ##vso ${{"), (true, false));
        assert_eq!(find_syntax(""), (false, false));
        assert_eq!(find_syntax("$"), (false, false));
    }

    #[test]
    fn the_literal_form_is_one_quoted_string() {
        assert_eq!(literal_form(" '${{' }} rest"), Some(9));
        assert_eq!(literal_form("'it''s' }}"), Some(10));
        assert_eq!(literal_form(" parameters.x }}"), None);
        assert_eq!(literal_form(" 'a' + 'b' }}"), None);
        assert_eq!(literal_form(" 'unclosed }}"), None);
        assert_eq!(literal_form(""), None);
    }
}
