//! Diagnostics: what relc tells a user about their pipeline.
//!
//! Every phase pushes [`Diagnostic`]s into a [`Diagnostics`] sink instead of
//! stopping at the first problem, so one `relc check` reports everything it
//! can. A diagnostic has a stable [`Code`] (documented in
//! `docs/diagnostics.md`), a primary span with a label, optional related
//! spans (e.g. the first declaration of a duplicate), optional help and
//! machine-applicable [`Fix`]es (a did-you-mean is a fix replacing the
//! misspelt name). Rendering lives in [`crate::render`].

use crate::source::Span;
use serde::Serialize;

/// `docs/diagnostics.md`, the reference of every code, shipped inside the
/// binary: `relc explain` prints its sections and SARIF rules link to them.
pub const REFERENCE: &str = include_str!("../docs/diagnostics.md");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal;)*) => {
        /// The kinds of problem relc reports. The string form (`E010`) is stable.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// A one-line description, used in `docs/diagnostics.md`.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }
        }
    };
}

codes! {
    Syntax = "E001", "syntax error";
    InvalidEscape = "E002", "invalid escape in a string";
    UnknownSetting = "E003", "unknown setting";
    InvalidValue = "E004", "a setting has a value of the wrong kind";
    RepeatedSetting = "E005", "a setting is given more than once";
    MixedRoot = "E006", "stages, jobs and steps mixed at the root of a pipeline";
    UnknownStage = "E010", "unknown stage";
    UnknownJob = "E011", "unknown job";
    UnknownEnvironment = "E012", "unknown environment";
    UnknownGate = "E013", "unknown gate";
    UnknownArtifact = "E014", "unknown artifact";
    UnknownVariable = "E015", "unknown variable";
    UnknownTemplate = "E016", "unknown template";
    UnknownProperty = "E017", "unknown property or parameter";
    UnknownResource = "E018", "unknown resource (repository, pipeline, container)";
    Duplicate = "E020", "duplicate name";
    InvalidName = "E021", "name that Azure Pipelines rejects";
    TemplateArguments = "E022", "template arguments that do not match its parameters";
    TemplateKind = "E023", "template used where its contents do not fit";
    ImportNotFound = "E024", "imported file not found";
    ImportContents = "E025", "imported file declares a pipeline or stages";
    ImportOutsideProject = "E026", "import that leads outside the project";
    ImportNotSource = "E027", "imported file that is not readable source";
    Cycle = "E030", "dependency cycle";
    NotBoolean = "E040", "condition that is not a boolean";
    TypeMismatch = "E041", "comparison of values of incompatible types";
    UnknownEnumValue = "E042", "value outside a known set (build reason, result)";
    UnknownFunction = "E043", "unknown function";
    Arity = "E044", "wrong number of arguments";
    NotInCondition = "E045", "function not available in conditions";
    NotInContext = "E046", "expression context not available where it is used";
    InvalidCron = "E050", "invalid cron schedule";
    InvalidDuration = "E051", "invalid duration";
    OutOfRange = "E052", "value out of range";
    ArtifactOrder = "E060", "artifact downloaded by a stage that does not come after its producer";
    ArtifactNeverPublished = "E061", "artifact downloaded but never published";
    UnprotectedEnvironment = "E070", "protected environment without an approval";
    GatePlacement = "E080", "gate that cannot guard a stage";
    GateNeverPasses = "E081", "gate that can never pass";
    SecretInSource = "E090", "secret value written in source";
    AzureExpression = "E100", "Azure expression in a string";
    InvalidSuppression = "E110", "invalid suppression comment";
    TooLarge = "E120", "pipeline that expands past relc's limits";
    UnknownTaskVersion = "E130", "task version that is not built in";
    UnknownTaskInput = "E131", "unknown task input";
    TaskInputValue = "E132", "task input value outside its choices";
    TaskInputNotBoolean = "E133", "task input that must be true or false";
    MissingTaskInput = "E134", "required task input missing";
    AgentTaskInAgentlessJob = "E135", "task that needs an agent in an agentless job";
    ParameterValue = "E140", "runtime parameter value of the wrong type or outside its values";
    StrategyMisplaced = "E150", "strategy that does not fit its job";
    ExtendsStages = "E170", "stages of a pipeline that extends a template, not passed to it as a parameter";
    Unused = "W001", "unused declaration";
    UndeclaredVariable = "W002", "variable not declared in this file";
    GateAlwaysPasses = "W003", "gate that passes without checking anything";
    ConstantCondition = "W004", "condition that is the same on every run";
    LoggingCommand = "W005", "logging command outside a script";
    UnusedSuppression = "W006", "suppression comment that silences nothing";
    ScheduleNeverFires = "W007", "schedule that never fires";
    TextOrdering = "W008", "number or version ordered as text";
    TaskNotInBox = "W009", "task that is not built into Azure Pipelines";
    DeprecatedTask = "W010", "deprecated task version";
}

