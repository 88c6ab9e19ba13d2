//! Tasks the interpreter runs itself, because their meaning on this machine is
//! local and clear. Any other task is reported as not run locally, unless the
//! pipeline maps it to a local command.

/// Task names (without version) with a local implementation.
const LOCAL: &[&str] = &[
    "Bash",
    "CmdLine",
    "PowerShell",
    "CopyFiles",
    "ArchiveFiles",
    "ExtractFiles",
    "Delay",
    "ManualValidation",
    "PublishPipelineArtifact",
    "DownloadPipelineArtifact",
];

/// `Bash@3` → `Bash`.
pub fn name(task: &str) -> &str {
    task.split('@').next().unwrap_or(task)
}

pub fn is_local(task: &str) -> bool {
    LOCAL.iter().any(|t| t.eq_ignore_ascii_case(name(task)))
}
