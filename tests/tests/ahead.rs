//! The pages above the moving space's top are made resident ahead of the
//! allocations, off the mutators' path (gc-core's `ahead`), in the modes whose
//! allocation pages are otherwise fresh (not Move, whose compactions recycle
//! the shadow's): as the heap first grows, and after a compaction, whose
//! allocation range Copy mode otherwise leaves to fresh pages faulted in by
//! the mutators.

use std::time::{Duration, Instant};

use gc_core::{Heap, Mode, Mutator};
use movegc_tests::{Types, collect_and_wait_for_compaction, requested_cycles_only};

/// Pages the tests expect resident above the top: what the window a 256 MiB
/// heap keeps is at least, half of it.
const AHEAD: usize = 1 << 20;

/// Whether every page of `addr..addr + len` is resident.
fn resident(addr: usize, len: usize) -> bool {
    let pages = len.div_ceil(4096);
    let mut vec = vec![0u8; pages];
    // SAFETY: the range lies in the heap's reservation; `vec` has a byte per page.
    let r = unsafe { libc::mincore(addr as *mut libc::c_void, pages * 4096, vec.as_mut_ptr()) };
    assert_eq!(r, 0, "mincore: {}", std::io::Error::last_os_error());
    vec.iter().all(|v| v & 1 == 1)
}

/// Allocates `bytes` of garbage, then waits until the pages above the top
/// are resident (the thread's work, not the mutator's: it touches nothing
/// above its TLAB) and returns the pages the thread made resident meanwhile.
fn allocate_and_wait_ahead(m: &mut Mutator, types: Types, bytes: usize) -> u64 {
    let before = m.heap().stats().pages_ahead;
    for _ in 0..bytes / 2048 {
        m.alloc(types.blob, 2000).unwrap();
    }
    let top = m.heap().moving_space().end.next_multiple_of(4096);
    let deadline = Instant::now() + Duration::from_secs(30);
    // The thread runs on its own: a loaded machine may keep it waiting.
    while !resident(top, AHEAD) {
        assert!(
            Instant::now() < deadline,
            "the pages above the top never became resident ({:?})",
            m.heap().stats().pages_ahead - before
        );
        m.native(|| std::thread::sleep(Duration::from_millis(5)));
    }
    m.heap().stats().pages_ahead - before
}

fn pages_ahead_of_the_top(mode: Mode) {
    let (_, types) = Types::table();
    let Some(heap) = movegc_tests::build_or_skip(|| {
        Heap::builder()
            .size(256 << 20)
            .mode(mode)
            .policy(requested_cycles_only())
            .types(Types::table().0)
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    // The heap's first growth: nothing was ever resident up there.
    let grown = allocate_and_wait_ahead(&mut m, types, 8 << 20);
    assert!(
        grown >= (AHEAD / 4096) as u64,
        "{mode:?}: {grown} pages ahead"
    );
    // After a compaction (everything allocated was garbage): the top fell,
    // and the pages above it went back to the kernel or to the shadow.
    if mode == Mode::StopTheWorld {
        m.collect().unwrap();
    } else {
        collect_and_wait_for_compaction(&mut m).unwrap();
    }
    let after = allocate_and_wait_ahead(&mut m, types, 1 << 20);
    assert!(after > 0, "{mode:?}: no page made resident after the cycle");
}

#[test]
fn pages_ahead_of_the_top_stop_the_world() {
    pages_ahead_of_the_top(Mode::StopTheWorld);
}

#[test]
fn pages_ahead_of_the_top_copy_mode() {
    pages_ahead_of_the_top(Mode::Copy);
}
