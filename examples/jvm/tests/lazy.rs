//! Classes are loaded when first used, from the class path: a class that is
//! never used is never read, and one that uses what the runtime lacks (a
//! lambda, a native method, an enum, a class literal) fails only when that
//! part runs, with an error naming the class, the method and what is
//! missing. The program is `programs/lazy`, which the suite also runs (with
//! no argument, where it prints what HotSpot prints).

mod common;

use std::path::{Path, PathBuf};

use gc_core::Mode;
use jvm::Options;

fn options() -> Options {
    Options {
        heap_size: 4 << 20,
        mode: Mode::StopTheWorld,
        ..Options::default()
    }
}

fn classes() -> PathBuf {
    common::programs().join("lazy/classes")
}

/// A copy of the program's classes in a fresh directory, removed on drop.
struct Copy(PathBuf);

impl Copy {
    fn new(tag: &str) -> Copy {
        let dir = std::env::temp_dir().join(format!("jvm-lazy-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(classes()).unwrap() {
            let path = e.unwrap().path();
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
        Copy(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn expected() -> String {
    std::fs::read_to_string(common::programs().join("lazy/expected.out")).unwrap()
}

#[test]
fn unsupported_parts_that_are_not_used_do_not_stop_the_program() {
    let run = common::run(&classes(), "Main", &[], options());
    assert_eq!(run.result, Ok(()), "stderr: {}", run.err);
    assert_eq!(run.out, expected());
}

#[test]
fn a_class_never_used_is_never_read_and_a_bad_one_fails_only_where_used() {
    let dir = Copy::new("unread");
    // A file that is no class is never read: nothing asks for `Garbage`.
    // `Color`, which `main` refers to in a branch not taken, is read when
    // `main` is first called (its references are resolved then), and its
    // failure waits for the instruction that uses it.
    std::fs::write(dir.path().join("Garbage.class"), b"not a class file").unwrap();
    std::fs::write(dir.path().join("Color.class"), b"truncated").unwrap();
    let run = common::run(dir.path(), "Main", &[], options());
    assert_eq!(run.result, Ok(()), "stderr: {}", run.err);
    assert_eq!(run.out, expected());
    std::fs::remove_file(dir.path().join("Color.class")).unwrap();
    let run = common::run(dir.path(), "Main", &[], options());
    assert_eq!(run.result, Ok(()), "stderr: {}", run.err);
    // Used, the missing class is an error where it is used.
    let run = common::run(dir.path(), "Main", &["enum".into()], options());
    let err = run.result.unwrap_err();
    for want in ["Main.main([Ljava/lang/String;)V", "class Color not found"] {
        assert!(err.contains(want), "{err:?} lacks {want:?}");
    }
}

#[test]
fn using_an_unsupported_part_fails_there_with_a_clear_error() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "lambda",
            &[
                "Lambdas.run()V",
                "invokedynamic",
                "LambdaMetafactory",
                "lambdas and method references are not",
            ],
        ),
        (
            "native",
            &["Natives.answer()I", "native methods are not supported"],
        ),
        (
            "enum",
            &[
                "Main.main([Ljava/lang/String;)V",
                "cannot load class Color",
                "supertype java/lang/Enum not found",
            ],
        ),
        (
            "literal",
            &[
                "Literals.name()Ljava/lang/String;",
                "class literals (Foo.class) are not supported",
            ],
        ),
    ];
    for (arg, want) in cases {
        let run = common::run(&classes(), "Main", &[arg.into()], options());
        // It ran up to the use: the classes before it loaded and ran.
        assert_eq!(run.out, "start\nPlain initialised\n42\n", "{arg}");
        let Err(err) = run.result else {
            panic!("{arg}: the run succeeded");
        };
        assert!(err.starts_with("cannot load class "), "{arg}: {err}");
        for w in want {
            assert!(err.contains(w), "{arg}: {err:?} lacks {w:?}");
        }
    }
}

#[test]
fn the_binary_exits_2_naming_what_is_missing() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jvm"))
        .args(["-cp", classes().to_str().unwrap(), "Main", "native"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err,
        "jvm: cannot load class Natives.answer()I: native methods are not supported (the runtime has no native libraries)\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "start\nPlain initialised\n42\n"
    );
}
