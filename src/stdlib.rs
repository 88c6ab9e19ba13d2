//! The standard library: `.release` modules shipped inside relc, imported as
//! `import "std/<name>"`. They are written in the language itself (`stdlib/`).

const MODULES: &[(&str, &str)] = &[
    (
        "std/azure-webapp",
        include_str!("../stdlib/azure-webapp.release"),
    ),
    ("std/dotnet", include_str!("../stdlib/dotnet.release")),
    ("std/gates", include_str!("../stdlib/gates.release")),
];

/// The text of a standard module, by import path (`std/gates` or `std/gates.release`).
pub fn module(path: &str) -> Option<(&'static str, &'static str)> {
    let name = path.strip_suffix(".release").unwrap_or(path);
    MODULES.iter().find(|(n, _)| *n == name).copied()
}

/// Every module's import path.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}
