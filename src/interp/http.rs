//! The HTTP check (Azure's "Invoke REST API" check) against a server on this
//! machine. A connection name maps to a base URL with `--connection
//! NAME=http://127.0.0.1:PORT`; a rehearsal calls only loopback addresses,
//! over plain HTTP/1.1, so it can never reach a real service with the
//! pipeline's credentials.
//!
//! Success criteria are Azure expressions over the JSON response (`root`),
//! e.g. `eq(root['status'], 'approved')`, evaluated by [`crate::ir::eval`].
//! Without criteria, any 2xx status passes.

use super::context::Vars;
use super::job::expand;
use super::mask::Masker;
use crate::ir::eval::{self, Env, Value};
use crate::ir::{Expr, ExprKind, Http, Type};
use crate::source::Span;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

pub enum Failure {
    /// The check did not pass this time: ask again after the retry interval.
    NotYet(String),
    /// The check can never pass as configured (no connection, not loopback).
    Broken(String),
}

/// Ask once.
pub fn check(
    h: &Http,
    connections: &[(String, String)],
    vars: &Vars,
    masker: &Masker,
) -> Result<String, Failure> {
    let Some((_, base)) = connections
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(&h.connection))
    else {
        return Err(Failure::Broken(format!(
            "no local address for the connection `{}`; give one with --connection {}=http://127.0.0.1:PORT",
            h.connection, h.connection
        )));
    };
    let url = format!(
        "{}{}",
        base.trim_end_matches('/'),
        expand(h.url_suffix.as_deref().unwrap_or(""), vars)
    );
    let body = h.body.as_deref().map(|b| expand(b, vars));
    let headers: Vec<(String, String)> = h
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), expand(v, vars)))
        .collect();
    // An address off this machine can never be called: the check is broken,
    // not pending (asking again would not change the answer).
    if let Err(e) = loopback(&url) {
        return Err(Failure::Broken(masker.mask(&format!("{url}: {e}"))));
    }
    let (status, text) = request(&h.method, &url, &headers, body.as_deref())
        .map_err(|e| Failure::NotYet(masker.mask(&format!("{url}: {e}"))))?;
    let shown = masker.mask(&url);
    if !(200..300).contains(&status) {
        return Err(Failure::NotYet(format!("{shown} answered {status}")));
    }
    let Some(criteria) = &h.success else {
        return Ok(format!("{shown} answered {status}"));
    };
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    let expr = parse(criteria).map_err(|e| Failure::Broken(format!("success criteria: {e}")))?;
    match eval::eval(&expr, &Root(&json)) {
        Some(v) if v.truthy() => Ok(format!("{shown}: {criteria} holds")),
        _ => Err(Failure::NotYet(format!(
            "{shown}: {criteria} does not hold (response: {})",
            masker.mask(&text.chars().take(200).collect::<String>())
        ))),
    }
}

/// The authority, path and addresses of a plain-HTTP URL on this machine.
fn loopback(url: &str) -> Result<(&str, &str, Vec<std::net::SocketAddr>), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// addresses on this machine can be called in a rehearsal")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let addrs: Vec<_> = authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .collect();
    if addrs.is_empty() || !addrs.iter().all(|a| a.ip().is_loopback()) {
        return Err(format!(
            "{authority} is not a loopback address; a rehearsal calls only this machine"
        ));
    }
    Ok((authority, path, addrs))
}

/// One request; the status and body.
fn request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> Result<(u16, String), String> {
    let (authority, path, addrs) = loopback(url)?;
    let timeout = Duration::from_secs(10);
    let mut s = TcpStream::connect_timeout(&addrs[0], timeout).map_err(|e| e.to_string())?;
    let _ = s.set_read_timeout(Some(timeout));
    let body = body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        && !body.is_empty()
    {
        req.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        if k.contains(['\r', '\n']) || v.contains(['\r', '\n']) {
            return Err("a header holds a line break".into());
        }
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    s.take(4 << 20)
        .read_to_end(&mut raw)
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("the answer is not HTTP")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("the answer has no status")?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:")
            && l.to_ascii_lowercase().contains("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// The response as the `root` of an expression.
struct Root<'a>(&'a serde_json::Value);

impl Env for Root<'_> {
    fn variable(&self, _: &str) -> Option<Value> {
        Some(Value::Null)
    }
    fn context(&self, root: &str, path: &[String]) -> Option<Value> {
        if !root.eq_ignore_ascii_case("root") {
            return Some(Value::Null);
        }
        let mut v = self.0;
        for key in path {
            v = match v {
                serde_json::Value::Object(m) => {
                    match m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                        Some((_, x)) => x,
                        None => return Some(Value::Null),
                    }
                }
                serde_json::Value::Array(a) => {
                    match key.parse::<usize>().ok().and_then(|i| a.get(i)) {
                        Some(x) => x,
                        None => return Some(Value::Null),
                    }
                }
                _ => return Some(Value::Null),
            };
        }
        Some(match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::Str(s.clone()),
            other => Value::Str(other.to_string()),
        })
    }
    fn status(&self, _: &str, _: &[String]) -> Option<bool> {
        Some(true)
    }
}

