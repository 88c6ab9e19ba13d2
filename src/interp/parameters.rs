//! Runtime parameters for a local run: the values chosen for this run (`--param
//! NAME=VALUE`, else the default, else the first of `values`), checked as Azure
//! checks a queued run's, and substituted the way Azure does before anything
//! runs: every `${{ parameters.NAME }}` in the pipeline's text, and every
//! parameter read by a condition.
//!
//! Jobs and steps under a compile-time `if` on a parameter (their `guard`) are
//! then kept or dropped, as Azure does when it expands `${{ if }}`.
//!
//! After [`bind`], the pipeline holds no reference to a parameter and no guard:
//! what the scheduler, the record and `relc resume` see is the pipeline of this run.

use crate::ir::{self, Data, ParamType, Scalar};
use serde_json::Value as Json;

/// Bind `given` (`NAME=VALUE` pairs, names case-insensitive) into `pipeline`.
pub fn bind(pipeline: &mut ir::Pipeline, given: &[(String, String)]) -> Result<(), String> {
    for (name, _) in given {
        if !pipeline
            .parameters
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(name))
        {
            let declared: Vec<&str> = pipeline
                .parameters
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            return Err(if declared.is_empty() {
                format!("--param {name}: the pipeline declares no parameters")
            } else {
                format!(
                    "--param {name}: no such parameter (the pipeline declares {})",
                    declared.join(", ")
                )
            });
        }
    }
    if pipeline.parameters.is_empty() {
        return Ok(());
    }
    let mut values = Vec::with_capacity(pipeline.parameters.len());
    for p in &pipeline.parameters {
        let chosen = given
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(&p.name))
            .map(|(_, v)| v);
        let value = match chosen {
            Some(text) => parse(p, text)?,
            None => match (&p.default, p.values.first()) {
                (Some(d), _) => d.clone(),
                (None, Some(first)) => Data::Scalar(first.clone()),
                (None, None) => {
                    return Err(format!(
                        "parameter `{}` has no default: give it a value with --param {}=…",
                        p.name, p.name
                    ));
                }
            },
        };
        if let Data::Scalar(s) = &value
            && !p.values.is_empty()
            && !p.values.iter().any(|v| text(v) == text(s))
        {
            let allowed: Vec<String> = p.values.iter().map(text).collect();
            return Err(format!(
                "parameter `{}` is `{}`, which is not one of its values: {}",
                p.name,
                text(s),
                allowed.join(", ")
            ));
        }
        values.push((p.name.to_ascii_lowercase(), to_json(&value)));
    }
    let mut tree = serde_json::to_value(&*pipeline).map_err(|e| e.to_string())?;
    substitute(&mut tree, &values);
    prune(&mut tree);
    let parameters = std::mem::take(&mut pipeline.parameters);
    *pipeline = serde_json::from_value(tree).map_err(|e| e.to_string())?;
    pipeline.parameters = parameters;
    Ok(())
}

/// A value given on the command line, read as the parameter's type.
fn parse(p: &ir::Parameter, text: &str) -> Result<Data, String> {
    let bad = |what: &str| format!("--param {}={text}: {what}", p.name);
    Ok(match p.ty {
        ParamType::String => Data::Scalar(Scalar::Str(text.to_string())),
        ParamType::Number => {
            let n: f64 = text.trim().parse().map_err(|_| bad("not a number"))?;
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                Data::Scalar(Scalar::Int(n as i64))
            } else {
                Data::Scalar(Scalar::Float(n))
            }
        }
        ParamType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Data::Scalar(Scalar::Bool(true)),
            "false" => Data::Scalar(Scalar::Bool(false)),
            _ => return Err(bad("not true or false")),
        },
        ParamType::Object => serde_json::from_str(text)
            .map_err(|e| bad(&format!("an object parameter takes JSON ({e})")))?,
    })
}

fn to_json(d: &Data) -> Json {
    serde_json::to_value(d).unwrap_or(Json::Null)
}

