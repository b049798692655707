//! The SIGBUS dispatcher against the real kernel: faults resolved by the
//! faulting thread itself, under contention and while ranges come and go.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::*;
use gc_uffd::sigbus::{self, Fault, FaultAction};
use gc_uffd::{Capability, ErrorKind, Features, MoveMode, Outcome, Reservation, Userfaultfd, Wake};

/// A heap range whose missing pages are moved in, on fault, from the same
/// offset of a stamped shadow: the shape of concurrent compaction.
struct MoveOnFault {
    heap: Arc<Reservation>,
    shadow: Arc<Reservation>,
    moved: Arc<AtomicUsize>,
    lost_races: Arc<AtomicUsize>,
    _range: sigbus::SigbusRange,
    _uffd: Arc<Userfaultfd>,
}

impl MoveOnFault {
    fn new(pages: usize, tag: u64) -> Self {
        let uffd = Arc::new(Userfaultfd::open(Features::SIGBUS | Features::MOVE).unwrap());
        let heap = Arc::new(empty(pages));
        let shadow = Arc::new(stamped(pages, tag));
        uffd.register(heap.range()).unwrap();
        let moved = Arc::new(AtomicUsize::new(0));
        let lost_races = Arc::new(AtomicUsize::new(0));
        let (u, h, s, m, l) = (
            uffd.clone(),
            heap.clone(),
            shadow.clone(),
            moved.clone(),
            lost_races.clone(),
        );
        let handler = move |fault: &Fault| {
            let page_addr = fault.addr() & !(gc_uffd::page_size() - 1);
            let src = s.start() + (page_addr - h.start());
            // SAFETY: the shadow page is owned by this test and referenced by nobody.
            let p =
                unsafe { u.move_pages(page_addr, src, gc_uffd::page_size(), MoveMode::empty()) };
            // Another thread moving the same page makes this MOVE find the
            // page placed (EEXIST), its source gone (ENOENT) or the two page
            // tables busy (EAGAIN): the access is retried, and faults again if
            // the page is still missing. Anything else is forwarded, and the
            // default action ends the test process.
            match p.outcome {
                Outcome::Complete => m.fetch_add(1, Ordering::Relaxed),
                Outcome::Exists | Outcome::SourceHole | Outcome::Again => {
                    l.fetch_add(1, Ordering::Relaxed)
                }
                _ => return FaultAction::Forward,
            };
            FaultAction::Resolved
        };
        // SAFETY: the handler makes one ioctl and atomic increments.
        let range = unsafe { sigbus::register_range(heap.range(), handler) }.unwrap();
        MoveOnFault {
            heap,
            shadow,
            moved,
            lost_races,
            _range: range,
            _uffd: uffd,
        }
    }
}

#[test]
fn a_fault_on_another_thread_is_resolved_by_moving_the_page_in() {
    if !require(&[Capability::Move, Capability::Sigbus]) {
        return;
    }
    let m = MoveOnFault::new(16, 20);
    let heap = m.heap.clone();
    let seen = std::thread::spawn(move || {
        (0..16)
            .map(|i| read_stamp(heap.start() + i * page()))
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    for (i, s) in seen.into_iter().enumerate() {
        assert_eq!(s, Some(marker(20, i)), "page {i}");
        assert!(
            is_zero(m.shadow.start() + i * page()),
            "page {i} left the shadow"
        );
    }
    assert_eq!(
        m.moved.load(Ordering::Relaxed),
        16,
        "one fault and one move per page"
    );
}

/// More threads than cores fault on the same pages in different orders: each
/// page is moved exactly once, the losers of each race find it in place, and
/// every thread reads the right contents.
#[test]
fn stress_many_threads_fault_on_shared_pages() {
    if !require(&[Capability::Move, Capability::Sigbus]) {
        return;
    }
    const PAGES: usize = 2048;
    const THREADS: usize = 8;
    let m = MoveOnFault::new(PAGES, 21);
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let heap = m.heap.clone();
            std::thread::spawn(move || {
                let mut bad = 0;
                for k in 0..PAGES {
                    // Each thread walks the pages with its own stride, so they collide.
                    let i = (k * (2 * t + 1) + t * 97) % PAGES;
                    if read_stamp(heap.start() + i * page()) != Some(marker(21, i)) {
                        bad += 1;
                    }
                }
                bad
            })
        })
        .collect();
    let bad: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(bad, 0, "pages read with wrong contents");
    assert_eq!(
        m.moved.load(Ordering::Relaxed),
        PAGES,
        "every page moved exactly once"
    );
    eprintln!(
        "races lost to another thread's move: {}",
        m.lost_races.load(Ordering::Relaxed)
    );
}