/// A source location with a message, shown beside the primary label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// Replace the text at `span` with `replacement` (an empty span inserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// A change that resolves a diagnostic: its edits applied together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, in the words of a help line ("did you mean `Dev`?").
    pub message: String,
    pub edits: Vec<Edit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub label: String,
    pub related: Vec<Related>,
    pub help: Option<String>,
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            related: Vec::new(),
            help: None,
            fixes: Vec::new(),
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    /// Help for when nothing better was found: kept only if there is no help yet.
    pub fn or_help(mut self, help: impl Into<String>) -> Diagnostic {
        if self.help.is_none() {
            self.help = Some(help.into());
        }
        self
    }

    /// Attach a fix; its message becomes the help unless help is already set.
    pub fn fix(mut self, fix: Fix) -> Diagnostic {
        if self.help.is_none() {
            self.help = Some(fix.message.clone());
        }
        self.fixes.push(fix);
        self
    }

    /// A fix of one edit: replace `span` with `replacement`.
    pub fn suggestion(
        self,
        span: Span,
        replacement: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        self.fix(Fix {
            message: message.into(),
            edits: vec![Edit {
                span,
                replacement: replacement.into(),
            }],
        })
    }

    /// Did-you-mean: if one of `candidates` is a plausible spelling of `name`
    /// (written at `span`), a fix replacing it with that candidate.
    pub fn did_you_mean<'a>(
        self,
        span: Span,
        name: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Diagnostic {
        match did_you_mean(name, candidates) {
            Some(c) => self.suggestion(span, c, format!("did you mean `{c}`?")),
            None => self,
        }
    }

    /// Whether `other` reports the same problem in the same words (related locations aside).
    fn same_problem(&self, other: &Diagnostic) -> bool {
        self.span == other.span
            && self.code == other.code
            && self.message == other.message
            && self.label == other.label
            && self.help == other.help
            && self.fixes == other.fixes
    }

    /// The names this diagnostic's fixes put in place of what was written.
    pub fn suggested_names(&self) -> impl Iterator<Item = &str> {
        self.fixes
            .iter()
            .flat_map(|f| f.edits.iter().map(|e| e.replacement.as_str()))
    }
}

/// Related locations a diagnostic keeps when the same problem is found again and again
/// (a mistake inside a template used many times): the first ones, enough to find the uses.
const MAX_RELATED: usize = 16;

