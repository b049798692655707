//! Swapped-out pages stay out: a full cycle in Move mode relinks large byte
//! arrays whose pages are swapped out, and they are still swapped out at
//! their new addresses, with next to no swap-in during the cycle.
//!
//! Needs root (to enable a swap file of its own, removed afterwards) and
//! userfaultfd with `UFFDIO_MOVE`: on CI (`CI=true`, where the tests run as
//! root) their absence fails the test; elsewhere it skips, saying why.

use std::fs::File;
use std::os::unix::fs::FileExt;

use gc_core::{Local, Mode, ObjRef};
use movegc_tests::logs::serial;
use movegc_tests::swap::{SwapFile, page_out, pswpin};
use movegc_tests::{concurrent_heap, on_ci};

/// Byte arrays allocated; every third dies, leaving holes below survivors.
const ARRAYS: usize = 64;
/// Bytes of each: 64 pages.
const LEN: usize = 256 << 10;
const PAGE: usize = 4096;

fn word(id: usize, k: usize) -> usize {
    (id << 32) | k
}

/// How many of the `pages` pages from `addr` are swapped out (pagemap bit 62).
fn swapped(pagemap: &File, addr: usize, pages: usize) -> usize {
    let mut buf = vec![0u8; pages * 8];
    pagemap
        .read_exact_at(&mut buf, (addr / PAGE * 8) as u64)
        .expect("reading /proc/self/pagemap");
    buf.chunks_exact(8)
        .filter(|&e| u64::from_ne_bytes(e.try_into().unwrap()) & (1 << 62) != 0)
        .count()
}

#[test]
fn swapped_out_large_objects_relink_without_swap_in() {
    // One at a time: swap-ins and writeback are the whole system's.
    let _serial = serial();
    let swap = match SwapFile::enable("swap-test", 64 << 20) {
        Ok(swap) => swap,
        Err(why) if !on_ci() => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(why) => panic!("no swap file: {why}"),
    };
    let policy = movegc_tests::requested_cycles_only();
    let Some((heap, types)) =
        concurrent_heap(Mode::Move, 256 << 20, |b| b.policy(policy).verify(false))
    else {
        return;
    };
    let pagemap = File::open("/proc/self/pagemap").expect("/proc/self/pagemap");
    let mut m = heap.attach().unwrap();
    m.scope(|s| {
        let arrays: Vec<Local<'_>> = (0..ARRAYS)
            .map(|id| {
                let a = s.alloc(types.blob, LEN as u32).unwrap();
                let obj = s.get(a).unwrap();
                for k in 0..LEN / 8 {
                    // SAFETY: a live byte array; no safepoint since it was read.
                    unsafe { obj.write_word(8 + k * 8, word(id, k)) };
                }
                a
            })
            .collect();
        let mut live = Vec::new();
        for (id, &a) in arrays.iter().enumerate() {
            if id % 3 == 0 {
                s.set(a, None);
            } else {
                live.push((a, id));
            }
        }
        let pages = (LEN + 8).div_ceil(PAGE);
        let before: Vec<usize> = live
            .iter()
            .map(|&(a, _)| s.get(a).unwrap().addr())
            .collect();
        for &addr in &before {
            // SAFETY: a live large array's pages, page-aligned, in the heap's mapping.
            unsafe { page_out(addr, pages * PAGE) }.expect("MADV_PAGEOUT");
        }
        let out: Vec<usize> = before
            .iter()
            .map(|&a| swapped(&pagemap, a, pages))
            .collect();
        let out_before: usize = out.iter().sum();
        assert!(
            out_before > live.len() * pages / 2,
            "MADV_PAGEOUT swapped out {out_before} of {} pages",
            live.len() * pages
        );
        let swapped_in = pswpin().expect("pswpin in /proc/vmstat");
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        let swapped_in = pswpin().expect("pswpin in /proc/vmstat") - swapped_in;
        let st = heap.stats();
        let c = st.last_compaction.clone().unwrap();
        eprintln!("{}\n{c}", st.last.as_ref().unwrap());
        let after: Vec<usize> = live
            .iter()
            .map(|&(a, _)| s.get(a).unwrap().addr())
            .collect();
        let moved: Vec<usize> = (0..live.len()).filter(|&i| before[i] != after[i]).collect();
        assert!(!moved.is_empty(), "nothing moved: {c}");
        let out_then: usize = moved.iter().map(|&i| out[i]).sum();
        let out_now: usize = moved
            .iter()
            .map(|&i| swapped(&pagemap, after[i], pages))
            .sum();
        eprintln!(
            "{} arrays moved ({} pages): {out_now} pages swapped out at their new addresses, \
             {out_then} at the old ones before the cycle; pswpin +{swapped_in} during the cycle",
            moved.len(),
            moved.len() * pages,
        );
        assert!(
            c.relinked_unread >= moved.len() * pages,
            "the moved arrays' pages were not relinked unread: {c}"
        );
        // Marking and the pause read each array's header, whose page may come
        // back in; every other page swapped out before stays so.
        assert!(
            out_now + moved.len() >= out_then,
            "only {out_now} of {out_then} pages still swapped out after moving"
        );
        assert!(
            swapped_in <= (live.len() + 16) as u64,
            "the cycle swapped in {swapped_in} pages"
        );
        for &(a, id) in &live {
            let obj: ObjRef = s.get(a).unwrap();
            for k in 0..LEN / 8 {
                // SAFETY: a live byte array; no safepoint in the loop.
                let got = unsafe { obj.read_word(8 + k * 8) };
                assert_eq!(got, word(id, k), "array {id} word {k}");
            }
        }
    });
    drop(m);
    drop(heap);
    drop(swap);
}