/// Worker threads keep faulting in one range while the main thread adds and
/// removes other ranges; a removed range's handler is never called once its
/// removal has returned.
#[test]
fn ranges_come_and_go_while_threads_fault() {
    if !require(&[Capability::Sigbus]) {
        return;
    }
    const PAGES: usize = 4096;
    let uffd = Arc::new(Userfaultfd::open(Features::SIGBUS).unwrap());
    let heap = Arc::new(empty(PAGES));
    uffd.register(heap.range()).unwrap();
    let u = uffd.clone();
    // SAFETY: the handler makes one ioctl.
    let _busy = unsafe {
        sigbus::register_range(heap.range(), move |f: &Fault| {
            let page_addr = f.addr() & !(gc_uffd::page_size() - 1);
            match u
                .zero_pages(page_addr, gc_uffd::page_size(), Wake::Yes)
                .outcome
            {
                Outcome::Complete | Outcome::Exists => FaultAction::Resolved,
                _ => FaultAction::Forward,
            }
        })
    }
    .unwrap();
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let heap = heap.clone();
            std::thread::spawn(move || {
                let mut sum = 0u64;
                for i in (t..PAGES).step_by(4) {
                    // SAFETY: the page is mapped (and placed on first touch) and owned by the test.
                    sum += unsafe { ((heap.start() + i * page()) as *const u64).read_volatile() };
                }
                sum
            })
        })
        .collect();
    let spare = empty(64);
    let mut churned = 0;
    while !workers.iter().all(|w| w.is_finished()) || churned < 1000 {
        let i = churned % 64;
        let removed = Arc::new(AtomicBool::new(false));
        let flag = removed.clone();
        let range = spare.start() + i * page()..spare.start() + (i + 1) * page();
        // SAFETY: the handler reads an atomic.
        let guard = unsafe {
            sigbus::register_range(range, move |_: &Fault| {
                assert!(!flag.load(Ordering::SeqCst));
                FaultAction::Forward
            })
        }
        .unwrap();
        drop(guard);
        removed.store(true, Ordering::SeqCst);
        churned += 1;
    }
    for w in workers {
        assert_eq!(w.join().unwrap(), 0, "placed zero pages read as zero");
    }
}

#[test]
fn overlapping_and_empty_ranges_are_refused() {
    if !require(&[Capability::Sigbus]) {
        return;
    }
    let r = empty(4);
    // SAFETY: the handlers do nothing.
    let _a = unsafe {
        sigbus::register_range(r.start()..r.start() + 2 * page(), |_: &Fault| {
            FaultAction::Forward
        })
    }
    .unwrap();
    // SAFETY: as above.
    let e = unsafe {
        sigbus::register_range(r.start() + page()..r.start() + 3 * page(), |_: &Fault| {
            FaultAction::Forward
        })
    }
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("overlaps"), "{e}");
    // SAFETY: as above.
    let e =
        unsafe { sigbus::register_range(r.start()..r.start(), |_: &Fault| FaultAction::Forward) }
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    // SAFETY: as above.
    let b = unsafe {
        sigbus::register_range(
            r.start() + 2 * page()..r.start() + 4 * page(),
            |_: &Fault| FaultAction::Forward,
        )
    }
    .unwrap();
    assert_eq!(b.range(), r.start() + 2 * page()..r.start() + 4 * page());
}
