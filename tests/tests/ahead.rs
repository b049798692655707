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

/// Byte `k` of the `i`th blob of round `r`.
fn byte(r: usize, i: usize, k: usize) -> u8 {
    (r * 131 + i * 31 + k * 7) as u8
}

/// The thread chooses the pages above the top, and the scheduler (it runs at
/// idle priority) lets it make them resident only later: meanwhile the top
/// fell in a cycle, the mutator allocated and wrote above it again, and the
/// next cycle's pause moved those pages out to the shadow. Had the thread
/// made them resident between that pause's remap and its registration, they
/// would be fresh zero pages that the compaction could not place over: the
/// objects there would read back as zeroes (the JVM example's `arrays` in
/// Copy mode, once in a few hundred runs). Every blob is checked after every
/// cycle, and the verifier runs at every cycle's start.
#[test]
fn pages_chosen_before_a_cycle_are_not_made_resident_during_its_pause() {
    const BLOBS: usize = 300;
    const ROUNDS: usize = 20;
    let inject = gc_core::inject::Injection {
        ahead_delay: Some(Duration::from_millis(1)),
        remap_delay: Some(Duration::from_millis(3)),
        ..Default::default()
    };
    let Some((heap, types)) = movegc_tests::concurrent_heap(Mode::Copy, 4 << 20, |b| {
        b.inject(inject).policy(requested_cycles_only())
    }) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    let mut rng = movegc_tests::Rng::new(5);
    for r in 0..ROUNDS {
        m.scope(|s| {
            let blobs = s.alloc(types.refs, BLOBS as u32).unwrap();
            let mut lens = Vec::with_capacity(BLOBS);
            for i in 0..BLOBS {
                s.mutator()
                    .alloc(types.blob, rng.below(1500) as u32)
                    .unwrap();
                let len = 8 + 8 * i;
                let blob = s.mutator().alloc(types.blob, len as u32).unwrap();
                for k in 0..len {
                    // SAFETY: byte `k` of the fresh blob's `len`, from offset 8.
                    unsafe { *blob.byte_ptr(8 + k) = byte(r, i, k) };
                }
                let array = s.get(blobs).unwrap();
                // SAFETY: the live array of `BLOBS` reference slots.
                unsafe { s.mutator().write_ref(array, 8 + 8 * i, Some(blob)) };
                lens.push(len);
                if i % 25 == 24 {
                    s.mutator().collect().unwrap();
                    let array = s.get(blobs).unwrap();
                    for (j, &len) in lens.iter().enumerate() {
                        // SAFETY: slot `j` of the live array, written above.
                        let blob = unsafe { s.mutator().read_ref(array, 8 + 8 * j) }.unwrap();
                        for k in 0..len {
                            // SAFETY: byte `k` of the live blob's `len`.
                            let b = unsafe { *blob.byte_ptr(8 + k) };
                            assert_eq!(b, byte(r, j, k), "round {r}, blob {j}, byte {k}");
                        }
                    }
                }
            }
        });
    }
    assert!(
        heap.stats().pages_ahead > 0,
        "the thread never made a page resident: nothing was tested"
    );
}
