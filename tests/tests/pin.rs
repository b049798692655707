//! Pinning: a pinned object keeps its address across cycles of every kind
//! while the objects above it move, stays reachable through its pin alone,
//! and keeps its pages mapped through a concurrent compaction, so that a
//! system call can use them meanwhile. Needs userfaultfd for the concurrent
//! modes: on CI (`CI=true`) its absence fails these tests; elsewhere they
//! skip, saying why.

use std::io::Read;
use std::time::Duration;

use gc_core::inject::Injection;
use gc_core::{GcError, HandleScope, Heap, Local, Mode, ObjRef};
use movegc_tests::{Types, concurrent_heap};

const MODES: [Mode; 3] = [Mode::StopTheWorld, Mode::Move, Mode::Copy];

/// Node layout of the test VM: references at 8 and 16, data at 32.
const NEXT: usize = 8;
const DATA: usize = 32;
/// Bytes of the pinned buffer: it straddles pages.
const BUFFER: usize = 12_000;

/// A heap whose compaction thread starts late, so that the test can act
/// while a concurrent compaction is in flight.
fn heap(mode: Mode) -> Option<(Heap, Types)> {
    let inject = Injection {
        compaction_delay: Some(Duration::from_millis(100)),
        ..Injection::default()
    };
    concurrent_heap(mode, 64 << 20, |b| b.inject(inject))
}

/// A list of `n` nodes holding `tag + i`, with garbage between them.
fn list<'s>(s: &mut HandleScope<'s>, types: Types, n: usize, tag: usize) -> Local<'s> {
    let head = s.local(None);
    for i in (0..n).rev() {
        s.mutator().alloc(types.blob, 40).unwrap();
        let node = s.mutator().alloc(types.node, 0).unwrap();
        let next = s.get(head);
        // SAFETY: a fresh node; no safepoint since `next` was read.
        unsafe {
            node.write_word(DATA, tag + i);
            s.mutator().write_ref(node, NEXT, next);
        }
        s.set(head, Some(node));
    }
    head
}

/// The nodes' addresses, after checking that the list holds `tag + i`.
fn check_list(s: &mut HandleScope<'_>, head: Local<'_>, n: usize, tag: usize) -> Vec<usize> {
    let mut at = s.get(head);
    let mut addrs = Vec::with_capacity(n);
    while let Some(node) = at {
        // SAFETY: reachable nodes; no safepoint in the loop.
        unsafe {
            assert_eq!(node.read_word(DATA), tag + addrs.len(), "list {tag:#x}");
            at = s.mutator().read_ref(node, NEXT);
        }
        addrs.push(node.addr());
    }
    assert_eq!(addrs.len(), n, "list {tag:#x}");
    addrs
}

/// The pinned buffer's bytes, as a slice.
///
/// # Safety
/// `buffer` must be pinned, and nothing else use its bytes meanwhile.
unsafe fn bytes<'a>(buffer: ObjRef) -> &'a mut [u8] {
    // SAFETY: a byte array of BUFFER bytes from its first word, pinned.
    unsafe { std::slice::from_raw_parts_mut(buffer.byte_ptr(8), BUFFER) }
}

fn pattern(i: usize, round: usize) -> u8 {
    (i * 7 + round) as u8
}

