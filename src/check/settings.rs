//! Reading `keyword value` settings against a schema, and values as typed data.

use super::duration::{Duration, parse_duration};
use super::{Checker, ParamValue, Scope};
use crate::ast::{Entry, Expr, Setting, Value, ValueKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::schema::Block;

/// The settings of one block, checked against the keys that block allows.
pub(super) struct Settings<'a> {
    /// The first setting of each key.
    found: Vec<&'a Setting>,
}

impl<'a> Settings<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.found
            .iter()
            .find(|s| s.key.text == key)
            .map(|s| &s.value)
    }

    /// The setting itself (its key's span with its value).
    pub fn setting(&self, key: &str) -> Option<&'a Setting> {
        self.found.iter().find(|s| s.key.text == key).copied()
    }
}

impl Checker<'_> {
    /// Report unknown and repeated settings: those `block` accepts are in [`crate::schema`].
    pub(super) fn settings<'a>(&mut self, items: &'a [Setting], block: Block) -> Settings<'a> {
        self.settings_in(items.iter(), items.len(), block)
    }

    /// As [`Checker::settings`], for settings gathered from several bodies.
    pub(super) fn settings_of<'a>(&mut self, items: &[&'a Setting], block: Block) -> Settings<'a> {
        self.settings_in(items.iter().copied(), items.len(), block)
    }

    fn settings_in<'a>(
        &mut self,
        items: impl Iterator<Item = &'a Setting>,
        len: usize,
        block: Block,
    ) -> Settings<'a> {
        let what = block.what();
        let allowed = block.names();
        let mut found: Vec<&'a Setting> = Vec::with_capacity(len);
        for s in items {
            let key = s.key.text.as_str();
            if !allowed.clone().any(|a| a == key) {
                // `script "echo "hi""` reads as a string, then a setting `hi`.
                let text = &self.sources.get(s.key.span.file).text;
                let after_quote = s.key.span.start > 0
                    && text.as_bytes().get(s.key.span.start as usize - 1) == Some(&b'"');
                let quote_help = after_quote.then(|| {
                    "this follows a closing quote: to put a quote inside a string, write `\\\"`, or use '…' or \"\"\"…\"\"\"".to_string()
                });
                let help = quote_help.or_else(|| azure_spelling(key));
                let mut d = Diagnostic::error(
                    Code::UnknownSetting,
                    s.key.span,
                    format!("`{key}` is not a setting of {what}"),
                )
                .label("unknown setting")
                .help_opt(help);
                if d.help.is_none() {
                    d = d.did_you_mean(s.key.span, key, allowed.clone());
                }
                let accepted: Vec<&str> = allowed.clone().collect();
                self.diags
                    .push(d.or_help(format!("{what} accepts: {}", accepted.join(", "))));
                continue;
            }
            if let Some(first) = found.iter().find(|f| f.key.text == key).map(|f| f.key.span) {
                self.diags.push(
                    Diagnostic::error(
                        Code::RepeatedSetting,
                        s.key.span,
                        format!("`{key}` is set twice"),
                    )
                    .label("second value")
                    .related(first, "first set here")
                    .help("keep one of them"),
                );
                continue;
            }
            found.push(s);
        }
        Settings { found }
    }

    pub(crate) fn no_when(&mut self, when: &[Expr], what: &str) {
        for w in when {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    w.span,
                    format!("{what} has no condition"),
                )
                .label("`when` is not allowed here"),
            );
        }
    }

    pub(crate) fn no_entries(&mut self, entries: &[Entry], what: &str) {
        for e in entries {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownSetting,
                    e.key.span,
                    format!(
                        "{what} takes settings written `key value`, not `{} = …`",
                        e.key.text
                    ),
                )
                .label("unexpected `=`")
                .help(format!("write `{} …` without `=`", e.key.text)),
            );
        }
    }

    fn wrong_kind(&mut self, v: &Value, expected: &str) {
        let found = match &v.kind {
            ValueKind::Str(_) | ValueKind::Concat(_) => "text",
            ValueKind::Number(_) => "a number",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Duration(_) => "a duration",
            ValueKind::List(_) => "a list",
            ValueKind::Object(_) => "a block",
            ValueKind::Path(_) => "a name",
        };
        self.diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                v.span,
                format!("expected {expected}, found {found}"),
            )
            .label(format!("expected {expected}")),
        );
    }

    /// A value as text: strings, numbers, booleans, parameters, environment
    /// properties (`env.app`), and variables (`buildConfiguration` → `$(buildConfiguration)`).
    pub(super) fn text(&mut self, v: &Value, scope: &Scope) -> Option<String> {
        match &v.kind {
            ValueKind::Str(s) => {
                if super::secrets::has(s, "$(") {
                    self.check_macros(s, v.span, scope);
                }
                self.check_azure_syntax(s, v.span);
                Some(s.clone())
            }
            ValueKind::Number(n) => Some(self.number_text(*n, v.span)),
            ValueKind::Bool(b) => Some(b.to_string()),
            ValueKind::Concat(parts) => {
                // Room for the literal parts and a short value for each other one.
                let capacity = parts
                    .iter()
                    .map(|p| match &p.kind {
                        ValueKind::Str(s) => s.len(),
                        _ => 16,
                    })
                    .sum();
                let mut out = String::with_capacity(capacity);
                // The text judged for Azure's syntax: `out`, but with a runtime
                // parameter's `${{ parameters.x }}` (which relc writes on purpose)
                // replaced by a placeholder. Built only once a parameter appears.
                let mut judged: Option<String> = None;
                for p in parts {
                    let before = out.len();
                    match &p.kind {
                        ValueKind::Str(s) => {
                            if super::secrets::has(s, "$(") {
                                self.check_macros(s, p.span, scope);
                            }
                            out.push_str(s);
                        }
                        // A parameter's text, as `path_text` gives it, without a copy.
                        ValueKind::Path(path)
                            if path.segments.len() == 1
                                && let Some(ParamValue::Text(t) | ParamValue::Artifact(t)) =
                                    scope.params.get(&path.segments[0].text) =>
                        {
                            out.push_str(t);
                        }
                        ValueKind::Path(path) if is_runtime_parameter(path, scope) => {
                            out.push_str(&self.text(p, scope)?);
                            judged
                                .get_or_insert_with(|| out[..before].to_string())
                                .push('_');
                            continue;
                        }
                        _ => out.push_str(&self.text(p, scope)?),
                    }
                    if let Some(j) = &mut judged {
                        j.push_str(&out[before..]);
                    }
                }
                // Judged once joined: `"${" + "{ x }}"` is still an expression.
                self.check_azure_syntax(judged.as_deref().unwrap_or(&out), v.span);
                Some(out)
            }
            ValueKind::Path(path) => {
                let text = self.path_text(path, scope)?;
                // A `string` parameter used whole: its text is judged here, where it is used.
                if let [only] = path.segments.as_slice()
                    && let Some(ParamValue::Text(_)) = scope.params.get(&only.text)
                {
                    let origin = scope.param_origins.get(&only.text).copied();
                    self.check_parameter_text(&text, origin.unwrap_or(v.span));
                }
                Some(text)
            }
            _ => {
                self.wrong_kind(v, "text");
                None
            }
        }
    }

    fn path_text(&mut self, path: &crate::ast::Path, scope: &Scope) -> Option<String> {
        let first = &path.segments[0];
        let rest = &path.segments[1..];
        if is_runtime_parameter(path, scope) {
            return self.parameter_text(path);
        }
        // A variable with dots in its name (`var web.app_name = …`), unless the
        // first part names a parameter or an environment.
        if !rest.is_empty()
            && !scope.params.contains_key(&first.text)
            && self.env_key(&first.text).is_none()
            && let Some(var) = self.lookup_var(&path.text(), scope)
        {
            return Some(format!("$({var})"));
        }
        let env_name = match scope.params.get(&first.text) {
            Some(ParamValue::Environment(e)) => Some(e.clone()),
            Some(p) if rest.is_empty() => return Some(p.text()),
            Some(_) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownProperty,
                        rest[0].span,
                        format!("parameter `{}` has no properties", first.text),
                    )
                    .label("not a property")
                    .help("only environment parameters have properties"),
                );
                return None;
            }
            None => self.env_key(&first.text).map(|_| first.text.clone()),
        };
        if let Some(env) = env_name {
            if rest.is_empty() {
                self.mark_env_used(&env);
                return Some(self.env_decl(&env).map_or(env, |e| e.name.text.clone()));
            }
            return self.env_property(&env, &rest[0], rest.len() > 1, scope);
        }
        if rest.is_empty() && self.has_var(&first.text, scope) {
            let canonical = self.lookup_var(&first.text, scope).unwrap_or_default();
            return Some(format!("$({canonical})"));
        }
        let mut candidates: Vec<String> = scope.params.keys().cloned().collect();
        candidates.extend(self.visible_vars(scope));
        candidates.extend(self.ast.environments.iter().map(|e| e.name.text.clone()));
        self.diags.push(
            Diagnostic::error(
                Code::UnknownProperty,
                first.span,
                format!("unknown name `{}`", first.text),
            )
            .label("not a parameter, environment or variable")
            .did_you_mean(
                first.span,
                &first.text,
                candidates.iter().map(String::as_str),
            )
            .or_help(
                "a value is text in quotes, or the name of a parameter, environment or variable",
            ),
        );
        None
    }

    fn env_property(
        &mut self,
        env: &str,
        prop: &crate::ast::Name,
        too_deep: bool,
        scope: &Scope,
    ) -> Option<String> {
        self.mark_env_used(env);
        let decl = self.env_decl(env)?;
        if too_deep {
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownProperty,
                    prop.span,
                    "environment properties are text and have no properties of their own",
                )
                .label("one level too deep"),
            );
            return None;
        }
        let builtin = match prop.text.as_str() {
            "name" => Some(decl.name.text.clone()),
            _ => None,
        };
        if builtin.is_some() {
            return builtin;
        }
        if let Some(e) = decl.properties.iter().find(|e| e.key.text == prop.text) {
            let value = e.value.clone();
            let caller = Scope {
                params: Default::default(),
                ..scope.clone()
            };
            return self.text(&value, &caller);
        }
        let mut names: Vec<&str> = decl
            .properties
            .iter()
            .map(|e| e.key.text.as_str())
            .collect();
        names.push("name");
        let decl_span = decl.name.span;
        self.diags.push(
            Diagnostic::error(
                Code::UnknownProperty,
                prop.span,
                format!("environment `{env}` has no property `{}`", prop.text),
            )
            .label("unknown property")
            .related(decl_span, "environment declared here")
            .did_you_mean(prop.span, &prop.text, names.iter().copied())
            .or_help(format!("its properties are: {}", names.join(", "))),
        );
        None
    }

    /// A block of `NAME = "value"` entries (a step's `env`, an HTTP gate's
    /// `headers`): names to text. `what` names one entry ("header"), `verb` says
    /// what an entry does ("send a header"). Literal secrets are reported.
    pub(super) fn text_entries(
        &mut self,
        v: &Value,
        scope: &Scope,
        what: &str,
        verb: &str,
    ) -> indexmap::IndexMap<String, String> {
        let mut out = indexmap::IndexMap::new();
        let shape = format!("a block of `NAME = \"value\"` entries, one per {what}");
        let ValueKind::Object(obj) = &v.kind else {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, v.span, format!("expected {shape}"))
                    .label("expected a block"),
            );
            return out;
        };
        for e in &obj.entries {
            self.check_secret(&e.key.text, &e.value, what, scope);
            if let Some(t) = self.text(&e.value, scope) {
                out.insert(e.key.text.clone(), t);
            }
        }
        self.no_when(&obj.when, &format!("a block of {what}s"));
        for s in &obj.settings {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    s.key.span,
                    format!("write `{} = …` to {verb}", s.key.text),
                )
                .label("missing `=`")
                .help(format!("each {what} is written `NAME = \"value\"`")),
            );
        }
        out
    }

    pub(super) fn opt_text(&mut self, v: Option<&Value>, scope: &Scope) -> Option<String> {
        v.and_then(|v| self.text(v, scope))
    }

    pub(super) fn bool(&mut self, v: Option<&Value>, scope: &Scope) -> Option<bool> {
        let v = v?;
        match &v.kind {
            ValueKind::Bool(b) => Some(*b),
            ValueKind::Path(p) if p.segments.len() == 1 => {
                match scope.params.get(&p.segments[0].text) {
                    Some(ParamValue::Bool(b)) => Some(*b),
                    _ => {
                        self.wrong_kind(v, "`true` or `false`");
                        None
                    }
                }
            }
            _ => {
                self.wrong_kind(v, "`true` or `false`");
                None
            }
        }
    }

    pub(super) fn number(&mut self, v: Option<&Value>, scope: &Scope) -> Option<f64> {
        let v = v?;
        match &v.kind {
            ValueKind::Number(n) => Some(*n),
            ValueKind::Path(p)
                if p.segments.len() == 1
                    && matches!(
                        scope.params.get(&p.segments[0].text),
                        Some(ParamValue::Number(_))
                    ) =>
            {
                match scope.params.get(&p.segments[0].text) {
                    Some(ParamValue::Number(n)) => Some(*n),
                    _ => None,
                }
            }
            _ => {
                self.wrong_kind(v, "a number");
                None
            }
        }
    }

    pub(super) fn duration(&mut self, v: Option<&Value>) -> Option<Duration> {
        let v = v?;
        match &v.kind {
            ValueKind::Duration(text) => match parse_duration(text) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::InvalidDuration,
                            v.span.sub(e.start, e.end),
                            e.message,
                        )
                        .label("invalid duration")
                        .help_opt(e.help),
                    );
                    None
                }
            },
            ValueKind::Number(n) => {
                self.diags.push(
                    Diagnostic::error(Code::InvalidDuration, v.span, format!("a duration needs a unit: `{}m`, `{}h`?", format_number(*n), format_number(*n)))
                        .label("no unit")
                        .help("durations use d (days), h (hours), m (minutes) and s (seconds), e.g. 30m or 1h30m"),
                );
                None
            }
            _ => {
                self.wrong_kind(v, "a duration such as `30m`");
                None
            }
        }
    }

    /// A duration in whole minutes within `[1, max]` minutes, as Azure's settings take them.
    pub(super) fn minutes(
        &mut self,
        v: Option<&Value>,
        max_minutes: u64,
        what: &str,
    ) -> Option<u64> {
        let value = v?;
        let d = self.duration(v)?;
        let Some(m) = d.whole_minutes() else {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidDuration,
                    value.span,
                    format!("{what} is counted in whole minutes, not {d}"),
                )
                .label("not a whole number of minutes")
                .help(format!("use {}m", d.minutes_ceil())),
            );
            return None;
        };
        if m == 0 || m > max_minutes {
            self.diags.push(
                Diagnostic::error(
                    Code::OutOfRange,
                    value.span,
                    format!(
                        "{what} must be between 1 and {max_minutes} minutes ({})",
                        Duration {
                            seconds: max_minutes * 60
                        }
                    ),
                )
                .label(if m == 0 {
                    "zero".to_string()
                } else {
                    format!("{m} minutes")
                }),
            );
            return None;
        }
        Some(m)
    }

    pub(super) fn text_list(&mut self, v: Option<&Value>, scope: &Scope) -> Option<Vec<String>> {
        let v = v?;
        match &v.kind {
            ValueKind::List(items) => {
                Some(items.iter().filter_map(|i| self.text(i, scope)).collect())
            }
            _ => {
                self.wrong_kind(v, "a list such as `[\"main\"]`");
                None
            }
        }
    }

    /// A bare word from a fixed set (`sequential`, `reject`, …).
    pub(super) fn word(&mut self, v: Option<&Value>, options: &[&str]) -> Option<String> {
        let v = v?;
        let text = match &v.kind {
            ValueKind::Path(p) if p.segments.len() == 1 => p.segments[0].text.clone(),
            ValueKind::Str(s) => s.clone(),
            _ => {
                self.wrong_kind(v, &format!("one of {}", options.join(", ")));
                return None;
            }
        };
        if let Some(o) = options.iter().find(|o| o.eq_ignore_ascii_case(&text)) {
            return Some(o.to_string());
        }
        let fix_span = self.unquoted(v.span);
        self.diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                v.span,
                format!("`{text}` is not one of {}", options.join(", ")),
            )
            .label("unknown value")
            .did_you_mean(fix_span, &text, options.iter().copied()),
        );
        None
    }
}

