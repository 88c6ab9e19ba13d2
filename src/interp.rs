//! The interpreter: plans and runs a checked pipeline on this machine.
//!
//! ```text
//! ir::Pipeline ──trigger──▶ Start (predefined variables) ──plan──▶ Plan (decisions, reasons)
//!                                                       └──run───▶ events.jsonl, logs, artifacts
//! ```
//!
//! Conditions are evaluated by [`crate::ir::eval`], the evaluator the checker
//! folds constants with, over a [`context::Scope`] that knows the results and
//! outputs of finished dependencies.

/// A line on stdout; a reader that went away (`relc run … | head`) is not an
/// error worth a panic, and the run goes on regardless.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// [`say!`] without the line end.
#[macro_export]
macro_rules! say_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = write!(out, $($arg)*);
        let _ = out.flush();
    }};
}

pub mod container;
pub mod context;
pub mod exec;
pub mod external;
pub mod files;
pub mod gates;
pub mod http;
pub mod job;
pub mod lock;
pub mod mask;
pub mod outcome;
pub mod parameters;
pub mod plan;
pub mod record;
pub mod run;
pub mod store;
pub mod strategy;
pub mod tasks;
pub mod trigger;

/// The person at this machine, for `Build.RequestedFor` and verdicts.
pub fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "local".into())
}
pub mod approvals;
pub mod progress;
pub mod promote;
pub mod state;