/// Byte arrays below the large-object threshold, with pages of their own.
const MEDIUM: usize = 1024;
/// Bytes of each: a body of 4 pages.
const MEDIUM_LEN: usize = 16 << 10;

/// What [`medium_cycle`] saw: pages of the moved arrays' bodies swapped out
/// before the cycle and at their new addresses after it, swap-ins during it,
/// and the compaction's count of pages moved unread.
struct Medium {
    out_then: usize,
    out_now: usize,
    swapped_in: u64,
    unread_moving: usize,
    /// Pages MOVE refused with `EBUSY` (a page still under the page-out's
    /// writeback), copied instead.
    busy: usize,
    moved: usize,
}

/// Reference-free byte arrays below the large threshold (some dying, small
/// objects between them), their bodies pushed out with `MADV_PAGEOUT`, then
/// a full cycle in Move mode; the data checked afterwards. `unread_min` as
/// for the heap builder. `None` where it skips.
fn medium_cycle(name: &str, unread_min: usize) -> Option<Medium> {
    let _serial = serial();
    let swap = match SwapFile::enable(name, 64 << 20) {
        Ok(swap) => swap,
        Err(why) if !on_ci() => {
            eprintln!("skipped: {why}");
            return None;
        }
        Err(why) => panic!("no swap file: {why}"),
    };
    let policy = movegc_tests::requested_cycles_only();
    let (heap, types) = concurrent_heap(Mode::Move, 256 << 20, |b| {
        b.policy(policy).verify(false).unread_min(unread_min)
    })?;
    let pagemap = File::open("/proc/self/pagemap").expect("/proc/self/pagemap");
    let body = MEDIUM_LEN / PAGE;
    let mut m = heap.attach().unwrap();
    let seen = m.scope(|s| {
        let arrays: Vec<Local<'_>> = (0..MEDIUM)
            .map(|id| {
                // Small objects between them, some dying too: the padding
                // comes from their garbage and from the alignment gaps.
                for j in 0..id % 5 {
                    let small = s.alloc(types.blob, 40 + 24 * j as u32).unwrap();
                    if j % 2 == 0 {
                        s.set(small, None);
                    }
                }
                let a = s.alloc(types.blob, MEDIUM_LEN as u32).unwrap();
                let obj = s.get(a).unwrap();
                if unread_min != 0 {
                    assert_eq!((obj.addr() + 8) % PAGE, 0, "body not on a page boundary");
                }
                for k in 0..MEDIUM_LEN / 8 {
                    // SAFETY: a live byte array; no safepoint since it was read.
                    unsafe { obj.write_word(8 + k * 8, word(id, k)) };
                }
                a
            })
            .collect();
        let mut live = Vec::new();
        for (id, &a) in arrays.iter().enumerate() {
            if id % 3 == 0 {
                s.set(a, None);
            } else {
                live.push((a, id));
            }
        }
        // The pages wholly inside each body.
        let body_pages = |obj: usize| (obj + 8).next_multiple_of(PAGE);
        let pages_of = |obj: usize| (obj + 8 + MEDIUM_LEN) / PAGE - body_pages(obj) / PAGE;
        let before: Vec<usize> = live
            .iter()
            .map(|&(a, _)| s.get(a).unwrap().addr())
            .collect();
        for &obj in &before {
            // SAFETY: a live array's whole body pages, in the heap's mapping.
            unsafe { page_out(body_pages(obj), pages_of(obj) * PAGE) }.expect("MADV_PAGEOUT");
        }
        let out: Vec<usize> = before
            .iter()
            .map(|&a| swapped(&pagemap, body_pages(a), pages_of(a)))
            .collect();
        let out_before: usize = out.iter().sum();
        assert!(
            out_before > live.len() * (body - 1) / 2,
            "MADV_PAGEOUT swapped out {out_before} of {} pages",
            live.len() * body
        );
        let swapped_in = pswpin().expect("pswpin in /proc/vmstat");
        movegc_tests::collect_and_wait_for_compaction(s.mutator()).unwrap();
        let swapped_in = pswpin().expect("pswpin in /proc/vmstat") - swapped_in;
        let st = heap.stats();
        let c = st.last_compaction.clone().unwrap();
        eprintln!("{}\n{c}", st.last.as_ref().unwrap());
        let after: Vec<usize> = live
            .iter()
            .map(|&(a, _)| s.get(a).unwrap().addr())
            .collect();
        let moved: Vec<usize> = (0..live.len()).filter(|&i| before[i] != after[i]).collect();
        assert!(
            moved.len() > live.len() / 2,
            "{} of {} arrays moved: {c}",
            moved.len(),
            live.len()
        );
        if unread_min != 0 {
            assert!(
                after.iter().all(|&a| (a + 8) % PAGE == 0),
                "a body lost its alignment"
            );
        }
        let seen = Medium {
            out_then: moved.iter().map(|&i| out[i]).sum(),
            out_now: moved
                .iter()
                .map(|&i| swapped(&pagemap, body_pages(after[i]), pages_of(after[i])))
                .sum(),
            swapped_in,
            unread_moving: c.unread_moving,
            busy: c.copied_busy,
            moved: moved.len(),
        };
        eprintln!(
            "{} arrays moved: {} body pages swapped out at their new addresses, {} at the \
             old ones before the cycle; pswpin +{swapped_in} during the cycle",
            seen.moved, seen.out_now, seen.out_then,
        );
        for &(a, id) in &live {
            let obj: ObjRef = s.get(a).unwrap();
            for k in 0..MEDIUM_LEN / 8 {
                // SAFETY: a live byte array; no safepoint in the loop.
                let got = unsafe { obj.read_word(8 + k * 8) };
                assert_eq!(got, word(id, k), "array {id} word {k}");
            }
        }
        seen
    });
    drop(m);
    drop(heap);
    drop(swap);
    Some(seen)
}

