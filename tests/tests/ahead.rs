//! The memory above the moving space's top is prepared ahead of the
//! allocations, off the mutators' path (gc-core's `ahead`): the garbage a
//! cycle kept there for them is zeroed, in every mode; and in the modes whose
//! allocation pages are otherwise fresh (not Move, whose compactions recycle
//! the shadow's) the pages are made resident: as the heap first grows, and
//! after a compaction, whose allocation range Copy mode otherwise leaves to
//! fresh pages faulted in by the mutators.

use std::time::{Duration, Instant};

use gc_core::{Heap, Mode, Mutator};
use movegc_tests::{Rng, Types, collect_and_wait_for_compaction, requested_cycles_only, run_each};

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
/// above its TLAB) and the statistics count at least `pages` made resident
/// by the thread since they counted `before` (the thread counts a range
/// after making it resident); fails if that takes over 30 s.
fn allocate_and_wait_ahead(m: &mut Mutator, types: Types, bytes: usize, before: u64, pages: u64) {
    for _ in 0..bytes / 2048 {
        m.alloc(types.blob, 2000).unwrap();
    }
    let top = m.heap().moving_space().end.next_multiple_of(4096);
    let deadline = Instant::now() + Duration::from_secs(30);
    // The thread runs on its own: a loaded machine may keep it waiting.
    loop {
        let counted = m.heap().stats().pages_ahead - before;
        if resident(top, AHEAD) && counted >= pages {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "after 30 s, the pages above the top are{} resident, and the thread made {counted} \
             pages resident of at least {pages}",
            if resident(top, AHEAD) { "" } else { " not" },
        );
        m.native(|| std::thread::sleep(Duration::from_millis(5)));
    }
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
    let before = m.heap().stats().pages_ahead;
    allocate_and_wait_ahead(&mut m, types, 8 << 20, before, (AHEAD / 4096) as u64);
    // After a compaction (everything allocated was garbage): the top fell,
    // and the pages above it went back to the kernel or to the shadow. The
    // thread may make them resident again before this thread reads the
    // statistics after the cycle: it counts from before. A requested cycle
    // keeps a window (2 MiB here) resident above its new top, and claims wake
    // the thread once they come within half a window of what it prepared:
    // allocating a whole window's worth needs it whenever it ran (1 MiB,
    // about half, failed one run in six to twelve where its first round came before
    // the allocations and found the window resident already).
    let before = m.heap().stats().pages_ahead;
    if mode == Mode::StopTheWorld {
        m.collect().unwrap();
    } else {
        collect_and_wait_for_compaction(&mut m).unwrap();
    }
    allocate_and_wait_ahead(&mut m, types, 2 * AHEAD, before, 1);
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

/// Word `k` of the `i`th blob of thread `t`: never zero.
fn word(t: usize, i: usize, k: usize) -> u64 {
    ((t as u64) << 56) ^ ((i as u64) << 20) ^ (k as u64) ^ 0x5a5a_0000_0000_0001
}

/// After each cycle the thread zeroes the garbage the cycle kept above the
/// top, from its far end down, while the mutators claim from the top up;
/// they meet near the top. Every fresh blob must read zero (the thread's
/// zeroing or the claim's own), and every blob must keep what was written
/// into it (a zero the thread stored after a claim's write would show), on
/// more threads than the machine has cores, until the thread has zeroed
/// `ZEROED` bytes (it runs at idle priority: a loaded machine may keep it
/// waiting).
fn blobs_read_zero_and_keep_what_is_written(mode: Mode) {
    const THREADS: usize = 4;
    const KEPT: usize = 64;
    const ROUND: usize = 5_000;
    const ZEROED: u64 = 4 << 20;
    let (_, types) = Types::table();
    let Some(heap) = movegc_tests::build_or_skip(|| {
        Heap::builder()
            .size(32 << 20)
            .mode(mode)
            .types(Types::table().0)
    }) else {
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    run_each(THREADS, |t| {
        let mut m = heap.attach().map_err(|e| e.to_string())?;
        let mut rng = Rng::new(t as u64 + 1);
        m.scope(|s| {
            let ring = s.alloc(types.refs, KEPT as u32).unwrap();
            let mut lens = [0usize; KEPT];
            for i in 0.. {
                if i % ROUND == 0 && s.mutator().heap().stats().bytes_zeroed_ahead >= ZEROED {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    let zeroed = s.mutator().heap().stats().bytes_zeroed_ahead;
                    return Err(format!("{mode:?}: {zeroed} bytes zeroed ahead in a minute"));
                }
                let words = 1 + rng.below(125);
                let blob = s.mutator().alloc(types.blob, (8 * words) as u32).unwrap();
                for k in 0..words {
                    let w = blob.byte_ptr(8 + 8 * k).cast::<u64>();
                    // SAFETY: word `k` of the fresh blob's `words`, from
                    // offset 8; aligned, as every object is.
                    let read = unsafe { w.read() };
                    if read != 0 {
                        return Err(format!(
                            "{mode:?}: blob {i}, word {k} of a fresh blob reads {read:#x}"
                        ));
                    }
                    // SAFETY: as above.
                    unsafe { w.write(word(t, i, k)) };
                }
                let slot = i % KEPT;
                let array = s.get(ring).unwrap();
                if i >= KEPT {
                    // SAFETY: slot `slot` of the live ring, written `KEPT` blobs ago.
                    let old = unsafe { s.mutator().read_ref(array, 8 + 8 * slot) }.unwrap();
                    for k in 0..lens[slot] {
                        // SAFETY: word `k` of the live blob's, from offset 8.
                        let read = unsafe { old.byte_ptr(8 + 8 * k).cast::<u64>().read() };
                        let want = word(t, i - KEPT, k);
                        if read != want {
                            return Err(format!(
                                "{mode:?}: blob {}, word {k} reads {read:#x}, not {want:#x}",
                                i - KEPT
                            ));
                        }
                    }
                }
                // SAFETY: the live ring of `KEPT` reference slots.
                unsafe { s.mutator().write_ref(array, 8 + 8 * slot, Some(blob)) };
                lens[slot] = words;
            }
            unreachable!("the loop returns")
        })
    });
}

#[test]
fn blobs_read_zero_and_keep_what_is_written_move_mode() {
    blobs_read_zero_and_keep_what_is_written(Mode::Move);
}

#[test]
fn blobs_read_zero_and_keep_what_is_written_copy_mode() {
    blobs_read_zero_and_keep_what_is_written(Mode::Copy);
}

#[test]
fn blobs_read_zero_and_keep_what_is_written_stop_the_world() {
    blobs_read_zero_and_keep_what_is_written(Mode::StopTheWorld);
}

/// A collection the VM requests gives back the memory above the live data,
/// but not the window the thread keeps resident above the top, which it
/// would make resident again at once: moving those pages out to the shadow
/// took 54–90 µs of the `cache` bench's compaction pauses in Copy mode. Live
/// blobs over garbage make the cycle compact concurrently; it moves out their
/// pages, not the window.
#[test]
fn a_requested_collection_leaves_the_window_ahead_resident() {
    let (_, types) = Types::table();
    let Some(heap) = movegc_tests::build_or_skip(|| {
        Heap::builder()
            .size(256 << 20)
            .mode(Mode::Copy)
            .policy(requested_cycles_only())
            .types(Types::table().0)
    }) else {
        return;
    };
    let window = 2 << 20;
    let mut m = heap.attach().unwrap();
    // Counted from the start: the thread fills the window from the first
    // top on, and may have made some of it resident before the blobs are
    // allocated.
    let before = m.heap().stats().pages_ahead;
    m.scope(|s| {
        let blobs = s.alloc(types.refs, 64).unwrap();
        for i in 0..64 {
            s.mutator().alloc(types.blob, 2000).unwrap();
            let blob = s.mutator().alloc(types.blob, 100).unwrap();
            let array = s.get(blobs).unwrap();
            // SAFETY: slot `i` of the live array of 64 reference slots.
            unsafe { s.mutator().write_ref(array, 8 + 8 * i, Some(blob)) };
        }
        allocate_and_wait_ahead(s.mutator(), types, 64 << 10, before, (window / 4096) as u64);
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        let st = s.mutator().heap().stats();
        let last = st.last.as_ref().unwrap();
        assert!(
            last.pages_compacted > 0,
            "the live blobs over garbage compact"
        );
        assert!(
            last.pages_remapped * 4096 < window / 2,
            "{} pages remapped, the window's among them",
            last.pages_remapped
        );
        let array = s.get(blobs).unwrap();
        for i in 0..64 {
            // SAFETY: slot `i` of the live array.
            let blob = unsafe { s.mutator().read_ref(array, 8 + 8 * i) };
            assert!(blob.is_some(), "blob {i} kept");
        }
    });
}
