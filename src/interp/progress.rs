//! The terminal while a run goes on: every line as it happens and, on a
//! terminal, one status line kept at the bottom naming the jobs running now,
//! their step and for how long (redrawn each second). Anywhere else (a pipe,
//! a CI log) only the lines, so the output stays plain and greppable.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

pub struct Progress {
    live: bool,
    width: usize,
    /// `Stage/Job` → (step number, started).
    running: BTreeMap<String, (usize, Instant)>,
    drawn: bool,
}

impl Progress {
    pub fn new(live: bool) -> Progress {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100);
        Progress {
            live,
            width,
            running: BTreeMap::new(),
            drawn: false,
        }
    }

    pub fn job_started(&mut self, id: String) {
        self.running.insert(id, (0, Instant::now()));
    }

    pub fn step_started(&mut self, id: &str, step: usize) {
        if let Some(entry) = self.running.get_mut(id) {
            entry.0 = step;
        }
    }

    pub fn job_finished(&mut self, id: &str) {
        self.running.remove(id);
    }

    /// One line of output, above the status line.
    pub fn line(&mut self, text: &str) {
        let mut out = std::io::stdout().lock();
        if self.drawn {
            let _ = write!(out, "\r\x1b[2K");
            self.drawn = false;
        }
        let _ = writeln!(out, "{text}");
        drop(out);
        self.draw();
    }

    /// Redraw the status line (each second, and after each line).
    pub fn draw(&mut self) {
        if !self.live {
            return;
        }
        let mut out = std::io::stdout().lock();
        if self.running.is_empty() {
            if self.drawn {
                let _ = write!(out, "\r\x1b[2K");
                let _ = out.flush();
                self.drawn = false;
            }
            return;
        }
        let parts: Vec<String> = self
            .running
            .iter()
            .map(|(id, (step, t))| {
                let step = if *step > 0 {
                    format!(" step {step}")
                } else {
                    String::new()
                };
                format!("{id}{step} {}s", t.elapsed().as_secs())
            })
            .collect();
        let mut status = format!("⋯ running {}", parts.join(" · "));
        if status.chars().count() > self.width.saturating_sub(1) {
            status = status
                .chars()
                .take(self.width.saturating_sub(2))
                .collect::<String>()
                + "…";
        }
        let _ = write!(out, "\r\x1b[2K\x1b[2m{status}\x1b[0m");
        let _ = out.flush();
        self.drawn = true;
    }

    /// Clear the status line for good (before the summary).
    pub fn finish(&mut self) {
        self.running.clear();
        self.draw();
    }
}
