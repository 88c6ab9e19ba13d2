//! The `pipeline` block: its settings, triggers and schedules, and the pool
//! setting (the pipeline's is the default; stages and jobs read theirs here too).

use super::{Checker, HashMap, Scope, azure_syntax, cron};
use crate::ast;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::schema::{self, Block};
use crate::source::Span;

impl<'a> Checker<'a> {
    pub(super) fn pipeline_block(&mut self, p: &ast::Pipeline, out: &mut ir::Pipeline) {
        let scope = self.root_scope();
        out.title = p.title.clone();
        let s = self.settings(&p.settings, Block::Pipeline);
        out.run_name = self.opt_text(s.get("run_name"), &scope);
        out.pool = s.get("pool").and_then(|v| self.pool(v, &scope));
        self.pipeline_pool_server = out.pool == Some(ir::Pool::Server);
        out.lock_behavior = self
            .word(s.get("lock_behavior"), schema::LOCK_BEHAVIORS)
            .map(|w| lock_behavior(&w));
        // Triggers and schedules are read before Azure expands expressions.
        self.text_position = azure_syntax::Position::Trigger;
        if let Some(t) = &p.trigger {
            out.trigger = self.trigger(t, false);
        }
        if let Some(t) = &p.pr {
            out.pr = Some(self.trigger(t, true));
        }
        let mut seen: HashMap<String, Span> = HashMap::default();
        for sch in &p.schedules {
            if let Some(first) = seen.insert(sch.name.text.to_ascii_lowercase(), sch.name.span) {
                self.duplicate("schedule", &sch.name, first);
            }
            if let Some(s) = self.schedule(sch) {
                out.schedules.push(s);
            }
        }
        self.text_position = azure_syntax::Position::Text;
    }

    pub(super) fn trigger(&mut self, t: &ast::Trigger, pr: bool) -> ir::Trigger {
        let Some(obj) = &t.filter else {
            return ir::Trigger::None;
        };
        let block = if pr { Block::Pr } else { Block::Trigger };
        self.no_when(&obj.when, block.what());
        self.no_entries(&obj.entries, block.what());
        let s = self.settings(&obj.settings, block);
        let scope = self.root_scope();
        ir::Trigger::Filter(ir::TriggerFilter {
            branches: s
                .get("branches")
                .map(|v| self.filter(v))
                .unwrap_or_default(),
            paths: s.get("paths").map(|v| self.filter(v)),
            tags: s.get("tags").map(|v| self.filter(v)),
            batch: self.bool(s.get("batch"), &scope),
            auto_cancel: self.bool(s.get("auto_cancel"), &scope),
            drafts: self.bool(s.get("drafts"), &scope),
        })
    }

    /// `["a", "b"]` (include) or `{ include [..] exclude [..] }`.
    pub(super) fn filter(&mut self, v: &ast::Value) -> ir::Filter {
        let scope = self.root_scope();
        match &v.kind {
            ast::ValueKind::Object(obj) => {
                self.no_entries(&obj.entries, "a branch filter");
                let s = self.settings(&obj.settings, Block::Filter);
                ir::Filter {
                    include: self.text_list(s.get("include"), &scope).unwrap_or_default(),
                    exclude: self.text_list(s.get("exclude"), &scope).unwrap_or_default(),
                }
            }
            _ => ir::Filter {
                include: self.text_list(Some(v), &scope).unwrap_or_default(),
                exclude: Vec::new(),
            },
        }
    }