/// The sink every phase writes to.
///
/// The same problem found again (same code, place and words; a mistake inside a
/// template, once per `use`) is kept once, with the related locations of every
/// finding (up to [`MAX_RELATED`]), so its size follows the source, not the expansion.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    errors: usize,
    /// Indexes into `items` by primary span and code.
    at: std::collections::HashMap<(Span, Code), Vec<usize>>,
    /// Each push, as the index of the diagnostic it added or merged into.
    pushes: Vec<usize>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        let same_place = self
            .at
            .entry((diagnostic.span, diagnostic.code))
            .or_default();
        let items = &mut self.items;
        if let Some(&i) = same_place
            .iter()
            .find(|&&i| items[i].same_problem(&diagnostic))
        {
            let kept = &mut items[i].related;
            for r in diagnostic.related {
                if kept.len() < MAX_RELATED && !kept.contains(&r) {
                    kept.push(r);
                }
            }
            self.pushes.push(i);
            return;
        }
        same_place.push(items.len());
        self.pushes.push(items.len());
        self.errors += usize::from(diagnostic.severity == Severity::Error);
        items.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    pub fn error_count(&self) -> usize {
        self.errors
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Distinct diagnostics.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// A point in the sequence of pushes, for [`Diagnostics::since_mut`].
    pub fn mark(&self) -> usize {
        self.pushes.len()
    }

    /// Whether anything was pushed since `mark`.
    pub fn pushed_since(&self, mark: usize) -> bool {
        self.pushes.len() > mark
    }

    /// The diagnostics pushed (new or found again) since `mark`, each once, for annotating them.
    pub fn since_mut(&mut self, mark: usize) -> impl Iterator<Item = &mut Diagnostic> {
        let mut touched: Vec<usize> = self.pushes[mark..].to_vec();
        touched.sort_unstable();
        touched.dedup();
        let mut items = self.items.iter_mut().enumerate();
        touched
            .into_iter()
            .filter_map(move |t| items.by_ref().find(|(i, _)| *i == t).map(|(_, d)| d))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for d in other.items {
            self.push(d);
        }
    }

    /// Sorted by file and position, so output is stable whatever order phases ran in.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items
            .sort_by_key(|d| (d.span.file, d.span.start, d.span.end, d.code.as_str()));
        self.items
    }
}

/// The candidate `name` most plausibly misspells, compared case-insensitively.
///
/// A typo is a few edits (insertions, deletions, substitutions, swaps of two
/// neighbouring letters: optimal string alignment distance), at most one per
/// three letters; failing that, a candidate that starts with `name` (`Test` →
/// `TestDeployment`), that `name` starts with (`appName` → `app`), or that
/// shares its first two thirds (`Success` → `Succeeded`). Ties go to the fewer edits,
/// then the closer length, then the alphabetically first, so the answer does
/// not depend on the candidates' order. `name` itself is never suggested.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Huge names are not typos; candidates of very different length are
    // skipped before any distance is computed, which keeps this linear.
    const LONGEST: usize = 100;
    let len = name.chars().count();
    if len == 0 || len > LONGEST {
        return None;
    }
    let lower = name.to_lowercase();
    let threshold = (len / 3).max(1);
    // (rank, edits, length difference, candidate): the smallest wins.
    let mut best: Option<(u8, usize, usize, &'a str)> = None;
    for c in candidates {
        let c_len = c.chars().count();
        if c == name || c.is_empty() || c_len > LONGEST {
            continue;
        }
        let diff = c_len.abs_diff(len);
        let cl = c.to_lowercase();
        let edits = (diff <= threshold)
            .then(|| strsim::osa_distance(&lower, &cl))
            .filter(|&d| d <= threshold && d < len);
        let key = if let Some(d) = edits {
            (0, d, diff, c)
        } else if let common = common_prefix(&lower, &cl)
            && common >= 3
            && (common == len.min(c_len) || 3 * common >= 2 * len)
        {
            (1, len - common, diff, c)
        } else {
            continue;
        };
        if best.is_none_or(|b| key < b) {
            best = Some(key);
        }
    }
    best.map(|(.., c)| c)
}

