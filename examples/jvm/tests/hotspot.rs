//! Where `java` is on the machine, HotSpot runs every program of the suite
//! and prints exactly the expected output the JVM example is held to (and
//! the same stack trace and status for an uncaught exception): the expected
//! files are HotSpot's, not ours. Without `java` the test says so and
//! passes, since the comparison needs a JDK, not a kernel feature.

mod common;

use std::process::Command;

fn java_available() -> bool {
    Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn hotspot_prints_the_expected_output() {
    if !java_available() {
        eprintln!("skipped: no `java` on PATH to compare with");
        return;
    }
    let mut programs: Vec<_> = std::fs::read_dir(common::programs())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("expected.out").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    programs.sort();
    assert!(
        programs.len() >= 10,
        "the suite has {} programs",
        programs.len()
    );
    for program in programs {
        let dir = common::programs().join(&program);
        let out = Command::new("java")
            .args(["-Xss8m", "-cp"])
            .arg(dir.join("classes"))
            .arg("Main")
            .args(common::args(&program))
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap();
        let expected = std::fs::read_to_string(dir.join("expected.out")).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "{program}: stdout"
        );
        let status: i32 = std::fs::read_to_string(dir.join("expected.status"))
            .map_or(0, |s| s.trim().parse().unwrap());
        assert_eq!(out.status.code(), Some(status), "{program}: exit status");
        if let Ok(err) = std::fs::read_to_string(dir.join("expected.err")) {
            assert_eq!(
                String::from_utf8_lossy(&out.stderr),
                err,
                "{program}: stderr"
            );
        }
    }
}