impl Checker<'_> {
    /// A number literal as text: as it is spelled in the source (`6.0` stays
    /// `6.0`, `007` stays `007`: text is what the user wrote), or formatted
    /// when its span does not hold exactly a number.
    pub(super) fn number_text(&self, n: f64, span: crate::source::Span) -> String {
        self.sources
            .get(span.file)
            .text
            .get(span.range())
            .filter(|t| t.parse::<f64>().is_ok())
            .map_or_else(|| format_number(n), str::to_string)
    }
}

pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Help for Azure's YAML keys written where `.release` has its own words.
pub(super) fn azure_spelling(key: &str) -> Option<String> {
    let hint = match key {
        "dependsOn" | "depends_on" | "depends" => {
            "dependencies go in the header: `stage Deploy after Build { … }`"
        }
        "condition" => "conditions are written `when <expression>`, e.g. `when branch == \"main\"`",
        "displayName" | "display_name" => {
            "write `display \"…\"` (stages and jobs take it in the header: `stage Build \"Build the app\" { … }`)"
        }
        "vmImage" => "write `vm_image \"ubuntu-latest\"`",
        "workingDirectory" | "working_directory" => "write `workdir \"…\"`",
        "timeoutInMinutes" => "write a duration: `timeout 30m`",
        "continueOnError" => "write `continue_on_error true`",
        "retryCountOnTaskFailure" => "write `retries 3`",
        "variables" => "declare variables with `var name = \"value\"` and groups with `group Name`",
        "steps" | "jobs" => "write the steps or jobs directly in the block",
        "environment" => {
            "a deployment names its environment in the header: `deployment Deploy to staging { … }`"
        }
        _ => return None,
    };
    Some(hint.to_string())
}

/// `parameters.NAME…`: a runtime parameter, unless a template parameter is named `parameters`.
pub(super) fn is_runtime_parameter(path: &crate::ast::Path, scope: &Scope) -> bool {
    path.segments.len() > 1
        && path.segments[0].text == "parameters"
        && !scope.params.contains_key("parameters")
}
