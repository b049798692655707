//! gc-uffd against the real kernel: reservations, mremap, and every
//! page-placing ioctl with each outcome a caller must handle.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use gc_uffd::{
    Capability, ErrorKind, Features, MoveMode, Op, Outcome, Reservation, Userfaultfd, Wake,
};

const GIB: usize = 1 << 30;

fn uffd(features: Features) -> Userfaultfd {
    Userfaultfd::open(features).expect("the probe said userfaultfd works")
}

#[test]
fn reservations_honour_alignment_and_release_memory() {
    let r = Reservation::new(4 * GIB, GIB).unwrap();
    assert_eq!(r.start() % GIB, 0);
    assert_eq!(r.size(), 4 * GIB);
    r.disable_huge_pages().unwrap();
    r.exclude_from_fork().unwrap();
    let last = r.start() + r.size() - page();
    stamp(last, 7);
    r.commit(0, 16 * page()).unwrap();
    stamp(r.start(), 9);
    assert_eq!(read_stamp(r.start()), Some(9));
    r.decommit(0, 16 * page()).unwrap();
    r.decommit(r.size() - page(), page()).unwrap();
    assert!(
        is_zero(r.start()) && is_zero(last),
        "decommitted pages read as zero"
    );
}

#[test]
fn reservations_reject_bad_input_clearly() {
    let e = Reservation::new(page() + 1, page()).unwrap_err();
    assert_eq!((e.op(), e.kind()), (Op::Reserve, ErrorKind::InvalidInput));
    assert!(e.to_string().contains("multiple of the page size"), "{e}");
    let e = Reservation::new(page(), 3 * page()).unwrap_err();
    assert!(e.to_string().contains("power of two"), "{e}");
    let r = empty(4);
    let e = r.decommit(page(), 4 * page()).unwrap_err();
    assert!(e.to_string().contains("past the end"), "{e}");
    let e = r.commit(1, page()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn mremap_dontunmap_moves_pages_to_the_shadow() {
    if !require(&[Capability::DontUnmap]) {
        return;
    }
    let heap = Reservation::new(64 * page(), 2 << 20).unwrap();
    let shadow = Reservation::new(64 * page(), 2 << 20).unwrap();
    for i in 0..64 {
        stamp(heap.start() + i * page(), marker(1, i));
    }
    heap.remap_into(0, 64 * page(), &shadow, 0).unwrap();
    for i in 0..64 {
        assert_eq!(read_stamp(shadow.start() + i * page()), Some(marker(1, i)));
        assert!(
            is_zero(heap.start() + i * page()),
            "the source is left empty"
        );
    }
    let e = heap
        .remap_into(page(), 64 * page(), &shadow, 0)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn a_registered_range_stays_registered_across_the_remap() {
    if !require(&[
        Capability::Userfaultfd,
        Capability::UserModeOnly,
        Capability::DontUnmap,
    ]) {
        return;
    }
    let uffd = uffd(Features::empty());
    let heap = stamped(8, 2);
    let shadow = empty(8);
    uffd.register(heap.range()).unwrap();
    heap.remap_into(0, 8 * page(), &shadow, 0).unwrap();
    assert_eq!(
        kernel_write_into(heap.start() + 3 * page()),
        Some(libc::EFAULT),
        "after the remap the heap page is missing, not a fresh zero page"
    );
    assert_eq!(read_stamp(shadow.start() + 3 * page()), Some(marker(2, 3)));
}

#[test]
fn kernel_access_to_a_missing_page_fails_with_efault() {
    if !require(&[Capability::Userfaultfd, Capability::UserModeOnly]) {
        return;
    }
    let uffd = uffd(Features::empty());
    let heap = empty(1);
    uffd.register(heap.range()).unwrap();
    assert_eq!(kernel_write_into(heap.start()), Some(libc::EFAULT));
    // Once a page is placed, the same system call succeeds.
    assert!(
        uffd.zero_pages(heap.start(), page(), Wake::Yes)
            .is_complete()
    );
    assert_eq!(kernel_write_into(heap.start()), None);
    // SAFETY: the page is mapped now and owned by this test.
    let written = unsafe { std::slice::from_raw_parts(heap.as_ptr(), 6) };
    assert_eq!(written, b"movegc");
}

#[test]
fn move_places_a_page_and_empties_the_source() {
    if !require(&[Capability::Move]) {
        return;
    }
    let uffd = uffd(Features::MOVE);
    let src = stamped(1, 3);
    let dst = empty(1);
    let ioctls = uffd.register(dst.range()).unwrap();
    assert!(ioctls.can_move() && ioctls.can_copy() && ioctls.can_zero() && ioctls.can_wake());
    // SAFETY: both pages belong to this test and no reference points into them.
    let p = unsafe { uffd.move_pages(dst.start(), src.start(), page(), MoveMode::empty()) };
    assert_eq!((p.placed, p.outcome), (page(), Outcome::Complete));
    assert_eq!(read_stamp(dst.start()), Some(marker(3, 0)));
    assert!(
        is_zero(src.start()),
        "the moved-out source reads as the zero page"
    );
}

#[test]
fn move_places_a_64_page_run_in_one_call() {
    if !require(&[Capability::Move]) {
        return;
    }
    let uffd = uffd(Features::MOVE);
    let src = stamped(64, 4);
    let dst = empty(64);
    uffd.register(dst.range()).unwrap();
    let mut done = 0;
    while done < 64 * page() {
        // SAFETY: as above.
        let p = unsafe {
            uffd.move_pages(
                dst.start() + done,
                src.start() + done,
                64 * page() - done,
                MoveMode::empty(),
            )
        };
        assert!(
            matches!(p.outcome, Outcome::Complete | Outcome::Again),
            "{p:?}"
        );
        done += p.placed;
    }
    for i in 0..64 {
        assert_eq!(read_stamp(dst.start() + i * page()), Some(marker(4, i)));
    }
}

#[test]
fn racing_placements_of_one_page_have_exactly_one_winner() {
    if !require(&[Capability::Move]) {
        return;
    }
    const PAGES: usize = 128;
    let uffd = Arc::new(uffd(Features::MOVE));
    let dst = Arc::new(empty(PAGES));
    uffd.register(dst.range()).unwrap();
    let sources = [Arc::new(stamped(PAGES, 10)), Arc::new(stamped(PAGES, 11))];
    let barrier = Arc::new(Barrier::new(2));
    let racers: Vec<_> = sources
        .iter()
        .map(|src| {
            let (uffd, dst, src, barrier) =
                (uffd.clone(), dst.clone(), src.clone(), barrier.clone());
            std::thread::spawn(move || {
                (0..PAGES)
                    .map(|i| {
                        barrier.wait();
                        // SAFETY: each racer owns its source; the destination is registered.
                        unsafe {
                            uffd.move_pages(
                                dst.start() + i * page(),
                                src.start() + i * page(),
                                page(),
                                MoveMode::empty(),
                            )
                        }
                        .outcome
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let outcomes: Vec<Vec<Outcome>> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    for (i, (first, second)) in outcomes[0].iter().zip(&outcomes[1]).enumerate() {
        let winner = match (*first, *second) {
            (Outcome::Complete, Outcome::Exists) => 0,
            (Outcome::Exists, Outcome::Complete) => 1,
            other => panic!("page {i}: expected one Complete and one Exists, got {other:?}"),
        };
        let loser = 1 - winner;
        assert_eq!(
            read_stamp(dst.start() + i * page()),
            Some(marker(10 + winner as u64, i))
        );
        assert_eq!(
            read_stamp(sources[loser].start() + i * page()),
            Some(marker(10 + loser as u64, i)),
            "the loser's page stays where it was"
        );
    }
}

#[test]
fn move_reports_a_hole_in_the_source() {
    if !require(&[Capability::Move, Capability::UserModeOnly]) {
        return;
    }
    let uffd = uffd(Features::MOVE);
    let src = stamped(2, 5);
    src.decommit(page(), page()).unwrap();
    let dst = empty(2);
    uffd.register(dst.range()).unwrap();
    // SAFETY: both ranges belong to this test.
    let p = unsafe { uffd.move_pages(dst.start(), src.start(), 2 * page(), MoveMode::empty()) };
    assert_eq!(p.placed, page(), "the page before the hole moved");
    assert!(
        matches!(p.outcome, Outcome::Again | Outcome::SourceHole),
        "{p:?}"
    );
    // SAFETY: as above.
    let p = unsafe {
        uffd.move_pages(
            dst.start() + page(),
            src.start() + page(),
            page(),
            MoveMode::empty(),
        )
    };
    assert_eq!((p.placed, p.outcome), (0, Outcome::SourceHole));
    // SAFETY: as above.
    let p = unsafe {
        uffd.move_pages(
            dst.start() + page(),
            src.start() + page(),
            page(),
            MoveMode::ALLOW_SRC_HOLES,
        )
    };
    assert_eq!(p.outcome, Outcome::Complete, "holes are skipped on request");
    assert_eq!(read_stamp(dst.start()), Some(marker(5, 0)));
    assert_eq!(
        kernel_write_into(dst.start() + page()),
        Some(libc::EFAULT),
        "a skipped hole stays missing"
    );
}

/// Forks a child that exits at once, so every page the parent had becomes
/// shared with it for a moment.
fn fork_and_reap() {
    // SAFETY: the child calls only `_exit`, which is async-signal-safe, so forking a
    // multi-threaded process is sound.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: see above.
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: reaps the child just forked.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
}

#[test]
fn move_of_a_page_shared_by_fork_is_busy_and_copy_still_places_it() {
    if !require(&[Capability::Move]) {
        return;
    }
    let uffd = uffd(Features::MOVE);
    let src = Reservation::new(page(), page()).unwrap();
    stamp(src.start(), marker(6, 0));
    let dst = empty(1);
    uffd.register(dst.range()).unwrap();
    fork_and_reap();
    // SAFETY: both pages belong to this test.
    let p = unsafe { uffd.move_pages(dst.start(), src.start(), page(), MoveMode::empty()) };
    assert_eq!((p.placed, p.outcome), (0, Outcome::Busy));
    let p = uffd.copy_pages(dst.start(), src.start(), page(), Wake::Yes);
    assert_eq!(p.outcome, Outcome::Complete);
    assert_eq!(read_stamp(dst.start()), Some(marker(6, 0)));
    assert_eq!(
        read_stamp(src.start()),
        Some(marker(6, 0)),
        "COPY leaves the source in place"
    );
}

#[test]
fn dontfork_keeps_move_working_across_fork() {
    if !require(&[Capability::Move]) {
        return;
    }
    let uffd = uffd(Features::MOVE);
    let src = empty(1);
    stamp(src.start(), marker(7, 0));
    let dst = empty(1);
    uffd.register(dst.range()).unwrap();
    fork_and_reap();
    // SAFETY: both pages belong to this test.
    let p = unsafe { uffd.move_pages(dst.start(), src.start(), page(), MoveMode::empty()) };
    assert_eq!(p.outcome, Outcome::Complete);
    assert_eq!(read_stamp(dst.start()), Some(marker(7, 0)));
}

/// A MOVE of owned pages that meets a page another thread placed counts the
/// pages it moved before it, no more: the check of the page tables such a
/// failed MOVE gets (the kernel was seen to misreport one) finds that page's
/// source still in place, and stops there.
#[test]
fn a_move_meeting_a_placed_page_counts_only_the_pages_before_it() {
    if !require(&[Capability::Move]) {
        return;
    }
    let uffd = uffd(Features::MOVE);
    let src = stamped(4, 20);
    let other = stamped(1, 30);
    let dst = empty(4);
    uffd.register(dst.range()).unwrap();
    let p = uffd.copy_pages(dst.start() + 2 * page(), other.start(), page(), Wake::Yes);
    assert_eq!(p.outcome, Outcome::Complete);
    // SAFETY: both ranges belong to this test.
    let p =
        unsafe { uffd.move_owned_pages(dst.start(), src.start(), 4 * page(), MoveMode::empty()) };
    assert_eq!(p.placed, 2 * page(), "{p:?}");
    assert!(
        matches!(p.outcome, Outcome::Again | Outcome::Exists),
        "{p:?}"
    );
    // SAFETY: as above; the caller's retry of the rest.
    let p = unsafe {
        uffd.move_owned_pages(
            dst.start() + 2 * page(),
            src.start() + 2 * page(),
            2 * page(),
            MoveMode::empty(),
        )
    };
    assert_eq!((p.placed, p.outcome), (0, Outcome::Exists));
    assert_eq!(read_stamp(dst.start() + page()), Some(marker(20, 1)));
    assert_eq!(read_stamp(dst.start() + 2 * page()), Some(marker(30, 0)));
    assert_eq!(
        read_stamp(src.start() + 2 * page()),
        Some(marker(20, 2)),
        "the page not moved stays in the source"
    );
}

#[test]
fn copy_and_zeropage_fill_only_missing_pages() {
    if !require(&[Capability::Userfaultfd]) {
        return;
    }
    let uffd = uffd(Features::empty());
    let src = stamped(4, 8);
    let dst = empty(4);
    uffd.register(dst.range()).unwrap();
    let p = uffd.copy_pages(dst.start(), src.start(), 2 * page(), Wake::Yes);
    assert_eq!((p.placed, p.outcome), (2 * page(), Outcome::Complete));
    let p = uffd.copy_pages(dst.start() + page(), src.start(), page(), Wake::Yes);
    assert_eq!((p.placed, p.outcome), (0, Outcome::Exists));
    assert_eq!(
        read_stamp(dst.start() + page()),
        Some(marker(8, 1)),
        "a placed page is never overwritten"
    );
    let p = uffd.zero_pages(dst.start() + 2 * page(), 2 * page(), Wake::No);
    assert_eq!(p.outcome, Outcome::Complete);
    uffd.wake(dst.range()).unwrap();
    assert!(is_zero(dst.start() + 3 * page()));
    let p = uffd.zero_pages(dst.start(), page(), Wake::Yes);
    assert_eq!(p.outcome, Outcome::Exists);
}

#[test]
fn placements_reject_bad_input_without_a_system_call() {
    if !require(&[Capability::Move]) {
        return;
    }
    let uffd = uffd(Features::empty());
    let dst = empty(2);
    uffd.register(dst.range()).unwrap();
    let p = uffd.copy_pages(dst.start() + 8, dst.start(), page(), Wake::Yes);
    assert!(
        matches!(p.outcome, Outcome::Failed(e) if e.kind() == ErrorKind::InvalidInput),
        "{p:?}"
    );
    // SAFETY: fails before touching memory.
    let p =
        unsafe { uffd.move_pages(dst.start(), dst.start() + page(), page(), MoveMode::empty()) };
    match p.outcome {
        Outcome::Failed(e) => {
            assert_eq!(e.kind(), ErrorKind::Unsupported);
            assert!(e.to_string().contains("Features::MOVE"), "{e}");
        }
        other => panic!("MOVE without the feature must fail, got {other:?}"),
    }
    let e = uffd.register(dst.start()..dst.start() + 10).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn move_to_an_unregistered_destination_explains_itself() {
    if !require(&[Capability::Move]) {
        return;
    }
    let uffd = uffd(Features::MOVE);
    let src = stamped(1, 9);
    let dst = empty(1);
    // SAFETY: both pages belong to this test.
    let p = unsafe { uffd.move_pages(dst.start(), src.start(), page(), MoveMode::empty()) };
    match p.outcome {
        Outcome::Failed(e) => {
            assert_eq!(e.errno(), Some(libc::EINVAL));
            let text = e.to_string();
            assert!(
                text.contains("UFFDIO_MOVE")
                    && text.contains("EINVAL")
                    && text.contains("registered"),
                "{text}"
            );
        }
        other => panic!("expected EINVAL, got {other:?}"),
    }
    assert_eq!(read_stamp(src.start()), Some(marker(9, 0)));
}

#[test]
fn the_probe_agrees_with_the_handshake() {
    if !require(&[Capability::Userfaultfd]) {
        return;
    }
    let probe = gc_uffd::Capabilities::get();
    let available = uffd(Features::empty()).available_features();
    assert_eq!(
        probe.has(Capability::Move),
        available.contains(Features::MOVE)
    );
    assert_eq!(
        probe.has(Capability::Sigbus),
        available.contains(Features::SIGBUS)
    );
    let text = probe.to_string();
    assert!(
        text.contains(probe.kernel()) && text.contains("UFFDIO_MOVE"),
        "{text}"
    );
}

/// Whether the page at `addr` has a page in this process (`mincore`, which
/// reads no memory).
fn resident(addr: usize) -> bool {
    let mut vec = [0u8; 1];
    // SAFETY: `mincore` writes one byte for one page into `vec`.
    let rc = unsafe { libc::mincore(addr as *mut libc::c_void, page(), vec.as_mut_ptr()) };
    assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
    vec[0] & 1 == 1
}

/// Forks a child that runs `child` (which must be async-signal-safe) and
/// exits with the status it returns; returns that status.
fn fork_run(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child runs only async-signal-safe code (system calls and
    // memory reads and writes) before `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let status = child();
        // SAFETY: see above.
        unsafe { libc::_exit(status) };
    }
    let mut status = 0;
    // SAFETY: reaps the child just forked.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "the child died: {status:#x}");
    libc::WEXITSTATUS(status)
}

/// A userfaultfd belongs to the process that opened it: a forked child that
/// registers a range through the one it inherited registers the *parent's*
/// range, and places pages in the parent. (Why a child must `reopen` it.)
#[test]
fn an_inherited_userfaultfd_serves_the_parent() {
    if !require(&[Capability::Userfaultfd]) {
        return;
    }
    let uffd = uffd(Features::empty());
    let src = stamped(1, 8);
    src.include_in_fork().unwrap();
    let dst = empty(1);
    dst.include_in_fork().unwrap();
    let status = fork_run(|| {
        if uffd.register(dst.range()).is_err() {
            return 2;
        }
        match uffd
            .copy_pages(dst.start(), src.start(), page(), Wake::Yes)
            .outcome
        {
            Outcome::Complete => i32::from(!is_zero(dst.start())),
            _ => 3,
        }
    });
    assert_eq!(status, 0, "the child's own page stays empty");
    assert_eq!(
        read_stamp(dst.start()),
        Some(marker(8, 0)),
        "the child placed the page in the parent"
    );
    uffd.unregister(dst.range()).unwrap();
}

/// After `reopen`, a forked child's userfaultfd serves the child: it
/// registers and fills the child's own range (inherited, `include_in_fork`),
/// and the parent's stays as it was.
#[test]
fn a_forked_child_reopens_its_userfaultfd() {
    if !require(&[Capability::Userfaultfd]) {
        return;
    }
    let uffd = uffd(Features::empty());
    let src = stamped(1, 9);
    src.include_in_fork().unwrap();
    let dst = empty(1);
    dst.include_in_fork().unwrap();
    let status = fork_run(|| {
        if uffd.reopen().is_err() {
            return 2;
        }
        if uffd.features() != Features::empty() || uffd.register(dst.range()).is_err() {
            return 3;
        }
        match uffd
            .copy_pages(dst.start(), src.start(), page(), Wake::Yes)
            .outcome
        {
            Outcome::Complete if read_stamp(dst.start()) == Some(marker(9, 0)) => 0,
            _ => 4,
        }
    });
    assert_eq!(status, 0, "the child's userfaultfd works for the child");
    assert!(!resident(dst.start()), "the parent's page was not touched");
    // The parent's userfaultfd is its own still.
    uffd.register(dst.range()).unwrap();
    let p = uffd.copy_pages(dst.start(), src.start(), page(), Wake::Yes);
    assert_eq!(p.outcome, Outcome::Complete);
    assert_eq!(read_stamp(dst.start()), Some(marker(9, 0)));
}

/// `exclude_from_fork` leaves a range out of children, `include_in_fork`
/// puts it back. (Linux only: the portable backend's advice does nothing.)
#[test]
#[cfg_attr(movegc_portable, ignore = "the portable backend ignores fork advice")]
fn include_in_fork_undoes_exclude_from_fork() {
    let r = stamped(1, 10);
    let mapped = |r: &Reservation| {
        let addr = r.start();
        fork_run(move || {
            let mut vec = [0u8; 1];
            // SAFETY: `mincore` reads no memory at `addr`; async-signal-safe.
            let rc = unsafe { libc::mincore(addr as *mut libc::c_void, page(), vec.as_mut_ptr()) };
            i32::from(rc == 0)
        }) == 1
    };
    assert!(!mapped(&r), "excluded");
    r.include_in_fork().unwrap();
    assert!(mapped(&r), "included");
    r.exclude_from_fork().unwrap();
    assert!(!mapped(&r), "excluded again");
}
