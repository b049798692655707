//! Every program of the suite prints its expected output in every GC mode,
//! with the heap verifier on and a heap small enough for many collections.

mod common;

use gc_core::Mode;
use lisp::Options;

fn check(program: &str, heap_mib: usize, mode: Mode) {
    if !common::available(mode) {
        return;
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/programs");
    let path = format!("{dir}/{program}.scm");
    let text = std::fs::read_to_string(&path).unwrap();
    let expected = std::fs::read_to_string(format!("{dir}/{program}.out")).unwrap();
    let options = Options {
        heap_size: heap_mib << 20,
        mode,
        verify: true,
        command_line: vec![path.clone()],
        ..Options::default()
    };
    let run = common::run(&path, &text, options);
    assert_eq!(run.error, None, "{program} in {mode:?} failed");
    assert_eq!(run.output, expected, "{program} in {mode:?}");
    // The collector did real work: objects survived collections and moved.
    assert!(
        run.stats.collections >= 5,
        "{program} in {mode:?}: only {} collections",
        run.stats.collections
    );
}

macro_rules! suite {
    ($($program:ident $file:literal $heap_mib:literal),* $(,)?) => {
        mod stop_the_world {
            use super::*;
            $(#[test] fn $program() { check($file, $heap_mib, Mode::StopTheWorld) })*
        }
        mod concurrent_move {
            use super::*;
            $(#[test] fn $program() { check($file, $heap_mib, Mode::Move) })*
        }
        mod concurrent_copy {
            use super::*;
            $(#[test] fn $program() { check($file, $heap_mib, Mode::Copy) })*
        }
    };
}

suite! {
    tak "tak" 1,
    fib "fib" 1,
    nqueens "nqueens" 1,
    deriv "deriv" 2,
    destructive "destructive" 2,
    strings "strings" 2,
    vsort "vsort" 2,
    closures "closures" 2,
    gcbench "gcbench" 4,
    binary_trees "binary-trees" 2,
    churn "churn" 4,
}
