//! Runtime parameters: `parameter env: string = "dev" { values ["dev", "prod"] }`.
//!
//! A runtime parameter is Azure's root `parameters:` entry: its value is chosen
//! when a run is queued, and Azure substitutes it (`${{ parameters.env }}`)
//! before anything runs. relc checks the declaration (type, default, the
//! values it may take) and every use, written `parameters.NAME` in text and in
//! conditions; the YAML keeps the reference, so the choice stays Azure's.
//!
//! Invariant: [`Declared`] holds every parameter whose declaration is sound
//! enough to be referenced (a known type); references to any other name are
//! reported once each, with a did-you-mean among the declared names.

use super::{Checker, HashMap, Scope};
use crate::ast;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Data, ParamType, Scalar};
use crate::schema::Block;
use crate::source::Span;

/// The pipeline's runtime parameters, by name as declared (names are matched
/// case-insensitively, as Azure does for `parameters.X`).
#[derive(Default)]
pub(crate) struct Declared {
    by_name: HashMap<String, Info>,
}

struct Info {
    name: String,
    ty: ParamType,
    /// The values it may take; empty when any value of its type is allowed.
    values: Vec<Scalar>,
    span: Span,
    used: bool,
}

const TYPES: [&str; 4] = ["string", "number", "bool", "object"];

