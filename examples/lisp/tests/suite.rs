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
    // How many collections run depends on the scheduler (when each concurrent
    // cycle ends decides what it finds live and when the next one starts), so
    // the check is against the number the allocation volume forces: each
    // collection frees at most a heapful, up to a heapful is in use at the
    // end, and one more may be in flight then or claimed past the budget.
    let (allocated, size) = (run.stats.bytes_allocated, run.stats.heap_size as u64);
    let forced = (allocated / size).saturating_sub(2);
    assert!(
        forced >= MIN_FORCED_COLLECTIONS,
        "{program} in {mode:?}: {allocated} bytes allocated in a {size}-byte heap force only \
         {forced} collections: give it a smaller heap or more work"
    );
    assert!(
        run.stats.collections >= forced,
        "{program} in {mode:?}: {allocated} bytes allocated in a {size}-byte heap, but only {} \
         collections",
        run.stats.collections
    );
}

/// Collections the allocation volume of every program must force in its heap.
const MIN_FORCED_COLLECTIONS: u64 = 2;

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
    bignums "bignums" 1,
    hashtables "hashtables" 2,
    weak "weak" 1,
}
