//! What Azure's predefined variables mean, for hover and completion (from
//! Microsoft's "Use predefined variables" page; availability in templates as
//! it states).

/// `(name, meaning)` of the predefined variables people use most.
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "Build.Reason",
        "why the run started: `Manual`, `IndividualCI`, `BatchedCI`, `Schedule`, `PullRequest`, `BuildCompletion`, `ResourceTrigger`, `ValidateShelveset`, `CheckInShelveset`",
    ),
    (
        "Build.SourceBranch",
        "the full ref that triggered the run: `refs/heads/main`, `refs/pull/1/merge` for a pull request, `refs/tags/v1.0` for a tag",
    ),
    (
        "Build.SourceBranchName",
        "the last segment of the ref: `refs/heads/feature/tools` gives `tools` (ambiguous: compare `Build.SourceBranch` to be sure)",
    ),
    ("Build.SourceVersion", "the commit the run builds"),
    (
        "Build.SourceVersionMessage",
        "the first line (up to 200 characters) of the commit message; steps only",
    ),
    (
        "Build.Repository.Name",
        "the name of the triggering repository",
    ),
    (
        "Build.Repository.Provider",
        "`TfsGit`, `TfsVersionControl`, `Git`, `GitHub` or `Svn`",
    ),
    ("Build.BuildId", "the run's id, unique in the organisation"),
    (
        "Build.BuildNumber",
        "the run's number (its name), as the pipeline's `run_name` makes it",
    ),
    (
        "Build.RequestedFor",
        "who caused the run (the pusher, the scheduler's owner, the person who queued it)",
    ),
    ("Build.QueuedBy", "who queued the run"),
    (
        "Build.CronSchedule.DisplayName",
        "the display name of the schedule that started the run",
    ),
    (
        "Build.ArtifactStagingDirectory",
        "a local folder, emptied before each run, where artifacts are gathered before they are published",
    ),
    (
        "Build.SourcesDirectory",
        "the local folder the sources are checked out to",
    ),
    ("Build.BinariesDirectory", "a local folder for build output"),
    ("Build.DefinitionName", "the pipeline's name"),
    (
        "System.DefaultWorkingDirectory",
        "the local folder scripts run in (the sources, for a single checkout)",
    ),
    ("System.TeamProject", "the project's name"),
    (
        "System.PullRequest.PullRequestId",
        "the pull request's id; pull-request runs only",
    ),
    (
        "System.PullRequest.SourceBranch",
        "the branch the pull request comes from; pull-request runs only",
    ),
    (
        "System.PullRequest.TargetBranch",
        "the branch the pull request goes into (`refs/heads/main` in Azure Repos, `main` from GitHub); pull-request runs only",
    ),
    (
        "System.PullRequest.IsFork",
        "`True` when the pull request comes from a fork",
    ),
    ("System.StageName", "the running stage's name"),
    ("System.JobName", "the running job's name"),
    (
        "System.StageAttempt",
        "1 for a stage's first attempt, more when it is retried",
    ),
    (
        "System.JobAttempt",
        "1 for a job's first attempt, more when it is retried",
    ),
    (
        "System.Debug",
        "`true` when the run has diagnostic logging on",
    ),
    (
        "System.AccessToken",
        "the run's OAuth token, a secret: pass it to a script through `env`",
    ),
    (
        "Agent.OS",
        "the agent's operating system: `Windows_NT`, `Darwin` or `Linux`",
    ),
    (
        "Agent.JobStatus",
        "the job's status so far: `Succeeded`, `SucceededWithIssues`, `Failed`, `Canceled`, `Skipped`",
    ),
    (
        "Agent.TempDirectory",
        "a local folder cleaned after each job",
    ),
    (
        "Agent.BuildDirectory",
        "the local folder of this pipeline's runs (same as `Pipeline.Workspace`)",
    ),
    (
        "Agent.ToolsDirectory",
        "where tool installers put their tools",
    ),
    ("Agent.Name", "the agent's name"),
    (
        "Pipeline.Workspace",
        "the local folder of this pipeline's runs; downloaded artifacts land under it",
    ),
    (
        "Environment.Name",
        "the environment a deployment job deploys to; deployment jobs only",
    ),
    (
        "Environment.ResourceName",
        "the environment resource (VM, Kubernetes namespace) being deployed to",
    ),
    (
        "Strategy.Name",
        "the deployment strategy: `runOnce`, `rolling` or `canary`",
    ),
    (
        "Strategy.CycleName",
        "the deployment cycle: `PreIteration`, `Iteration` or `PostIteration`",
    ),
];

/// The meaning of predefined variable `name` (any case), if relc knows it.
pub fn meaning(name: &str) -> Option<(&'static str, &'static str)> {
    VARIABLES
        .iter()
        .copied()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
}