impl Checker<'_> {
    /// Check the declarations and build the IR's parameters; fills [`Declared`].
    pub(crate) fn runtime_parameters(&mut self) -> Vec<ir::Parameter> {
        let ast = self.ast;
        let mut out = Vec::with_capacity(ast.parameters.len());
        for p in &ast.parameters {
            let key = p.name.text.to_ascii_lowercase();
            if let Some(first) = self.parameters.by_name.get(&key).map(|i| i.span) {
                self.duplicate("parameter", &p.name, first);
                continue;
            }
            if !super::is_valid_azure_name(&p.name.text) {
                self.diags.push(
                    Diagnostic::error(
                        Code::InvalidName,
                        p.name.span,
                        format!(
                            "`{}` is not a name Azure accepts for a parameter",
                            p.name.text
                        ),
                    )
                    .label("invalid name")
                    .help(super::NAME_HELP),
                );
            }
            let Some(ty) = self.parameter_type(&p.ty) else {
                // Known by name, so its uses are not reported as well.
                self.parameters.by_name.insert(
                    key,
                    Info {
                        name: p.name.text.clone(),
                        ty: ParamType::Object,
                        values: Vec::new(),
                        span: p.name.span,
                        used: true,
                    },
                );
                continue;
            };
            let settings = self.settings(&p.body.settings, Block::Parameter);
            for e in &p.body.entries {
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownSetting,
                        e.key.span,
                        format!("`{} = …` is not a setting of a parameter", e.key.text),
                    )
                    .label("not a setting")
                    .help("a parameter accepts `display \"…\"` and `values [...]`"),
                );
            }
            for w in &p.body.when {
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownSetting,
                        w.span,
                        "a parameter has no condition",
                    )
                    .label("`when` is not a setting of a parameter")
                    .help("conditions belong to stages, jobs and steps; they can read `parameters.NAME`"),
                );
            }
            let root = self.root_scope();
            let display = settings.get("display").and_then(|v| self.text(v, &root));
            let values: Vec<Scalar> = match settings.get("values") {
                Some(v) => self.parameter_values(v, ty),
                None => Vec::new(),
            };
            let default = p.default.as_ref().and_then(|d| {
                self.check_secret(&p.name.text, d, "parameter", &root);
                let data = self.parameter_data(d, ty)?;
                if let Data::Scalar(s) = &data
                    && !values.is_empty()
                    && !values.iter().any(|v| scalar_eq(v, s))
                {
                    self.diags.push(
                        Diagnostic::error(
                            Code::ParameterValue,
                            d.span,
                            "the default is not one of the parameter's values",
                        )
                        .label("not among `values`")
                        .help(format!(
                            "the values are {}; use one of them, or add this one",
                            values
                                .iter()
                                .map(scalar_text)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                }
                Some(data)
            });
            self.parameters.by_name.insert(
                key,
                Info {
                    name: p.name.text.clone(),
                    ty,
                    values: values.clone(),
                    span: p.name.span,
                    used: false,
                },
            );
            out.push(ir::Parameter {
                name: p.name.text.clone(),
                display,
                ty,
                default,
                values,
                span: p.name.span,
            });
        }
        out
    }

    fn parameter_type(&mut self, ty: &ast::Name) -> Option<ParamType> {
        match ty.text.as_str() {
            "string" => return Some(ParamType::String),
            "number" => return Some(ParamType::Number),
            "bool" => return Some(ParamType::Boolean),
            "object" => return Some(ParamType::Object),
            _ => {}
        }
        let mut d = Diagnostic::error(
            Code::InvalidValue,
            ty.span,
            format!("unknown parameter type `{}`", ty.text),
        )
        .label("not a parameter type");
        d = match ty.text.as_str() {
            "boolean" => d.suggestion(ty.span, "bool", "relc writes Azure's `boolean` as `bool`"),
            "step" | "stepList" | "job" | "jobList" | "deployment" | "deploymentList" | "stage"
            | "stageList" => d.help(format!(
                "a `{}` parameter passes pipeline parts in at queue time; in .release, write the parts in a template and pass a string, number, bool or object parameter that selects them",
                ty.text
            )),
            _ => d
                .did_you_mean(ty.span, &ty.text, TYPES)
                .or_help("runtime parameter types are string, number, bool and object"),
        };
        self.diags.push(d);
        None
    }

    /// `values [...]`: scalars of the parameter's type.
    fn parameter_values(&mut self, v: &ast::Value, ty: ParamType) -> Vec<Scalar> {
        let ast::ValueKind::List(items) = &v.kind else {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, v.span, "`values` takes a list")
                    .label("not a list")
                    .help("write the values the parameter may take: `values [\"dev\", \"prod\"]`"),
            );
            return Vec::new();
        };
        if matches!(ty, ParamType::Object | ParamType::Boolean) {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    v.span,
                    format!("a {} parameter has no `values`", ty.key()),
                )
                .label("not for this type")
                .help("`values` lists the choices of a string or number parameter"),
            );
            return Vec::new();
        }
        let mut out: Vec<Scalar> = Vec::with_capacity(items.len());
        for item in items {
            if let Some(Data::Scalar(s)) = self.parameter_data(item, ty) {
                if out.iter().any(|o| scalar_eq(o, &s)) {
                    self.diags.push(
                        Diagnostic::error(Code::Duplicate, item.span, "this value is listed twice")
                            .label("repeated")
                            .help("list each value once"),
                    );
                } else {
                    out.push(s);
                }
            }
        }
        out
    }

    /// A value of type `ty`, as the YAML writes it; `None` (reported) when it is not one.
    fn parameter_data(&mut self, v: &ast::Value, ty: ParamType) -> Option<Data> {
        use ast::ValueKind as V;
        let root = self.root_scope();
        let data = match (ty, &v.kind) {
            (ParamType::Number, V::Number(n)) => Some(Data::Scalar(number(*n))),
            (ParamType::Boolean, V::Bool(b)) => Some(Data::Scalar(Scalar::Bool(*b))),
            (ParamType::String, V::Str(_) | V::Concat(_) | V::Path(_)) => {
                self.text(v, &root).map(|t| Data::Scalar(Scalar::Str(t)))
            }
            (ParamType::Object, _) => self.object_data(v, &root, 0),
            _ => None,
        };
        if data.is_none() && ty != ParamType::Object && !matches!(v.kind, V::Path(_)) {
            self.diags.push(
                Diagnostic::error(
                    Code::ParameterValue,
                    v.span,
                    format!("this is not a {} value", ty.key()),
                )
                .label(format!("expected a {}", ty.key()))
                .help(match ty {
                    ParamType::String => "write text in quotes",
                    ParamType::Number => "write a number: `3`",
                    ParamType::Boolean => "write `true` or `false`",
                    ParamType::Object => "write a list `[...]` or a block `{ key = value }`",
                }),
            );
        }
        data
    }

    /// Structured data for an object parameter: lists, `{ key = value }` blocks, scalars.
    fn object_data(&mut self, v: &ast::Value, scope: &Scope, depth: usize) -> Option<Data> {
        use ast::ValueKind as V;
        if self.too_deep(v, depth) {
            return None;
        }
        Some(match &v.kind {
            V::Number(n) => Data::Scalar(number(*n)),
            V::Bool(b) => Data::Scalar(Scalar::Bool(*b)),
            V::List(items) => Data::List(
                items
                    .iter()
                    .filter_map(|i| self.object_data(i, scope, depth + 1))
                    .collect(),
            ),
            V::Object(o) => {
                let mut map = indexmap::IndexMap::new();
                for s in &o.settings {
                    if let Some(d) = self.object_data(&s.value, scope, depth + 1) {
                        map.insert(s.key.text.clone(), d);
                    }
                }
                for e in &o.entries {
                    if let Some(d) = self.object_data(&e.value, scope, depth + 1) {
                        map.insert(e.key.text.clone(), d);
                    }
                }
                Data::Map(map)
            }
            _ => Data::Scalar(Scalar::Str(self.text(v, scope)?)),
        })
    }

    /// Data is at most 64 levels deep (reported, E120), so later phases can recurse on it.
    pub(super) fn too_deep(&mut self, v: &ast::Value, depth: usize) -> bool {
        if depth > 64 {
            self.diags.push(
                Diagnostic::error(Code::TooLarge, v.span, "this value is nested too deeply")
                    .label("more than 64 levels"),
            );
        }
        depth > 64
    }

    /// `parameters.NAME[.field…]` in text: Azure's template expression for it.
    /// `None` (reported) when no such parameter is declared.
    pub(crate) fn parameter_text(&mut self, path: &ast::Path) -> Option<String> {
        let (info, fields) = self.parameter_ref(&path.segments[1..])?;
        let whole_object = fields.is_empty()
            && self
                .parameters
                .by_name
                .get(&info.to_ascii_lowercase())
                .is_some_and(|i| i.ty == ParamType::Object);
        if whole_object {
            self.diags.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    path.span,
                    format!("object parameter `{info}` is not text"),
                )
                .label("an object, not text")
                .help(format!(
                    "Azure cannot insert a list or a block into text; read one of its fields: `parameters.{info}.NAME`"
                )),
            );
            return None;
        }
        let mut text = format!("${{{{ parameters.{}", info);
        for f in fields {
            text.push('.');
            text.push_str(&f.text);
        }
        text.push_str(" }}");
        Some(text)
    }

    /// `parameters.NAME[.field…]` as a whole value of data (a template's
    /// parameter): Azure inserts any value there, an object too.
    pub(crate) fn parameter_data_text(&mut self, path: &ast::Path) -> Option<String> {
        let (info, fields) = self.parameter_ref(&path.segments[1..])?;
        let mut text = format!("${{{{ parameters.{info}");
        for f in fields {
            text.push('.');
            text.push_str(&f.text);
        }
        text.push_str(" }}");
        Some(text)
    }

    /// `parameters.NAME` in a condition: its value, substituted by Azure before the
    /// condition is evaluated. Comparing it with a value it can never take is W004.
    pub(crate) fn parameter_expr(&mut self, segments: &[ast::Name], span: Span) -> ir::Expr {
        let Some((name, fields)) = self.parameter_ref(segments) else {
            return ir::Expr {
                kind: ir::ExprKind::Str(String::new()),
                ty: ir::Type::Any,
                span,
            };
        };
        let ty = match self.parameters.by_name.get(&name.to_ascii_lowercase()) {
            Some(_) if !fields.is_empty() => ir::Type::Any,
            Some(i) => match i.ty {
                ParamType::String => ir::Type::String,
                ParamType::Number => ir::Type::Number,
                ParamType::Boolean => ir::Type::Bool,
                ParamType::Object => ir::Type::Object,
            },
            None => ir::Type::Any,
        };
        let mut path = name;
        for f in fields {
            path.push('.');
            path.push_str(&f.text);
        }
        ir::Expr {
            kind: ir::ExprKind::Parameter(path),
            ty,
            span,
        }
    }

    /// The values a parameter may take, when it lists them (for constant comparisons).
    pub(crate) fn parameter_choices(&self, name: &str) -> Option<&[Scalar]> {
        let info = self.parameters.by_name.get(&name.to_ascii_lowercase())?;
        (!info.values.is_empty()).then_some(info.values.as_slice())
    }

    /// The declared name and the fields after it; marks the parameter used.
    fn parameter_ref<'n>(
        &mut self,
        segments: &'n [ast::Name],
    ) -> Option<(String, &'n [ast::Name])> {
        let first = segments.first()?;
        if let Some(info) = self
            .parameters
            .by_name
            .get_mut(&first.text.to_ascii_lowercase())
        {
            info.used = true;
            let fields = &segments[1..];
            if !fields.is_empty() && info.ty != ParamType::Object {
                let ty = info.ty.key();
                self.diags.push(
                    Diagnostic::error(
                        Code::UnknownProperty,
                        fields[0].span,
                        format!("a {ty} parameter has no fields"),
                    )
                    .label("not a field")
                    .help("only object parameters have fields"),
                );
                return None;
            }
            return Some((info.name.clone(), fields));
        }
        let names: Vec<String> = self
            .parameters
            .by_name
            .values()
            .map(|i| i.name.clone())
            .collect();
        // The parameter meant is not reported unused as well.
        if let Some(meant) =
            crate::diagnostic::did_you_mean(&first.text, names.iter().map(String::as_str))
            && let Some(info) = self.parameters.by_name.get_mut(&meant.to_ascii_lowercase())
        {
            info.used = true;
        }
        self.diags.push(
            Diagnostic::error(
                Code::UnknownProperty,
                first.span,
                format!("unknown runtime parameter `{}`", first.text),
            )
            .label("not declared")
            .did_you_mean(first.span, &first.text, names.iter().map(String::as_str))
            .or_help(format!(
                "declare it: `parameter {}: string = \"…\"`",
                first.text
            )),
        );
        None
    }

    /// W001 for each parameter nothing reads.
    pub(crate) fn report_unused_parameters(&mut self) {
        let mut unused: Vec<(Span, String)> = self
            .parameters
            .by_name
            .values()
            .filter(|i| !i.used)
            .map(|i| (i.span, i.name.clone()))
            .collect();
        unused.sort_by_key(|(s, _)| (s.file, s.start));
        for (span, name) in unused {
            self.diags.push(
                Diagnostic::warning(
                    Code::Unused,
                    span,
                    format!("parameter `{name}` is never used"),
                )
                .label("declared here")
                .help(format!("read it as `parameters.{name}`, or remove it")),
            );
        }
    }
}

pub(super) fn number(n: f64) -> Scalar {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Scalar::Int(n as i64)
    } else {
        Scalar::Float(n)
    }
}

fn scalar_eq(a: &Scalar, b: &Scalar) -> bool {
    match (a, b) {
        (Scalar::Str(x), Scalar::Str(y)) => x == y,
        _ => scalar_text(a) == scalar_text(b),
    }
}

pub(crate) fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Str(t) => t.clone(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => super::format_number(*f),
    }
}
