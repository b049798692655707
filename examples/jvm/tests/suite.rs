//! Every program of the suite prints what HotSpot printed (`expected.out`,
//! and for an uncaught exception `expected.err`) in every GC mode, with the
//! heap verifier on, and at least three collections: a heap near
//! the program's live size, and for programs that allocate little, a
//! collection every few hundred allocations (`gc_stress`), which also
//! checks that no native holds a reference across an allocation.

mod common;

use gc_core::Mode;
use jvm::Options;

fn check(program: &str, heap_mib: usize, stress: Option<u32>, mode: Mode) {
    if !common::available(mode) {
        return;
    }
    let dir = common::programs().join(program);
    let expected = std::fs::read_to_string(dir.join("expected.out")).unwrap();
    let options = Options {
        heap_size: heap_mib << 20,
        mode,
        verify: true,
        gc_stress: stress,
        ..Options::default()
    };
    let run = common::run(
        &dir.join("classes"),
        "Main",
        &common::args(program),
        options,
    );
    match std::fs::read_to_string(dir.join("expected.err")) {
        Ok(err) => {
            assert!(run.uncaught, "{program} in {mode:?}: {:?}", run.result);
            assert_eq!(run.err, err, "{program} in {mode:?}: stderr");
        }
        Err(_) if run.exit == Some(0) => {}
        Err(_) => assert_eq!(run.result, Ok(()), "{program} in {mode:?}: {}", run.err),
    }
    assert_eq!(run.out, expected, "{program} in {mode:?}");
    let stats = run.stats.unwrap();
    assert!(
        stats.collections >= 3,
        "{program} in {mode:?}: only {} collections",
        stats.collections
    );
}

macro_rules! suite {
    ($($name:ident $program:literal $heap_mib:literal $stress:expr),* $(,)?) => {
        mod stop_the_world {
            use super::*;
            $(#[test] fn $name() { check($program, $heap_mib, $stress, Mode::StopTheWorld) })*
        }
        mod concurrent_move {
            use super::*;
            $(#[test] fn $name() { check($program, $heap_mib, $stress, Mode::Move) })*
        }
        mod concurrent_copy {
            use super::*;
            $(#[test] fn $name() { check($program, $heap_mib, $stress, Mode::Copy) })*
        }
    };
}

suite! {
    hello "hello" 1 Some(2),
    arith "arith" 1 Some(100),
    control "control" 1 Some(20),
    objects "objects" 1 Some(50),
    strings "strings" 2 Some(500),
    exceptions "exceptions" 2 Some(300),
    uncaught "uncaught" 1 Some(2),
    arrays "arrays" 4 Some(50),
    hashmap "hashmap" 8 None,
    trees "trees" 4 None,
    identity "identity" 4 None,
    identitygc "identitygc" 4 None,
    bits "bits" 1 Some(50),
    lazy "lazy" 1 Some(2),
    weakrefs "weakrefs" 2 Some(100),
    // It allocates about three heaps' worth: the budget alone runs 3 or 4
    // collections, as the scheduler has it. A collection every 20000
    // allocations makes at least 6, whatever the scheduling.
    binarytrees "binarytrees" 1 Some(20_000),
    gcbench "gcbench" 8 None,
    churn "churn" 16 None,
}
