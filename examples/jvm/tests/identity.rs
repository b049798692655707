//! `System.identityHashCode` and `Object.hashCode` are the collector's
//! identity hashes (`Mutator::identity_hash`): `programs/identitygc` checks
//! that they stay the same across a loop of `System.gc()` that slides the
//! hashed objects down each time, and that distinct objects get distinct
//! hashes; here the collector's figures show that the objects did move and
//! that their hashes are in its table.

mod common;

use gc_core::Mode;
use jvm::Options;

/// The hashed objects the program still holds at its last collection, of
/// those it made first: the `still held` line of its output.
const HELD: usize = 1780;

fn check(mode: Mode) {
    if !common::available(mode) {
        return;
    }
    let dir = common::programs().join("identitygc");
    let expected = std::fs::read_to_string(dir.join("expected.out")).unwrap();
    assert!(expected.contains(&format!("still held: {HELD}")));
    let options = Options {
        heap_size: 8 << 20,
        mode,
        verify: true,
        ..Options::default()
    };
    let run = common::run(&dir.join("classes"), "Main", &[], options);
    assert_eq!(run.result, Ok(()), "{mode:?}: {}", run.err);
    assert_eq!(run.out, expected, "{mode:?}");
    let stats = run.stats.unwrap();
    let last = stats.last.expect("the program collects");
    // Those, and the late object.
    assert!(
        last.references.hashed > HELD,
        "{mode:?}: the collector's table held {} hashes of live objects",
        last.references.hashed
    );
    // Every object held had garbage below it when the last collection
    // began (a quarter of them were dropped), so each moved: in the pause,
    // or in the concurrent compaction that the pause started.
    let concurrent = stats
        .last_compaction
        .filter(|c| c.cycle == last.index)
        .map_or(0, |c| c.objects_moved);
    let moved = last.objects_moved + concurrent;
    assert!(
        moved >= HELD,
        "{mode:?}: the last collection moved only {moved} objects"
    );
}

#[test]
fn identity_hashes_survive_moves_stop_the_world() {
    check(Mode::StopTheWorld);
}

#[test]
fn identity_hashes_survive_moves_concurrent_move() {
    check(Mode::Move);
}

#[test]
fn identity_hashes_survive_moves_concurrent_copy() {
    check(Mode::Copy);
}