/// A pinned node (in the middle of a list) and a pinned byte buffer
/// (reachable through its pin alone) keep their addresses through 20 cycles,
/// young and full, while the objects above them move; in the concurrent
/// modes the kernel writes the buffer while a compaction is in flight; once
/// unpinned, a full cycle moves them.
fn pinned_objects_stay_while_others_move(mode: Mode) {
    let Some((heap, types)) = heap(mode) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let below = list(s, types, 5_000, 0x1000_0000);
        let buffer = s.mutator().alloc(types.blob, BUFFER as u32).unwrap();
        // SAFETY: `buffer` is a live byte array; no safepoint since.
        let pinned_buffer = unsafe { s.mutator().pin(buffer) }.unwrap();
        let node = s.get(below).unwrap();
        // SAFETY: `node` is the list's live head, read just now.
        let pinned_node = unsafe { s.mutator().pin(node) }.unwrap();
        // SAFETY: pinned.
        for (i, b) in unsafe { bytes(pinned_buffer.object()) }
            .iter_mut()
            .enumerate()
        {
            *b = pattern(i, 0);
        }
        let (buffer_at, node_at) = (pinned_buffer.object(), pinned_node.object());
        let above = s.local(None);
        let mut written = 0;
        let mut moved_above = false;
        for round in 1..=20 {
            // Garbage and a new list above the pinned objects, and the old one
            // dropped: what lies above them moves down.
            let tag = 0x2000_0000 + round * 0x10_0000;
            let fresh = list(s, types, 5_000, tag);
            s.set(above, s.get(fresh));
            let before = check_list(s, above, 5_000, tag);
            let young = round % 3 != 0;
            if mode != Mode::StopTheWorld && round % 5 == 0 {
                // A system call writes the buffer while the compaction is in
                // flight (the compaction thread held back): its pages must be
                // mapped, or the kernel's access fails with EFAULT.
                let seen = heap.stats().collections;
                std::thread::scope(|t| {
                    let collector = t.spawn(|| heap.collect());
                    while heap.stats().collections == seen && !collector.is_finished() {
                        s.mutator().safepoint();
                        std::thread::yield_now();
                    }
                    // SAFETY: pinned; only this thread uses the buffer.
                    let dst = unsafe { bytes(pinned_buffer.object()) };
                    std::fs::File::open("/dev/zero")
                        .and_then(|mut zero| zero.read_exact(dst))
                        .unwrap_or_else(|e| {
                            panic!("{mode:?} round {round}: the kernel could not write it: {e}")
                        });
                    collector.join().unwrap().unwrap();
                });
                // SAFETY: pinned.
                let b = unsafe { bytes(pinned_buffer.object()) };
                assert!(b.iter().all(|&x| x == 0), "{mode:?} round {round}");
                for (i, x) in b.iter_mut().enumerate() {
                    *x = pattern(i, round);
                }
                written = round;
            } else if young {
                s.mutator().collect_young().unwrap();
            } else {
                s.mutator().collect().unwrap();
            }
            let last = heap.stats().last.unwrap();
            assert_eq!(last.pinned, 2, "{mode:?} round {round}: {last}");
            assert_eq!(pinned_buffer.object(), buffer_at, "{mode:?} round {round}");
            assert_eq!(s.get(below), Some(node_at), "{mode:?} round {round}");
            // SAFETY: pinned.
            let b = unsafe { bytes(pinned_buffer.object()) };
            for (i, &x) in b.iter().enumerate() {
                assert_eq!(x, pattern(i, written), "{mode:?} round {round}: byte {i}");
            }
            check_list(s, below, 5_000, 0x1000_0000);
            moved_above |= check_list(s, above, 5_000, tag) != before;
        }
        assert!(moved_above, "{mode:?}: nothing above the pins moved");
        drop(pinned_node);
        drop(pinned_buffer);
        s.mutator().collect().unwrap();
        assert_eq!(heap.stats().last.unwrap().pinned, 0);
        assert_ne!(
            s.get(below),
            Some(node_at),
            "{mode:?}: unpinned, the node slid down over the garbage below it"
        );
        check_list(s, below, 5_000, 0x1000_0000);
    });
}

#[test]
fn stw_pinned_objects_stay_while_others_move() {
    pinned_objects_stay_while_others_move(Mode::StopTheWorld);
}

#[test]
fn move_mode_pinned_objects_stay_while_others_move() {
    pinned_objects_stay_while_others_move(Mode::Move);
}

#[test]
fn copy_mode_pinned_objects_stay_while_others_move() {
    pinned_objects_stay_while_others_move(Mode::Copy);
}

/// Whether a page of `addr..addr + len` is missing (never written: fresh
/// memory reads as zero without being mapped).
/// Whether page `page` (an address in it) is mapped (`mincore`, which reads
/// no memory there).
fn mapped(page: usize) -> bool {
    let mut vec = [0u8; 1];
    // SAFETY: the page lies in the heap's mapping; `vec` has its byte.
    let r = unsafe { libc::mincore((page & !4095) as *mut libc::c_void, 4096, vec.as_mut_ptr()) };
    assert_eq!(r, 0, "mincore: {}", std::io::Error::last_os_error());
    vec[0] & 1 == 1
}