/// How many leading characters `a` and `b` share.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Help text for a did-you-mean, if there is a suggestion.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;
    const RESULTS: [&str; 5] = [
        "Succeeded",
        "SucceededWithIssues",
        "Failed",
        "Canceled",
        "Skipped",
    ];

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
        }
    }

    #[test]
    fn swapped_letters_are_one_edit() {
        let stages = ["Build", "Dev", "Test", "Prod"];
        assert_eq!(did_you_mean("Dve", stages), Some("Dev"));
        assert_eq!(did_you_mean("dve", stages), Some("Dev"));
        assert_eq!(did_you_mean("Dvv", stages), Some("Dev"));
        assert_eq!(did_you_mean("Biuld", stages), Some("Build"));
        assert_eq!(did_you_mean("Prdo", stages), Some("Prod"));
    }

    #[test]
    fn unrelated_names_are_not_suggested() {
        let settings = ["continue_on_error", "condition", "timeout", "display"];
        assert_eq!(did_you_mean("container", settings), None);
        assert_eq!(did_you_mean("x", ["y", "z"]), None);
        assert_eq!(did_you_mean("Deploy", ["Build", "Test"]), None);
        assert_eq!(did_you_mean("cont", ["container"]), Some("container"));
        assert_eq!(did_you_mean("appName", ["app", "name"]), Some("app"));
        assert_eq!(did_you_mean("Success", RESULTS), Some("Succeeded"));
    }

    #[test]
    fn allowed_edits_grow_with_the_name() {
        // Two edits in a name of six letters or more, one below.
        assert_eq!(did_you_mean("Satgnig", ["Staging"]), Some("Staging"));
        assert_eq!(
            did_you_mean("Prodcution", ["Production"]),
            Some("Production")
        );
        assert_eq!(did_you_mean("Dxx", ["Dev"]), None);
        assert_eq!(did_you_mean("Sxxxing", ["Staging"]), None);
    }

    #[test]
    fn never_the_name_itself_and_ties_do_not_depend_on_order() {
        assert_eq!(did_you_mean("Dev", ["Dev"]), None);
        assert_eq!(did_you_mean("Dev", ["Dev", "Deb"]), Some("Deb"));
        // `Tast` is one edit from both: the alphabetically first wins, whatever the order.
        assert_eq!(did_you_mean("Tast", ["Test", "Fast"]), Some("Fast"));
        assert_eq!(did_you_mean("Tast", ["Fast", "Test"]), Some("Fast"));
        // Fewer edits beat a prefix.
        assert_eq!(
            did_you_mean("Tes", ["TestDeployment", "Test"]),
            Some("Test")
        );
    }

    #[test]
    fn huge_inputs_stay_cheap_and_answer_nothing() {
        let long = "a".repeat(10_000);
        assert_eq!(did_you_mean(&long, ["a"]), None);
        let many: Vec<String> = (0..10_000).map(|i| format!("Stage{i}")).collect();
        assert_eq!(
            did_you_mean("Stage12345", many.iter().map(String::as_str)),
            Some("Stage1234")
        );
    }

    #[test]
    fn a_did_you_mean_is_a_fix_replacing_the_span() {
        let span = Span {
            file: crate::source::FileId(0),
            start: 6,
            end: 9,
        };
        let d = Diagnostic::error(Code::UnknownStage, span, "unknown stage `Dve`").did_you_mean(
            span,
            "Dve",
            ["Build", "Dev"],
        );
        assert_eq!(d.help.as_deref(), Some("did you mean `Dev`?"));
        assert_eq!(
            d.fixes,
            vec![Fix {
                message: "did you mean `Dev`?".into(),
                edits: vec![Edit {
                    span,
                    replacement: "Dev".into()
                }],
            }]
        );
        let none = Diagnostic::error(Code::UnknownStage, span, "x")
            .did_you_mean(span, "Zzz", ["Build"])
            .or_help("declare it");
        assert!(none.fixes.is_empty());
        assert_eq!(none.help.as_deref(), Some("declare it"));
    }

    #[test]
    fn did_you_mean_finds_typos_and_prefixes() {
        assert_eq!(
            did_you_mean("Tst", ["Build", "Test", "Staging"]),
            Some("Test")
        );
        assert_eq!(
            did_you_mean("Test", ["Build", "DevelopmentDeployment", "TestDeployment"]),
            Some("TestDeployment")
        );
        assert_eq!(did_you_mean("zzz", ["Build", "Test"]), None);
    }
}
