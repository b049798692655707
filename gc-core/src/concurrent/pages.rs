//! The per-page protocol of a concurrent compaction. Every to-space page has
//! one state byte: unprocessed → claimed (by the compaction thread or a
//! faulting mutator, by compare-and-swap) → mapped (or failed). Only the
//! claimer builds and places the page, so each page is built once and placed
//! once; a mutator that faults on a page someone else claimed waits until it
//! is mapped, and marks it wanted (a flag beside the state) so that a
//! claimer building a long run places that page before the rest of the run.
//! A mutator's fault that continues its own scan up the heap (right above
//! the pages its last fault placed) claims the pages above its own too,
//! stopping at the first another thread claimed.
//! Everything here is async-signal-safe: atomics and `sched_yield`.

use crate::sync::{AtomicU8, AtomicU64, AtomicUsize, Ordering, Zeroed, yield_wait};

const UNPROCESSED: u8 = 0;
const CLAIMED: u8 = 1;
const MAPPED: u8 = 2;
const FAILED: u8 = 3;

/// The state of every to-space page of one compaction.
pub(crate) struct PageStates {
    states: Zeroed<AtomicU8>,
    /// Per page, 1 once a thread waited for it (the waiters write here, not
    /// to the state, which only the claimer finishes).
    wants: Zeroed<AtomicU8>,
    /// Pages marked wanted so far: a claimer that saw it unchanged since it
    /// last looked knows no page of its run has been marked since.
    wanted: AtomicUsize,
    /// Each mutator's last fault that placed pages.
    last_faults: LastFaults,
}

/// Slots of [`LastFaults`].
const LAST_FAULT_SLOTS: usize = 64;

/// Where each mutator thread's last fault ended the pages it placed, and
/// how many: a slot a thread (by id), one word, so a SIGBUS handler reads
/// and writes it with atomics alone. Two threads sharing a slot only lose
/// each other's runs. Per thread, not per page: a page right above one that
/// some earlier fault placed is where random reads often land too (the
/// latency bench's slot arrays, late in a compaction), and a run built
/// there is read by no one.
struct LastFaults([AtomicU64; LAST_FAULT_SLOTS]);

impl LastFaults {
    fn new() -> Self {
        LastFaults(std::array::from_fn(|_| AtomicU64::new(0)))
    }

    /// The word for thread `tid` having placed `n` pages ending at `end`:
    /// the id's low 24 bits, `n` (8 bits), `end` (32 bits).
    fn word(tid: u32, end: usize, n: usize) -> u64 {
        let n = n.min(usize::from(u8::MAX)) as u64;
        (u64::from(tid & 0xff_ffff) << 40) | (n << 32) | (end as u64 & 0xffff_ffff)
    }

    fn slot(&self, tid: u32) -> &AtomicU64 {
        &self.0[tid as usize % LAST_FAULT_SLOTS]
    }
}

/// The byte tables behind a [`PageStates`], zero throughout, with room for
/// some number of pages: a compaction's are kept for the next one, whose
/// pause then neither maps them nor touches their pages first (as the
/// buffer queue's, whose making took a quarter of a young cycle's pause).
pub(crate) struct StateTables([Zeroed<AtomicU8>; 2]);

impl StateTables {
    /// Tables with room for `pages` pages.
    pub(crate) fn new(pages: usize) -> gc_uffd::Result<Self> {
        Ok(StateTables([Zeroed::new(pages)?, Zeroed::new(pages)?]))
    }

    /// The pages they have room for.
    fn room(&self) -> usize {
        self.0.iter().map(|t| t.len()).min().unwrap_or(0)
    }
}

impl PageStates {
    /// `pages` pages, all unprocessed.
    pub(crate) fn new(pages: usize) -> gc_uffd::Result<Self> {
        Self::reusing(None, pages)
    }

    /// `pages` pages, all unprocessed, in `tables` if they have room for
    /// them (else in new ones).
    pub(crate) fn reusing(tables: Option<StateTables>, pages: usize) -> gc_uffd::Result<Self> {
        let tables = match tables {
            Some(t) if t.room() >= pages => t,
            _ => StateTables::new(pages)?,
        };
        let [mut states, mut wants] = tables.0;
        for t in [&mut states, &mut wants] {
            t.truncate(pages);
        }
        Ok(PageStates {
            states,
            wants,
            wanted: AtomicUsize::new(0),
            last_faults: LastFaults::new(),
        })
    }

    /// Takes the tables, zeroed where they were written, for another
    /// compaction; leaves none.
    pub(crate) fn take_tables(&mut self) -> StateTables {
        StateTables([&mut self.states, &mut self.wants].map(|t| {
            let written = t.len();
            let mut t = std::mem::take(t);
            t.clear(written);
            t
        }))
    }