/// Azure's function syntax, enough for success criteria: calls, strings in
/// single quotes, numbers, `true`/`false`, and `root` paths with `['key']`,
/// `[0]` and `.key`. Nesting is bounded so no input can exhaust the stack.
pub fn parse(text: &str) -> Result<Expr, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let e = p.expr()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected text at column {}", p.i + 1));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

fn node(kind: ExprKind) -> Expr {
    Expr {
        kind,
        ty: Type::Any,
        span: Span::default(),
    }
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn string(&mut self) -> Result<String, String> {
        let mut out = Vec::new();
        loop {
            match self.s.get(self.i) {
                None => return Err("a string is not closed".into()),
                Some(b'\'') if self.s.get(self.i + 1) == Some(&b'\'') => {
                    out.push(b'\'');
                    self.i += 2;
                }
                Some(b'\'') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(&c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("nested too deeply".into());
        }
        self.ws();
        let start = self.i;
        let e = if self.eat(b'\'') {
            node(ExprKind::Str(self.string()?))
        } else {
            while self.i < self.s.len()
                && (self.s[self.i].is_ascii_alphanumeric()
                    || matches!(self.s[self.i], b'_' | b'.' | b'-'))
            {
                self.i += 1;
            }
            let word = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
            if word.is_empty() {
                return Err(format!("expected a value at column {}", self.i + 1));
            }
            if let Ok(n) = word.parse::<f64>() {
                node(ExprKind::Number(n))
            } else if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") {
                node(ExprKind::Bool(word.eq_ignore_ascii_case("true")))
            } else if self.eat(b'(') {
                let f = crate::check::functions::lookup(word)
                    .ok_or_else(|| format!("`{word}` is not a function"))?;
                let mut args = Vec::new();
                if !self.eat(b')') {
                    loop {
                        args.push(self.expr()?);
                        if self.eat(b')') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(format!("expected `,` or `)` at column {}", self.i + 1));
                        }
                    }
                }
                Expr::call(f.name, args, Span::default())
            } else {
                let mut parts = word.split('.');
                let root = parts.next().unwrap_or("");
                let mut e = node(ExprKind::Context(root.to_string()));
                for p in parts {
                    e = node(ExprKind::Property(Box::new(e), p.to_string()));
                }
                loop {
                    if self.eat(b'[') {
                        let index = self.expr()?;
                        if !self.eat(b']') {
                            return Err(format!("expected `]` at column {}", self.i + 1));
                        }
                        e = node(ExprKind::Index(Box::new(e), Box::new(index)));
                    } else if self.eat(b'.') {
                        let from = self.i;
                        while self.i < self.s.len()
                            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
                        {
                            self.i += 1;
                        }
                        let key = String::from_utf8_lossy(&self.s[from..self.i]).into_owned();
                        e = node(ExprKind::Property(Box::new(e), key));
                    } else {
                        break e;
                    }
                }
            }
        };
        self.depth -= 1;
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_read_the_response() {
        let json: serde_json::Value =
            serde_json::json!({"status": "approved", "items": [{"n": 3}]});
        let holds =
            |c: &str| eval::eval(&parse(c).unwrap(), &Root(&json)).is_some_and(|v| v.truthy());
        assert!(holds("eq(root['status'], 'approved')"));
        assert!(!holds("eq(root['status'], 'pending')"));
        assert!(holds(
            "and(eq(root.items[0].n, 3), ne(root['missing'], 'x'))"
        ));
        assert!(parse(&"not(".repeat(10_000)).is_err());
        assert!(parse("eq(root['a'], 'b'").is_err());
    }
}