/// Reference-free objects below the large threshold move unread too: their
/// body pages, pushed out, are still swapped out at their new addresses
/// after a Move-mode cycle, with next to no swap-in, and read back intact.
#[test]
fn swapped_out_reference_free_objects_move_unread() {
    let Some(seen) = medium_cycle("swap-test-medium", gc_core::UNREAD_MIN) else {
        return;
    };
    let body = MEDIUM_LEN / PAGE;
    assert!(
        seen.unread_moving + seen.busy >= seen.moved * body,
        "the moved arrays' body pages were not moved unread: {} pages ({} busy)",
        seen.unread_moving,
        seen.busy
    );
    assert!(
        seen.out_now >= seen.out_then * 9 / 10,
        "only {} of {} pages still swapped out after moving",
        seen.out_now,
        seen.out_then
    );
    assert!(
        seen.swapped_in <= (seen.moved / 10 + 16) as u64,
        "the cycle swapped in {} pages",
        seen.swapped_in
    );
}

/// The same heap with the feature off (`unread_min(0)`): every page is
/// built, so the moved arrays' pages are read (swapped in) and copied. What
/// the test above would see if pages were not moved unread.
#[test]
fn with_unread_off_the_same_pages_are_swapped_in() {
    let Some(seen) = medium_cycle("swap-test-medium-off", 0) else {
        return;
    };
    assert_eq!(seen.unread_moving, 0);
    assert!(
        seen.out_now < seen.out_then / 10,
        "{} of {} pages still swapped out with the feature off",
        seen.out_now,
        seen.out_then
    );
}