/// A page that a pin keeps in place but nothing has written yet (fresh
/// memory reads as zero without being mapped) is usable while a concurrent
/// compaction is in flight. The blob below the pinned node crosses into the
/// node's page, so its pages stay with the node's, and the middle one is
/// missing. The compaction took pinned pages for mapped, so a touch there
/// faulted forever (and the kernel's failed with EFAULT).
fn untouched_pinned_pages_are_usable_during_a_compaction(mode: Mode) {
    let Some((heap, types)) = heap(mode) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let blob = s.mutator().alloc(types.blob, BUFFER as u32).unwrap();
        let blob = s.local(Some(blob));
        let node = s.mutator().alloc(types.node, 0).unwrap();
        // SAFETY: `node` is live, fresh; no safepoint since.
        let pinned = unsafe { s.mutator().pin(node) }.unwrap();
        let at = s.get(blob).unwrap();
        let middle = (at.addr() + 4096).next_multiple_of(4096);
        assert!(
            node.addr() / 4096 == (at.addr() + 8 + BUFFER) / 4096 && !mapped(middle),
            "{mode:?}: the test needs the blob to end in the node's page, its middle \
             page missing"
        );
        let seen = heap.stats().collections;
        std::thread::scope(|t| {
            let collector = t.spawn(|| heap.collect());
            while heap.stats().collections == seen && !collector.is_finished() {
                s.mutator().safepoint();
                std::thread::yield_now();
            }
            assert_eq!(s.get(blob), Some(at), "{mode:?}: the blob moved");
            assert!(mapped(middle), "{mode:?}: a pinned page is missing");
            // SAFETY: the blob's bytes, in place as checked; no safepoint here.
            let b = unsafe { std::slice::from_raw_parts_mut(at.byte_ptr(8), BUFFER) };
            for (i, x) in b.iter_mut().enumerate() {
                *x = pattern(i, 1);
            }
            collector.join().unwrap().unwrap();
        });
        assert_eq!(heap.stats().last.unwrap().pinned, 1, "{mode:?}");
        assert_eq!(pinned.object(), node, "{mode:?}");
        let at = s.get(blob).unwrap();
        // SAFETY: the live blob's bytes; no safepoint here.
        let b = unsafe { std::slice::from_raw_parts(at.byte_ptr(8), BUFFER) };
        for (i, &x) in b.iter().enumerate() {
            assert_eq!(x, pattern(i, 1), "{mode:?}: byte {i}");
        }
    });
}

#[test]
fn move_mode_untouched_pinned_pages_are_usable_during_a_compaction() {
    untouched_pinned_pages_are_usable_during_a_compaction(Mode::Move);
}

#[test]
fn copy_mode_untouched_pinned_pages_are_usable_during_a_compaction() {
    untouched_pinned_pages_are_usable_during_a_compaction(Mode::Copy);
}

/// Four threads (more than the cores) pin fresh objects, pass safepoints
/// while pinned, check the addresses and contents, unpin, and allocate,
/// while cycles run (triggered by the budget, and by thread 0, young and
/// full): a pin taken after a cycle planned is seen in its compaction pause.
/// The heap holds all that the threads allocate (96 MiB): a cycle that finds
/// a fresh object pinned near the top reclaims nothing below it (see
/// `gc_core::pin`), and with most cycles finding one, a smaller heap would
/// run out of memory whenever the scheduler let it fill up before a cycle
/// found none.
#[test]
fn pins_taken_and_dropped_while_cycles_run() {
    for mode in MODES {
        let Some((heap, types)) = concurrent_heap(mode, 128 << 20, |b| b) else {
            return;
        };
        movegc_tests::run_each(4, |t| {
            let mut m = heap.attach().map_err(|e| format!("{mode:?}: {e}"))?;
            m.scope(|s| {
                for round in 0..300usize {
                    let obj = s
                        .mutator()
                        .alloc(types.node, 0)
                        .map_err(|e| format!("{mode:?}: {e}"))?;
                    let id = t << 32 | round;
                    // SAFETY: fresh; no safepoint since.
                    unsafe { obj.write_word(DATA, id) };
                    // SAFETY: as above.
                    let pin =
                        unsafe { s.mutator().pin(obj) }.map_err(|e| format!("{mode:?}: {e}"))?;
                    if t == 0 && round % 10 == 0 {
                        let m = s.mutator();
                        let r = if round % 20 == 0 {
                            m.collect()
                        } else {
                            m.collect_young()
                        };
                        r.map_err(|e| format!("{mode:?}: {e}"))?;
                    } else {
                        for _ in 0..50 {
                            s.mutator().safepoint();
                            std::thread::yield_now();
                        }
                    }
                    // SAFETY: pinned, so live at this address.
                    let got = unsafe { pin.object().read_word(DATA) };
                    if pin.object() != obj || got != id {
                        return Err(format!(
                            "{mode:?} thread {t} round {round}: pinned at {:#x}, now {:#x} \
                             holding {got:#x}",
                            obj.addr(),
                            pin.object().addr()
                        ));
                    }
                    drop(pin);
                    for _ in 0..400 {
                        s.mutator()
                            .alloc(types.blob, 200)
                            .map_err(|e| format!("{mode:?}: {e}"))?;
                    }
                }
                Ok::<(), String>(())
            })
        });
        let s = heap.stats();
        assert!(s.collections >= 30, "{mode:?}: {} cycles", s.collections);
    }
}

/// An address outside the heap is refused.
#[test]
fn pinning_outside_the_heap_fails() {
    let Some((heap, _types)) = concurrent_heap(Mode::StopTheWorld, 8 << 20, |b| b) else {
        return;
    };
    let mut m = heap.attach().unwrap();
    let outside = ObjRef::from_addr(8).unwrap();
    // SAFETY: refused before it is read.
    match unsafe { m.pin(outside) } {
        Err(GcError::NotInHeap(8)) => {}
        other => panic!("{other:?}"),
    }
}