/// Azure's text of a value inserted into a string: booleans are `True` and `False`.
fn json_text(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::Bool(b) => (if *b { "True" } else { "False" }).to_string(),
        Json::Number(n) => n
            .as_f64()
            .map_or_else(|| n.to_string(), crate::check::format_number),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn text(s: &Scalar) -> String {
    json_text(&serde_json::to_value(s).unwrap_or(Json::Null))
}

/// The value of `name.field…`, when the parameter and its fields exist.
fn lookup<'v>(values: &'v [(String, Json)], path: &str) -> Option<&'v Json> {
    let mut parts = path.split('.');
    let name = parts.next()?.to_ascii_lowercase();
    let mut v = &values.iter().find(|(n, _)| *n == name)?.1;
    for field in parts {
        v = match v {
            Json::Object(m) => m.get(field)?,
            _ => return None,
        };
    }
    Some(v)
}

fn substitute(tree: &mut Json, values: &[(String, Json)]) {
    match tree {
        Json::String(s) if s.contains("${{") => *s = substitute_text(s, values),
        Json::Array(items) => items.iter_mut().for_each(|i| substitute(i, values)),
        Json::Object(map) => {
            // An expression node reading a parameter becomes a literal of its value.
            if map.get("kind").and_then(Json::as_str) == Some("parameter")
                && let Some(path) = map.get("value").and_then(Json::as_str)
            {
                let literal = match lookup(values, path) {
                    Some(Json::Bool(b)) => serde_json::json!({"kind": "bool", "value": b}),
                    Some(Json::Number(n)) => serde_json::json!({"kind": "number", "value": n}),
                    Some(v) => serde_json::json!({"kind": "str", "value": json_text(v)}),
                    None => serde_json::json!({"kind": "str", "value": ""}),
                };
                *tree = literal;
                return;
            }
            map.values_mut().for_each(|v| substitute(v, values));
        }
        _ => {}
    }
}

/// Whether a job or step (as JSON, parameters substituted) is kept: no guard,
/// or a guard that holds. Its guard is removed.
fn kept(item: &mut Json) -> bool {
    let Json::Object(map) = item else {
        return true;
    };
    // Only a job or a step has a guard (user data such as `env` never has a
    // `span` that is a span).
    let is_node = map.get("span").is_some_and(Json::is_object)
        && (map.contains_key("steps") || map.contains_key("options"));
    if !is_node {
        return true;
    }
    let guard = map.remove("guard").or_else(|| {
        map.get_mut("options")
            .and_then(Json::as_object_mut)
            .and_then(|o| o.remove("guard"))
    });
    let Some(guard) = guard.filter(|g| !g.is_null()) else {
        return true;
    };
    match serde_json::from_value::<ir::Expr>(guard) {
        Ok(e) => ir::eval::eval(&e, &ir::eval::CompileTime).is_none_or(|v| v.truthy()),
        Err(_) => true,
    }
}

/// Drop the jobs and steps whose guard does not hold, at any depth (stages'
/// jobs, jobs' steps, strategy hooks' steps).
fn prune(tree: &mut Json) {
    match tree {
        Json::Array(items) => {
            items.retain_mut(kept);
            items.iter_mut().for_each(prune);
        }
        Json::Object(map) => {
            map.retain(|_, v| kept(v));
            map.values_mut().for_each(prune);
        }
        _ => {}
    }
}

/// `… ${{ parameters.x }} …` with each reference replaced by its value's text.
fn substitute_text(s: &str, values: &[(String, Json)]) -> String {
    const OPEN: &str = "${{ parameters.";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(OPEN) {
        let after = &rest[at + OPEN.len()..];
        let Some(end) = after.find(" }}") else {
            break;
        };
        out.push_str(&rest[..at]);
        // A field the value lacks is empty, as in Azure.
        if let Some(v) = lookup(values, &after[..end]) {
            out.push_str(&json_text(v));
        }
        rest = &after[end + 3..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Vec<(String, Json)> {
        vec![
            ("target".into(), Json::String("prod".into())),
            ("fast".into(), Json::Bool(true)),
            ("cfg".into(), serde_json::json!({"region": "westeurope"})),
        ]
    }

    #[test]
    fn references_in_text_take_the_values_azure_would_insert() {
        let v = values();
        assert_eq!(
            substitute_text(
                "deploy ${{ parameters.target }} fast=${{ parameters.fast }}",
                &v
            ),
            "deploy prod fast=True"
        );
        assert_eq!(
            substitute_text(
                "${{ parameters.cfg.region }}/${{ parameters.cfg.missing }}",
                &v
            ),
            "westeurope/"
        );
        assert_eq!(
            substitute_text("${{ parameters.target", &v),
            "${{ parameters.target"
        );
    }
}
