//! What relc reads and writes, end to end with the real binary: imports stay
//! inside the project, special files are never read or written, each file is
//! one file however it is spelled, and outputs are written all or none.
//!
//! Every test works in a fresh directory of its own under the system temp
//! directory, holding a `.relc-root` so the project root is that directory,
//! and removed when the test ends (also when it fails).

#![cfg(unix)]

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A stage that is valid on its own, for files that need one.
const STAGE: &str = "stage Build { job Build { script \"make\" } }\n";

/// A text that must never appear in relc's output: planted in files outside
/// the project, so that seeing it means relc read and echoed them.
const SECRET: &str = "root:x:0:0:TOP-SECRET-CONTENT";

/// A fresh directory `outer/` with the project `outer/proj/` (holding a
/// `.relc-root`) inside it, so files can be placed just outside the project.
struct Scratch {
    outer: PathBuf,
    proj: PathBuf,
}

impl Scratch {
    fn new(tag: &str) -> Scratch {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let outer = std::env::temp_dir().join(format!(
            "relc-files-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&outer);
        let proj = outer.join("proj");
        std::fs::create_dir_all(&proj).unwrap();
        std::fs::write(proj.join(".relc-root"), "").unwrap();
        Scratch { outer, proj }
    }

    /// Write `text` to `rel` inside the project (creating folders).
    fn file(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.proj.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.proj.join(rel)
    }

    /// relc run in the project directory, file names relative to it.
    fn relc(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_relc"))
            .args(args)
            .current_dir(&self.proj)
            .env("NO_COLOR", "1")
            .output()
            .expect("relc runs");
        Run::from(out)
    }

    /// Names of relc's temporary files left anywhere in the project.
    fn temporaries(&self) -> Vec<String> {
        fn walk(d: &Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let t = e.file_type().unwrap();
                if t.is_dir() {
                    walk(&e.path(), out);
                } else if name.contains(".relc-") && name.ends_with(".tmp") {
                    out.push(name);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.proj, &mut out);
        out
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.outer);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out
                .status
                .code()
                .expect("relc exited normally, not by a signal"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Exit code `code`, every one of `words` in the output, no `forbidden` text.
    #[track_caller]
    fn expect(&self, code: i32, words: &[&str]) -> &Run {
        let all = self.all();
        assert_eq!(self.code, code, "exit code; output:\n{all}");
        for w in words {
            assert!(all.contains(w), "expected {w:?} in the output:\n{all}");
        }
        assert!(
            !all.contains(SECRET) && !all.contains("TOP-SECRET"),
            "a file outside the project was echoed:\n{all}"
        );
        self
    }
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn an_absolute_import_is_refused_unread() {
    let s = Scratch::new("absolute");
    s.file("main.release", &format!("import \"/etc/passwd\"\n{STAGE}"));
    let r = s.relc(&["check", "main.release"]);
    r.expect(1, &["E026", "absolute path", "/etc/passwd"]);
    // /etc/passwd's first line starts `root:` on every unix; none of it is shown.
    assert!(!r.all().contains("root:"), "{}", r.all());
    let r = s.relc(&["build", "main.release"]);
    r.expect(1, &["E026", "nothing written"]);
    assert!(!r.stdout.contains("root:") && r.stdout.is_empty());
}

#[test]
fn an_import_that_climbs_out_of_the_project_is_refused_unread() {
    let s = Scratch::new("climb");
    std::fs::write(
        s.outer.join("outside.release"),
        format!("var x = \"{SECRET}\"\n"),
    )
    .unwrap();
    s.file(
        "main.release",
        &format!("import \"../outside.release\"\n{STAGE}"),
    );
    s.relc(&["check", "main.release"])
        .expect(1, &["E026", "outside the project"]);
    // Through a folder inside the project, too.
    s.file(
        "sub/main.release",
        &format!("import \"../../outside.release\"\n{STAGE}"),
    );
    s.relc(&["check", "sub/main.release"])
        .expect(1, &["E026", "outside the project"]);
    // A missing file outside is outside, not "not found": its existence is not revealed.
    s.file(
        "nowhere.release",
        &format!("import \"../missing.release\"\n{STAGE}"),
    );
    let r = s.relc(&["check", "nowhere.release"]);
    r.expect(1, &["E026"]);
    assert!(!r.all().contains("E024"), "{}", r.all());
}

#[test]
fn a_symlink_out_of_the_project_is_refused_unread() {
    let s = Scratch::new("symlink-out");
    let outside = s.outer.join("outside.release");
    std::fs::write(&outside, format!("var x = \"{SECRET}\"\n")).unwrap();
    symlink(&outside, s.path("link.release")).unwrap();
    symlink("../outside.release", s.path("rel-link.release")).unwrap();
    symlink("/etc/passwd", s.path("passwd.release")).unwrap();
    symlink(&s.outer, s.path("outdir")).unwrap();
    for import in [
        "link.release",
        "rel-link.release",
        "passwd.release",
        "outdir/outside.release",
    ] {
        s.file("main.release", &format!("import \"{import}\"\n{STAGE}"));
        let r = s.relc(&["check", "main.release"]);
        r.expect(1, &["E026", "outside the project"]);
        assert!(!r.all().contains("root:"), "{import}: {}", r.all());
    }
}

#[test]
fn a_link_inside_the_project_to_a_file_that_is_not_source_is_refused() {
    let s = Scratch::new("not-source");
    s.file("notes.txt", &format!("{SECRET}\n"));
    symlink("notes.txt", s.path("notes.release")).unwrap();
    std::fs::create_dir(s.path("folder.release")).unwrap();
    for (import, words) in [
        ("notes.txt", &["E027", "not a `.release` file"][..]),
        ("notes.release", &["E027", "not a `.release` file"][..]),
        ("folder.release", &["E027", "a directory"][..]),
    ] {
        s.file("main.release", &format!("import \"{import}\"\n{STAGE}"));
        s.relc(&["check", "main.release"]).expect(1, words);
    }
}

#[test]
fn importing_a_fifo_fails_at_once_instead_of_waiting_for_a_writer() {
    let s = Scratch::new("fifo-import");
    mkfifo(&s.path("pipe.release"));
    s.file("main.release", &format!("import \"pipe.release\"\n{STAGE}"));
    // A blocking open would wait here for a writer that never comes.
    s.relc(&["check", "main.release"])
        .expect(1, &["E027", "a FIFO, not a regular file"]);
    // A link to the FIFO is judged by what it opens, not by its name.
    symlink("pipe.release", s.path("via-link.release")).unwrap();
    s.file(
        "main.release",
        &format!("import \"via-link.release\"\n{STAGE}"),
    );
    s.relc(&["check", "main.release"])
        .expect(1, &["E027", "a FIFO, not a regular file"]);
    // And as the file compiled.
    s.relc(&["check", "pipe.release"])
        .expect(2, &["cannot read pipe.release", "a FIFO"]);
    assert!(
        std::fs::metadata(s.path("pipe.release"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

#[test]
fn a_device_as_the_input_is_an_error_not_an_endless_read() {
    let s = Scratch::new("device");
    s.relc(&["check", "/dev/zero"]).expect(
        2,
        &["cannot read /dev/zero", "a device, not a regular file"],
    );
    s.relc(&["build", "/dev/zero"])
        .expect(2, &["cannot read /dev/zero", "a device"]);
    // Through a link with a `.release` name, too.
    symlink("/dev/zero", s.path("zero.release")).unwrap();
    s.relc(&["check", "zero.release"]).expect(2, &["a device"]);
    s.file("main.release", &format!("import \"zero.release\"\n{STAGE}"));
    s.relc(&["check", "main.release"]).expect(1, &["E026"]);
}

#[test]
fn a_directory_or_a_non_utf8_file_as_the_input_is_an_error() {
    let s = Scratch::new("bad-input");
    std::fs::write(s.path("latin1.release"), b"stage B\xe9 { }\n").unwrap();
    s.relc(&["build", "latin1.release"])
        .expect(2, &["not UTF-8", "offset 7"]);
    s.relc(&["check", "missing.release"])
        .expect(2, &["no such file"]);
}

#[test]
fn a_diamond_import_loads_the_shared_file_once() {
    let s = Scratch::new("diamond");
    s.file(
        "main.release",
        "import \"b.release\"\nimport \"c.release\"\n\
         stage Build { job Build { script \"make $(shared) $(fromb) $(fromc)\" } }\n",
    );
    s.file("b.release", "import \"lib/d.release\"\nvar fromb = \"b\"\n");
    s.file("c.release", "import \"lib/d.release\"\nvar fromc = \"c\"\n");
    s.file(
        "lib/d.release",
        "import \"../b.release\"\nvar shared = \"d-value\"\n",
    );
    let r = s.relc(&["build", "main.release"]);
    r.expect(0, &["shared: d-value", "fromb: b", "fromc: c"]);
    assert!(!r.stderr.contains("E020"), "{}", r.stderr);
    assert_eq!(r.stdout.matches("shared:").count(), 1, "{}", r.stdout);
}

#[test]
fn two_spellings_of_one_file_are_one_file() {
    let s = Scratch::new("spellings");
    std::fs::create_dir(s.path("x")).unwrap();
    std::fs::create_dir(s.path("z")).unwrap();
    s.file("lib.release", "var shared = \"one\"\n");
    symlink("lib.release", s.path("alias.release")).unwrap();
    s.file(
        "main.release",
        "import \"x/../lib.release\"\nimport \"z/../lib.release\"\n\
         import \"./lib.release\"\nimport \"alias.release\"\n\
         stage Build { job Build { script \"make $(shared)\" } }\n",
    );
    let r = s.relc(&["build", "main.release"]);
    r.expect(0, &["shared: one"]);
    assert!(!r.stderr.contains("E020"), "{}", r.stderr);
    // The file importing itself under another spelling is not a second file.
    s.file(
        "self.release",
        "import \"x/../self.release\"\nvar v = \"1\"\nstage Build { job Build { script \"$(v)\" } }\n",
    );
    let r = s.relc(&["build", "self.release"]);
    r.expect(0, &["v: \"1\""]);
    assert!(
        !r.stderr.contains("E020") && !r.stderr.contains("E025"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_directory_walk_ends_on_a_link_loop_and_checks_each_file_once() {
    let s = Scratch::new("walk");
    // Each file has one unused variable of its own name: one W001 per check of it.
    for name in ["one", "two", "sub/three"] {
        let var = name.rsplit('/').next().unwrap();
        s.file(
            &format!("dir/{name}.release"),
            &format!("var unused_{var} = \"x\"\n{STAGE}"),
        );
    }
    symlink(".", s.path("dir/a")).unwrap();
    symlink("..", s.path("dir/sub/up")).unwrap();
    symlink("one.release", s.path("dir/again.release")).unwrap();
    // Outside the folder given: never walked into, though it has an error.
    std::fs::write(s.outer.join("bad.release"), "stage {").unwrap();
    symlink(&s.outer, s.path("dir/out")).unwrap();
    let r = s.relc(&["check", "--format", "json", "dir", "dir/one.release"]);
    r.expect(0, &[]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["errors"], 0, "{}", r.stdout);
    let mut vars: Vec<String> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["code"], "W001", "{d}");
            d["message"].as_str().unwrap().to_string()
        })
        .collect();
    vars.sort();
    assert_eq!(
        vars,
        [
            "variable `unused_one` is never used",
            "variable `unused_three` is never used",
            "variable `unused_two` is never used",
        ]
    );
}

/// A valid pipeline with an approval, so that `--checks` has something to write.
const WITH_CHECKS: &str = "environment prod protected {\n  gate approval { approvers [\"a@example.com\"] timeout 2d }\n}\n\
                           stage Deploy { deployment Web to prod { script \"deploy\" } }\n";

#[test]
fn an_output_that_is_a_link_is_replaced_and_what_it_pointed_to_is_untouched() {
    let s = Scratch::new("out-link");
    s.file("main.release", STAGE);
    s.file("target.yml", "old\n");
    symlink("target.yml", s.path("link.yml")).unwrap();
    let outside = s.outer.join("victim");
    symlink(&outside, s.path("dangling.yml")).unwrap();
    for out in ["link.yml", "dangling.yml"] {
        s.relc(&["build", "main.release", "-o", out]).expect(0, &[]);
        let meta = std::fs::symlink_metadata(s.path(out)).unwrap();
        assert!(meta.file_type().is_file(), "{out} is now a regular file");
        assert!(read(&s.path(out)).contains("- script: make"));
    }
    assert_eq!(read(&s.path("target.yml")), "old\n");
    assert!(
        !outside.exists(),
        "the write went through the dangling link"
    );
    assert_eq!(s.temporaries(), Vec::<String>::new());
}

#[test]
fn an_output_onto_a_fifo_or_a_device_is_refused() {
    let s = Scratch::new("out-fifo");
    s.file("main.release", STAGE);
    mkfifo(&s.path("pipe.yml"));
    s.relc(&["build", "main.release", "-o", "pipe.yml"])
        .expect(2, &["refusing to write pipe.yml", "a FIFO"]);
    assert!(
        std::fs::symlink_metadata(s.path("pipe.yml"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    // A link to a FIFO is judged by what it points to.
    symlink("pipe.yml", s.path("to-pipe.yml")).unwrap();
    s.relc(&["build", "main.release", "-o", "to-pipe.yml"])
        .expect(2, &["a FIFO"]);
    assert!(
        std::fs::symlink_metadata(s.path("to-pipe.yml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    s.relc(&["build", "main.release", "-o", "/dev/null"])
        .expect(2, &["refusing to write /dev/null", "a device"]);
    std::fs::create_dir(s.path("folder")).unwrap();
    s.relc(&["build", "main.release", "-o", "folder"])
        .expect(2, &["a directory"]);
    // The checks manifest is written under the same rules.
    s.file("env.release", WITH_CHECKS);
    s.relc(&["build", "env.release", "--checks", "pipe.yml"])
        .expect(2, &["a FIFO"]);
    assert_eq!(s.temporaries(), Vec::<String>::new());
}

#[test]
fn an_output_onto_a_source_is_refused_and_the_source_is_unchanged() {
    let s = Scratch::new("out-source");
    let text = format!("import \"lib.release\"\n{STAGE}");
    s.file("main.release", &text);
    s.file("lib.release", "var _x = \"1\"\n");
    symlink("main.release", s.path("alias.release")).unwrap();
    std::fs::create_dir(s.path("x")).unwrap();
    for out in ["main.release", "./x/../main.release", "alias.release"] {
        s.relc(&["build", "main.release", "-o", out])
            .expect(2, &["refusing to write", "it is the source file"]);
    }
    // An imported file is a source too, and so is one behind a hard link.
    std::fs::hard_link(s.path("lib.release"), s.path("hard.yml")).unwrap();
    for out in ["lib.release", "hard.yml"] {
        s.relc(&["build", "main.release", "-o", out])
            .expect(2, &["it is the source file"]);
        s.relc(&["build", "main.release", "--checks", out])
            .expect(2, &["it is the source file"]);
    }
    assert_eq!(read(&s.path("main.release")), text);
    assert_eq!(read(&s.path("lib.release")), "var _x = \"1\"\n");
    assert!(
        std::fs::symlink_metadata(s.path("alias.release"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(s.temporaries(), Vec::<String>::new());
}

#[test]
fn the_output_and_the_checks_manifest_cannot_be_one_file() {
    let s = Scratch::new("out-same");
    s.file("env.release", WITH_CHECKS);
    std::fs::create_dir(s.path("x")).unwrap();
    for (out, checks) in [("X", "X"), ("X", "./x/../X")] {
        s.relc(&["build", "env.release", "-o", out, "--checks", checks])
            .expect(2, &["they are the same file"]);
        assert!(!s.path("X").exists(), "nothing written");
    }
    s.file("X", "old\n");
    symlink("X", s.path("Y")).unwrap();
    s.relc(&["build", "env.release", "-o", "X", "--checks", "Y"])
        .expect(2, &["they are the same file"]);
    assert_eq!(read(&s.path("X")), "old\n");
    assert_eq!(s.temporaries(), Vec::<String>::new());
}

#[test]
fn when_the_manifest_cannot_be_written_the_yaml_keeps_its_old_content() {
    let s = Scratch::new("all-or-none");
    s.file("env.release", WITH_CHECKS);
    s.file("pipeline.yml", "old yaml\n");
    std::fs::create_dir(s.path("folder")).unwrap();
    for checks in ["folder", "missing/checks.json"] {
        let r = s.relc(&[
            "build",
            "env.release",
            "-o",
            "pipeline.yml",
            "--checks",
            checks,
        ]);
        r.expect(2, &[checks]);
        assert_eq!(
            read(&s.path("pipeline.yml")),
            "old yaml\n",
            "--checks {checks}"
        );
    }
    // A folder where neither temporary file can be created (only effective
    // without root's privileges, which ignore permissions).
    let ro = s.path("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let r = s.relc(&[
        "build",
        "env.release",
        "-o",
        "pipeline.yml",
        "--checks",
        "ro/c.json",
    ]);
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    if r.code != 0 {
        r.expect(2, &["ro/c.json"]);
        assert_eq!(read(&s.path("pipeline.yml")), "old yaml\n");
    }
    assert_eq!(s.temporaries(), Vec::<String>::new());
    // Both written when both can be.
    std::fs::write(s.path("pipeline.yml"), "old yaml\n").unwrap();
    s.relc(&[
        "build",
        "env.release",
        "-o",
        "pipeline.yml",
        "--checks",
        "checks.json",
    ])
    .expect(0, &[]);
    assert!(read(&s.path("pipeline.yml")).contains("deployment: Web"));
    let manifest: serde_json::Value = serde_json::from_str(&read(&s.path("checks.json"))).unwrap();
    assert_eq!(manifest["generator"], "relc");
}

#[test]
fn a_rewritten_output_keeps_its_permissions() {
    let s = Scratch::new("mode");
    s.file("env.release", WITH_CHECKS);
    for (name, mode) in [("pipeline.yml", 0o640), ("checks.json", 0o600)] {
        s.file(name, "old\n");
        std::fs::set_permissions(s.path(name), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    s.relc(&[
        "build",
        "env.release",
        "-o",
        "pipeline.yml",
        "--checks",
        "checks.json",
    ])
    .expect(0, &[]);
    for (name, mode) in [("pipeline.yml", 0o640), ("checks.json", 0o600)] {
        let meta = std::fs::metadata(s.path(name)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, mode, "{name}");
        assert_ne!(read(&s.path(name)), "old\n", "{name} rewritten");
    }
}

#[test]
fn a_byte_order_mark_at_the_start_of_a_file_is_accepted() {
    let s = Scratch::new("bom");
    s.file(
        "main.release",
        "\u{feff}import \"lib.release\"\nstage Build { job Build { script \"make $(v)\" } }\n",
    );
    s.file("lib.release", "\u{feff}var v = \"from-lib\"\n");
    let r = s.relc(&["build", "main.release"]);
    r.expect(0, &["v: from-lib", "- script: make $(v)"]);
    assert!(!r.stdout.contains('\u{feff}'), "the mark is not copied out");
    s.relc(&["check", "main.release"]).expect(0, &[]);
}

#[test]
fn a_file_outside_an_explicit_root_is_refused() {
    let s = Scratch::new("explicit-root");
    s.file(
        "sub/main.release",
        &format!("import \"../lib.release\"\n{STAGE}"),
    );
    s.file("lib.release", "var _x = \"1\"\n");
    s.file("other/x.release", STAGE);
    s.relc(&["check", "sub/main.release"]).expect(0, &[]);
    s.relc(&["--root", "sub", "check", "sub/main.release"])
        .expect(1, &["E026"]);
    s.relc(&["--root", "sub", "check", "other/x.release"])
        .expect(2, &["outside the project root"]);
    s.relc(&["--root", "sub/main.release", "check", "sub/main.release"])
        .expect(2, &["--root must name a directory"]);
}

#[test]
fn a_file_over_the_size_cap_is_refused_without_reading_it() {
    let s = Scratch::new("too-large");
    // Sparse: no disk space is used, and relc refuses it from its size alone.
    let big = std::fs::File::create(s.path("big.release")).unwrap();
    big.set_len(relc::project::MAX_FILE_BYTES + 1).unwrap();
    drop(big);
    s.relc(&["check", "big.release"])
        .expect(2, &["cannot read big.release", "larger than 256 MiB"]);
    s.file("main.release", &format!("import \"big.release\"\n{STAGE}"));
    s.relc(&["check", "main.release"])
        .expect(1, &["E027", "larger than 256 MiB"]);
}

#[test]
fn a_fifo_met_in_a_directory_walk_is_reported_not_waited_on() {
    let s = Scratch::new("walk-fifo");
    s.file("dir/ok.release", &format!("var unused = \"x\"\n{STAGE}"));
    mkfifo(&s.path("dir/pipe.release"));
    let r = s.relc(&["check", "--format", "json", "dir"]);
    r.expect(2, &[]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let unreadable = json["unreadable"].as_array().unwrap();
    assert_eq!(unreadable.len(), 1, "{}", r.stdout);
    assert_eq!(unreadable[0]["file"], "dir/pipe.release");
    assert!(
        unreadable[0]["message"]
            .as_str()
            .unwrap()
            .contains("a FIFO"),
        "{}",
        r.stdout
    );
    // The other file was checked: its one warning.
    assert_eq!(json["warnings"], 1, "{}", r.stdout);
    assert_eq!(json["errors"], 0, "{}", r.stdout);
}