    fn schedule(&mut self, sch: &ast::Schedule) -> Option<ir::Schedule> {
        self.no_when(&sch.settings.when, "a schedule");
        self.no_entries(&sch.settings.entries, "a schedule");
        let s = self.settings(&sch.settings.settings, Block::Schedule);
        let scope = self.root_scope();
        let Some(cron_value) = s.get("cron") else {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidCron,
                    sch.name.span,
                    format!("schedule `{}` has no `cron`", sch.name.text),
                )
                .label("when does it run?")
                .help("add e.g. `cron \"0 3 * * *\"` (minute hour day month weekday, in UTC)"),
            );
            return None;
        };
        let cron = self.text(cron_value, &scope)?;
        // A byte range of the cron text as a span, when the text is written
        // as a string literal; the whole value otherwise.
        let sub_span = |start: usize, end: usize| match &cron_value.kind {
            ast::ValueKind::Str(_) => cron_value.span.sub(start + 1, end + 1),
            _ => cron_value.span,
        };
        let expr = match cron::CronExpr::parse(&cron) {
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(Code::InvalidCron, sub_span(e.start, e.end), e.message)
                        .label("invalid cron")
                        .help_opt(e.help),
                );
                None
            }
            Ok(expr) => {
                let parsed = &expr.parsed;
                if let Some(never) = parsed.never_fires() {
                    // Day and month fields: the two that cannot meet.
                    let fields = cron::split_fields(&cron);
                    let (day, month) = (fields[2], fields[3]);
                    let mut fixed = cron.clone();
                    fixed.replace_range(day.0..day.1, &never.last_day.to_string());
                    let fixed = fixed.trim().to_string();
                    let diag = Diagnostic::warning(
                        Code::ScheduleNeverFires,
                        sub_span(day.0, month.1),
                        format!("schedule `{}` never fires: {}", sch.name.text, never.reason),
                    )
                    .label("no such date");
                    let message = format!(
                        "write day {}, the last day {} has in every year: `{fixed}` \
                         (Azure's cron has no `L` for a month's last day)",
                        never.last_day, never.months
                    );
                    self.diags.push(match &cron_value.kind {
                        ast::ValueKind::Str(_) => diag.suggestion(
                            sub_span(day.0, day.1),
                            never.last_day.to_string(),
                            message,
                        ),
                        _ => diag.help(message),
                    });
                }
                Some(expr)
            }
        };
        if s.get("branches").is_none() {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, sch.name.span, format!("schedule `{}` has no `branches`", sch.name.text))
                    .label("which branches does it build?")
                    .help("add e.g. `branches [\"main\"]`; Azure runs a schedule only for the branches it lists"),
            );
        }
        Some(ir::Schedule {
            name: sch.name.text.clone(),
            display: self.opt_text(s.get("display"), &scope),
            branches: s
                .get("branches")
                .map(|v| self.filter(v))
                .unwrap_or_default(),
            always: self.bool(s.get("always"), &scope).unwrap_or(false),
            batch: self.bool(s.get("batch"), &scope),
            span: sch.span,
            // Last: the settings above are checked even when the cron is invalid.
            cron: expr?,
        })
    }

    /// `pool { vm_image "…" demands [..] }`, `pool "Name"`, or `pool server`.
    pub(crate) fn pool(&mut self, v: &ast::Value, scope: &Scope) -> Option<ir::Pool> {
        match &v.kind {
            ast::ValueKind::Path(p) if p.segments.len() == 1 && p.segments[0].text == "server" => {
                Some(ir::Pool::Server)
            }
            ast::ValueKind::Object(obj) => {
                self.no_entries(&obj.entries, "a pool");
                let errors_before = self.diags.error_count();
                let s = self.settings(&obj.settings, Block::Pool);
                let misspelt = self.diags.error_count() > errors_before;
                let demands = match s.get("demands") {
                    Some(
                        d @ ast::Value {
                            kind: ast::ValueKind::List(_),
                            ..
                        },
                    ) => self.text_list(Some(d), scope)?,
                    Some(d) => vec![self.text(d, scope)?],
                    None => Vec::new(),
                };
                match (s.get("vm_image"), s.get("name")) {
                    (Some(img), None) => Some(ir::Pool::VmImage {
                        image: self.text(img, scope)?,
                        demands,
                    }),
                    (None, Some(n)) => Some(ir::Pool::Named {
                        name: self.text(n, scope)?,
                        demands,
                    }),
                    _ if misspelt => None,
                    _ => {
                        self.diags.push(
                            Diagnostic::error(Code::InvalidValue, v.span, "a pool needs exactly one of `vm_image` (Microsoft-hosted) or `name` (self-hosted)")
                                .label("which agents?")
                                .help("e.g. `pool { vm_image \"ubuntu-22.04\" }`"),
                        );
                        None
                    }
                }
            }
            _ => Some(ir::Pool::Named {
                name: self.text(v, scope)?,
                demands: Vec::new(),
            }),
        }
    }
}

pub(super) fn lock_behavior(word: &str) -> ir::LockBehavior {
    if word == "sequential" {
        ir::LockBehavior::Sequential
    } else {
        ir::LockBehavior::RunLatest
    }
}
