//! The `jvm` binary: its flags, exit statuses and messages.

mod common;

use std::process::{Command, Output};

fn jvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jvm"))
        .args(args)
        .output()
        .unwrap()
}

fn classes(program: &str) -> String {
    common::programs()
        .join(program)
        .join("classes")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn runs_a_program_with_java_style_flags() {
    let cp = classes("hello");
    let expected = std::fs::read_to_string(common::programs().join("hello/expected.out")).unwrap();
    for heap in [["-Xmx16m", ""], ["-Xmx", "16M"], ["--heap", "16M"]] {
        let mut args: Vec<&str> = heap.iter().copied().filter(|a| !a.is_empty()).collect();
        args.extend(["--gc-mode", "stw", "-cp", &cp, "Main"]);
        let out = jvm(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    }
}

#[test]
fn gc_stats_go_to_stderr() {
    let cp = classes("binarytrees");
    let out = jvm(&[
        "--heap",
        "2M",
        "--gc-stats",
        "--gc-mode",
        "stw",
        "-cp",
        &cp,
        "Main",
        "10",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("collections in"), "{err}");
    assert!(err.contains("pause histogram"), "{err}");
}

#[test]
fn gc_stress_collects_every_nth_allocation() {
    let cp = classes("arrays");
    let expected = std::fs::read_to_string(common::programs().join("arrays/expected.out")).unwrap();
    let collections = |stress: &[&str]| {
        let mut args = vec![
            "--heap",
            "4M",
            "--gc-mode",
            "stw",
            "--gc-verify",
            "--gc-stats",
        ];
        args.extend(stress);
        args.extend(["-cp", &cp, "Main"]);
        let out = jvm(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        err.lines()
            .find_map(|l| {
                l.strip_prefix("gc: ")?
                    .split(" collections in")
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("{args:?}: no collection count in {err}"))
    };
    let (alone, stressed) = (collections(&[]), collections(&["--gc-stress", "50"]));
    assert!(
        stressed > alone,
        "{stressed} collections with --gc-stress 50, {alone} without"
    );
}

#[test]
fn an_uncaught_exception_exits_1_with_its_stack_trace() {
    let cp = classes("uncaught");
    let out = jvm(&["-cp", &cp, "Main"]);
    assert_eq!(out.status.code(), Some(1));
    let expected =
        std::fs::read_to_string(common::programs().join("uncaught/expected.err")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
}

#[test]
fn bad_command_lines_exit_2_with_a_reason() {
    let cp = classes("hello");
    for (args, says) in [
        (
            vec!["--heap", "lots", "-cp", &cp, "Main"],
            "--heap: bad size",
        ),
        (
            vec!["--gc-mode", "fast", "-cp", &cp, "Main"],
            "unknown mode",
        ),
        (vec!["--frobnicate", "Main"], "unknown flag --frobnicate"),
        (vec!["-cp", &cp], "no main class"),
        (
            vec!["-cp", &cp, "Nope"],
            "could not find or load main class Nope",
        ),
        (
            vec!["-cp", "/nonexistent/dir", "Main"],
            "is not a directory",
        ),
        (vec!["--heap", "64K", "-cp", &cp, "Main"], "heap"),
        (
            vec!["--gc-stress", "0", "-cp", &cp, "Main"],
            "--gc-stress: bad count",
        ),
        (
            vec!["--gc-stress", "-cp", &cp, "Main"],
            "--gc-stress: bad count",
        ),
    ] {
        let out = jvm(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
