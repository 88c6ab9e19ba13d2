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

pub mod context;
pub mod gates;
pub mod outcome;
pub mod plan;
pub mod tasks;
pub mod trigger;