    /// The number of pages.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// Claims page `i` for this thread to build and place; false if another
    /// thread has.
    pub(crate) fn try_claim(&self, i: usize) -> bool {
        self.states[i]
            .compare_exchange(UNPROCESSED, CLAIMED, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }

    /// The claimer's report: page `i` is in place, or could not be placed.
    /// Release: whoever sees it mapped also sees every read the claimer made
    /// of the page's sources finished (a source page may be recycled then).
    pub(crate) fn finish(&self, i: usize, placed: bool) {
        self.states[i].store(if placed { MAPPED } else { FAILED }, Ordering::Release);
    }

    /// Whether page `i` is in place.
    pub(crate) fn is_mapped(&self, i: usize) -> bool {
        self.states[i].load(Ordering::Acquire) == MAPPED
    }

    /// A thread that needs page `i` in place: claims it and runs `place` (which
    /// builds and places it and says whether it could), or waits for the thread
    /// that claimed it. Returns whether the page is in place, and whether this
    /// thread placed it.
    pub(crate) fn serve(&self, i: usize, place: impl FnOnce() -> bool) -> (bool, bool) {
        if self.try_claim(i) {
            let placed = place();
            self.finish(i, placed);
            return (placed, true);
        }
        self.want(i);
        (self.wait(i), false)
    }

    /// Claims the pages above page `i` (the caller's) one after another,
    /// until one another thread claimed or `i + n`; returns the end of the
    /// run claimed.
    pub(crate) fn claim_above(&self, i: usize, n: usize) -> usize {
        let end = i.saturating_add(n).min(self.len());
        (i + 1..end).find(|&j| !self.try_claim(j)).unwrap_or(end)
    }

    /// How many pages thread `tid`'s fault on page `i` builds, from `i` up:
    /// if its last fault placed the pages just below `i`, twice as many, at
    /// most `max` (a program scanning up the heap reads them next); or 1.
    pub(crate) fn scan_run(&self, tid: u32, i: usize, max: usize) -> usize {
        let last = self.last_faults.slot(tid).load(Ordering::Relaxed);
        let below = (last >> 32) as usize & 0xff;
        if below > 0 && last == LastFaults::word(tid, i, below) {
            (2 * below).clamp(1, max)
        } else {
            1
        }
    }

    /// Thread `tid`'s fault placed pages `lo..end`: its next fault continues
    /// its scan if it comes on `end`.
    pub(crate) fn scanned(&self, tid: u32, lo: usize, end: usize) {
        let word = LastFaults::word(tid, end, end - lo);
        self.last_faults.slot(tid).store(word, Ordering::Relaxed);
    }

    /// Marks page `i` wanted, for its claimer to see.
    fn want(&self, i: usize) {
        if self.wants[i].swap(1, Ordering::Relaxed) == 0 {
            self.wanted.fetch_add(1, Ordering::Release);
        }
    }

    /// Pages marked wanted so far (see [`is_wanted`](Self::is_wanted)).
    /// Acquire: pairs with the waiter's count, so a claimer that sees the
    /// count moved sees the page's flag set.
    pub(crate) fn wanted(&self) -> usize {
        self.wanted.load(Ordering::Acquire)
    }

    /// Whether a thread waits for page `i`, claimed and not finished.
    pub(crate) fn is_wanted(&self, i: usize) -> bool {
        self.wants[i].load(Ordering::Relaxed) == 1
            && self.states[i].load(Ordering::Relaxed) == CLAIMED
    }

    /// Waits until page `i`'s claimer has finished; returns whether it is
    /// mapped.
    pub(crate) fn wait(&self, i: usize) -> bool {
        let mut rounds = 0;
        loop {
            match self.states[i].load(Ordering::Acquire) {
                MAPPED => return true,
                FAILED => return false,
                _ => yield_wait(&mut rounds),
            }
        }
    }

    /// Waits until no page is claimed and unfinished; returns how many failed.
    pub(crate) fn wait_all(&self) -> usize {
        (0..self.len())
            .filter(|&i| !self.wait_if_claimed(i))
            .count()
    }

    fn wait_if_claimed(&self, i: usize) -> bool {
        match self.states[i].load(Ordering::Acquire) {
            UNPROCESSED => true,
            _ => self.wait(i),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{PageStates, StateTables};

    /// Tables taken from a finished compaction's states serve the next one
    /// as new ones would: every page unprocessed, none wanted, no scan hint;
    /// tables without room for it give way to new ones.
    #[test]
    fn reused_tables_start_every_page_afresh() {
        let mut first = PageStates::reusing(Some(StateTables::new(64).unwrap()), 40).unwrap();
        assert_eq!(first.len(), 40);
        for i in 0..40 {
            assert!(first.try_claim(i));
            first.finish(i, i % 2 == 0);
            first.want(i);
            first.scanned(7, i, i + 1);
        }
        let second = PageStates::reusing(Some(first.take_tables()), 64).unwrap();
        assert_eq!(second.len(), 64, "the tables' whole room");
        assert_eq!(second.wanted(), 0);
        for i in 0..64 {
            assert!(!second.is_mapped(i) && !second.is_wanted(i), "{i}");
            assert_eq!(second.scan_run(7, i, 32), 1, "{i}");
            assert!(second.try_claim(i), "{i}");
        }
        let mut third = PageStates::new(8).unwrap();
        let fourth = PageStates::reusing(Some(third.take_tables()), 20).unwrap();
        assert_eq!(fourth.len(), 20, "new tables where the old lack room");
        assert!(fourth.try_claim(19));
    }

    /// A thread's fault right above the pages its last fault placed builds
    /// twice as many, up to the most asked for; any other builds one: above
    /// another thread's last fault, or above an earlier fault of its own
    /// (random reads land there too).
    #[test]
    fn a_scan_doubles_its_runs() {
        let pages = PageStates::new(100).unwrap();
        assert_eq!(pages.scan_run(7, 10, 32), 1, "no fault below");
        pages.scanned(7, 10, 11);
        assert_eq!(pages.scan_run(7, 11, 32), 2);
        assert_eq!(pages.scan_run(7, 12, 32), 1, "not right above");
        assert_eq!(pages.scan_run(8, 11, 32), 1, "another thread's fault below");
        pages.scanned(7, 11, 13);
        assert_eq!(pages.scan_run(7, 13, 32), 4);
        pages.scanned(7, 13, 33);
        assert_eq!(pages.scan_run(7, 33, 32), 32, "at most the most asked for");
        pages.scanned(8, 50, 51);
        assert_eq!(pages.scan_run(7, 33, 32), 32, "the other thread's fault");
        pages.scanned(7, 60, 61);
        assert_eq!(
            pages.scan_run(7, 33, 32),
            1,
            "above an earlier fault of its own, not its last"
        );
        assert_eq!(pages.scan_run(7, 61, 32), 2);
        assert_eq!(pages.scan_run(8, 51, 32), 2, "each thread its own");
        pages.scanned(7 + 64, 20, 21);
        assert_eq!(pages.scan_run(7, 61, 32), 1, "a thread sharing the slot");
        assert_eq!(pages.scan_run(7 + 64, 21, 32), 2);
    }

    /// Claims go up from the caller's page, and stop at a page another
    /// thread claimed and at the last page.
    #[test]
    fn claims_above_stop_at_a_claimed_page_and_the_end() {
        let pages = PageStates::new(10).unwrap();
        assert!(pages.try_claim(5));
        assert!(pages.try_claim(2));
        assert_eq!(pages.claim_above(2, 8), 5, "stops below page 5, claimed");
        assert!(
            !pages.try_claim(3) && !pages.try_claim(4),
            "3 and 4 claimed"
        );
        assert!(pages.try_claim(8));
        assert_eq!(pages.claim_above(8, 8), 10, "stops at the last page");
        assert!(!pages.try_claim(9));
        assert!(pages.try_claim(0));
        assert_eq!(
            pages.claim_above(0, 1),
            1,
            "a run of one claims nothing above"
        );
        assert!(pages.try_claim(1));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::AtomicUsize;
    use loom::sync::Arc;

    const PAGES: usize = 2;

    /// Stubbed placement: counts placements per page.
    struct Heap {
        pages: PageStates,
        placed: [AtomicUsize; PAGES],
    }

    impl Heap {
        fn new() -> Arc<Heap> {
            Arc::new(Heap {
                pages: PageStates::new(PAGES).unwrap(),
                placed: [AtomicUsize::new(0), AtomicUsize::new(0)],
            })
        }

        /// Every page is mapped, and was placed exactly once.
        fn check_placed_once(&self) {
            for i in 0..PAGES {
                assert!(self.pages.is_mapped(i));
                assert_eq!(self.placed[i].load(Ordering::Relaxed), 1);
            }
        }

        fn place(&self, i: usize) -> bool {
            self.placed[i].fetch_add(1, Ordering::Relaxed);
            true
        }

        /// A mutator's fault on page `i`: it returns only once the page is in place.
        fn fault(&self, i: usize) {
            let (mapped, _) = self.pages.serve(i, || self.place(i));
            assert!(mapped);
            assert_eq!(
                self.placed[i].load(Ordering::Relaxed),
                1,
                "returned before the page was placed"
            );
        }
    }

    /// A compaction thread claiming a run top-down and two mutators faulting
    /// on its pages: every page is built and placed exactly once, and no
    /// mutator returns before its page is in place.
    #[test]
    fn every_page_built_and_placed_once() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let heap = Heap::new();
            let mutators: Vec<_> = (0..PAGES)
                .map(|i| {
                    let heap = heap.clone();
                    loom::thread::spawn(move || heap.fault(i))
                })
                .collect();
            let run: Vec<usize> = (0..PAGES)
                .rev()
                .filter(|&i| heap.pages.try_claim(i))
                .collect();
            for &i in &run {
                let placed = heap.place(i);
                heap.pages.finish(i, placed);
            }
            assert_eq!(heap.pages.wait_all(), 0);
            for m in mutators {
                m.join().unwrap();
            }
            heap.check_placed_once();
        });
    }

    /// A builder that claimed a run (both pages) and places early a page a
    /// thread waits for, looking at the count of pages wanted before each
    /// page it builds (as `sliding_run` does), and a mutator faulting on the
    /// run's lower page: each page is placed exactly once, and the mutator
    /// returns only once its page is in place.
    #[test]
    fn a_wanted_page_is_placed_once_ahead_of_its_run() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let heap = Heap::new();
            assert!(heap.pages.try_claim(1) && heap.pages.try_claim(0));
            let mutator = {
                let heap = heap.clone();
                loom::thread::spawn(move || heap.fault(0))
            };
            let mut placed = [false; PAGES];
            let mut seen = usize::MAX;
            for k in (0..PAGES).rev() {
                let now = heap.pages.wanted();
                if now != seen {
                    seen = now;
                    for j in 0..PAGES {
                        if !placed[j] && heap.pages.is_wanted(j) {
                            let ok = heap.place(j);
                            heap.pages.finish(j, ok);
                            placed[j] = true;
                        }
                    }
                }
                if !placed[k] {
                    let ok = heap.place(k);
                    heap.pages.finish(k, ok);
                    placed[k] = true;
                }
            }
            mutator.join().unwrap();
            assert_eq!(heap.pages.wait_all(), 0);
            heap.check_placed_once();
        });
    }

    /// A mutator's fault on page 0 that continues a scan (it claims the
    /// page above its own too, as `Compaction::fault_around` does, and
    /// finishes it; its own page's report is `serve`'s), the compaction
    /// thread going down the pages, and a second mutator faulting on page 1:
    /// every page is built and placed exactly once, and neither mutator
    /// returns before its page is in place.
    #[test]
    fn a_fault_claiming_the_pages_above_places_each_once() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let heap = Heap::new();
            let scanning = {
                let heap = heap.clone();
                loom::thread::spawn(move || {
                    let (mapped, _) = heap.pages.serve(0, || {
                        let end = heap.pages.claim_above(0, PAGES);
                        for i in 1..end {
                            let placed = heap.place(i);
                            heap.pages.finish(i, placed);
                        }
                        heap.pages.scanned(1, 0, end);
                        heap.place(0)
                    });
                    assert!(mapped);
                    assert_eq!(heap.placed[0].load(Ordering::Relaxed), 1);
                })
            };
            let mutator = {
                let heap = heap.clone();
                loom::thread::spawn(move || heap.fault(1))
            };
            for i in (0..PAGES).rev() {
                if heap.pages.try_claim(i) {
                    let placed = heap.place(i);
                    heap.pages.finish(i, placed);
                }
            }
            scanning.join().unwrap();
            mutator.join().unwrap();
            assert_eq!(heap.pages.wait_all(), 0);
            heap.check_placed_once();
        });
    }

    /// Two compaction threads going down the same pages (`compaction_threads`
    /// 2) and a mutator faulting on the lower one: every page is built and
    /// placed exactly once, and the mutator returns only once its page is in
    /// place.
    #[test]
    fn two_builders_place_every_page_once() {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(|| {
            let heap = Heap::new();
            let build = |heap: &Heap| {
                for i in (0..PAGES).rev() {
                    if heap.pages.try_claim(i) {
                        let placed = heap.place(i);
                        heap.pages.finish(i, placed);
                    }
                }
            };
            let mutator = {
                let heap = heap.clone();
                loom::thread::spawn(move || heap.fault(0))
            };
            let helper = {
                let heap = heap.clone();
                loom::thread::spawn(move || build(&heap))
            };
            build(&heap);
            helper.join().unwrap();
            assert_eq!(heap.pages.wait_all(), 0);
            mutator.join().unwrap();
            heap.check_placed_once();
        });
    }
}
