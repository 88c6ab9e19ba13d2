//! Environments: their declarations, and references to them from deployment
//! jobs and template arguments.

use super::{Checker, HashMap, ParamValue, Scope};
use crate::ast;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::schema::{self, Block};
use crate::source::Span;

impl<'a> Checker<'a> {
    pub(super) fn environment(&mut self, env: &ast::Environment) -> ir::Environment {
        let scope = self.root_scope();
        let s = self.settings(&env.settings, Block::Environment);
        let local_deploy = self.opt_text(s.get("local_deploy"), &scope);
        let description = self.opt_text(s.get("description"), &scope);
        let resource_name = self.opt_text(s.get("resource"), &scope);
        let resource_type = self.word(s.get("resource_type"), schema::RESOURCE_TYPES);
        let mut properties = indexmap::IndexMap::new();
        let mut seen: HashMap<String, Span> = HashMap::default();
        for p in &env.properties {
            if p.key.text == "name" {
                self.diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        p.key.span,
                        "`name` is the environment's own name and cannot be a property",
                    )
                    .label("reserved")
                    .help("pick another property name"),
                );
                continue;
            }
            if let Some(first) = seen.insert(p.key.text.to_ascii_lowercase(), p.key.span) {
                self.duplicate("property", &p.key, first);
                continue;
            }
            self.check_secret(&p.key.text, &p.value, "environment property", &scope);
            // Its `$(…)` are checked where the property is used, in the scope of that job.
            let scope = Scope {
                has_group: true,
                ..self.root_scope()
            };
            if let Some(v) = self.text(&p.value, &scope) {
                properties.insert(p.key.text.clone(), v);
            }
        }
        let checks = self.environment_checks(env);
        ir::Environment {
            name: env.name.text.clone(),
            description,
            resource_name,
            resource_type,
            protected: env.protected,
            properties,
            checks,
            local_deploy,
            span: env.span,
        }
    }

    /// `to dev`, `to env` (a parameter): the environment a deployment job targets.
    pub(super) fn environment_ref(&mut self, path: &ast::Path, scope: &Scope) -> Option<String> {
        let first = &path.segments[0];
        if path.segments.len() > 1 {
            self.diags.push(
                Diagnostic::error(Code::InvalidValue, path.span, "a deployment targets an environment by its name")
                    .label("expected one name")
                    .help("to deploy to a resource of the environment, declare it there: `environment name { resource \"…\" }`"),
            );
            return None;
        }
        if let Some(p) = scope.params.get(&first.text) {
            return match p {
                ParamValue::Environment(e) => Some(e.clone()),
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::TemplateArguments,
                            first.span,
                            format!("parameter `{}` is not an environment", first.text),
                        )
                        .label("not an environment")
                        .help("declare the parameter as `name: environment`"),
                    );
                    None
                }
            };
        }
        self.declared_environment(first, "deployment into undeclared environment")
    }

    /// A declared environment's name as declared, marked used; E012 otherwise.
    pub(super) fn declared_environment(&mut self, name: &ast::Name, what: &str) -> Option<String> {
        if let Some(e) = self.env_decl(&name.text) {
            self.mark_env_used(&name.text);
            return Some(e.name.text.clone());
        }
        let names: Vec<&str> = self
            .ast
            .environments
            .iter()
            .map(|e| e.name.text.as_str())
            .collect();
        self.diags.push(
            Diagnostic::error(
                Code::UnknownEnvironment,
                name.span,
                format!("{what} `{}`", name.text),
            )
            .label("no environment has this name")
            .did_you_mean(name.span, &name.text, names.iter().copied())
            .or_help(format!("declare it: `environment {} {{ }}`", name.text)),
        );
        None
    }

    pub(crate) fn env_key(&self, name: &str) -> Option<usize> {
        self.decls.envs.get(&name.to_ascii_lowercase()).copied()
    }

    pub(crate) fn env_decl(&self, name: &str) -> Option<&'a ast::Environment> {
        self.env_key(name).map(|i| &self.ast.environments[i])
    }

    pub(crate) fn mark_env_used(&mut self, name: &str) {
        self.used.envs.insert(name.to_ascii_lowercase());
    }
}
