//! What the objects on each page of the moving space referenced when a full
//! cycle's marking scanned them: how the cycle finds the pages of its dense
//! prefix that reference nothing that moves, which it leaves mapped.

use crate::sync::{AtomicU32, Ordering};
use std::ops::Range;

/// The page's objects reference a large object (which the cycle may move).
const LARGE: u32 = 1 << 31;

/// One word per page of the moving space: the highest moving-space page its
/// objects referenced, plus one (zero: none), and a bit for a reference
/// to a large object.
#[derive(Debug)]
pub struct PageTargets {
    start: usize,
    pages: Box<[AtomicU32]>,
}

/// How far from a base the pages referencing nothing that moves reach
/// ([`PageTargets::clean_run`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CleanRun {
    /// The end of the pages that reference no moving-space page at or above
    /// the line (page-aligned).
    pub end: usize,
    /// The end of those that reference no large object either: the run
    /// when the cycle moves large objects.
    pub end_without_large: usize,
}

impl PageTargets {
    /// No page references anything, over the moving space `range`.
    pub fn new(range: Range<usize>) -> Self {
        let pages = (range.end - range.start) / gc_uffd::page_size();
        PageTargets {
            start: range.start,
            pages: (0..pages).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    fn index(&self, addr: usize) -> usize {
        (addr - self.start) / gc_uffd::page_size()
    }

    /// Forgets what the pages of `range` referenced, before a marking scans
    /// them again.
    pub fn clear(&self, range: Range<usize>) {
        let end = self.index(range.end.next_multiple_of(gc_uffd::page_size()));
        for p in &self.pages[self.index(range.start)..end.min(self.pages.len())] {
            p.store(0, Ordering::Relaxed);
        }
    }

    /// Notes that the object over `object` (in the moving space) references
    /// moving-space addresses up to `highest` (zero: none), and a large
    /// object if `large`: on every page the object touches.
    #[inline]
    pub fn note(&self, object: Range<usize>, highest: usize, large: bool) {
        let target = if highest == 0 {
            0
        } else {
            self.index(highest) as u32 + 1
        } | if large { LARGE } else { 0 };
        if target == 0 {
            return;
        }
        for p in &self.pages[self.index(object.start)..=self.index(object.end - 1)] {
            let mut now = p.load(Ordering::Relaxed);
            loop {
                let new = (now & LARGE | target & LARGE) | (now & !LARGE).max(target & !LARGE);
                if new == now {
                    break;
                }
                match p.compare_exchange_weak(now, new, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => break,
                    Err(seen) => now = seen,
                }
            }
        }
    }

    /// From the page at `from` up to `limit` (page-aligned), how far the
    /// pages reach whose objects reference no moving-space page at or above
    /// `line`'s (rounded down to a page: a page that references below the
    /// line on the line's own page ends the run too).
    pub fn clean_run(&self, from: usize, limit: usize, line: usize) -> CleanRun {
        let line_page = self.index(line) as u32;
        let first = self.index(from);
        let last = self.index(limit).min(self.pages.len());
        let mut end_without_large = None;
        for i in first..last {
            let word = self.pages[i].load(Ordering::Relaxed);
            let addr = self.start + i * gc_uffd::page_size();
            if word & !LARGE > line_page {
                let end = end_without_large.unwrap_or(addr);
                return CleanRun {
                    end: addr,
                    end_without_large: end,
                };
            }
            if word & LARGE != 0 && end_without_large.is_none() {
                end_without_large = Some(addr);
            }
        }
        let end = self.start + last.max(first) * gc_uffd::page_size();
        CleanRun {
            end,
            end_without_large: end_without_large.unwrap_or(end),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_run_ends_at_the_first_page_referencing_the_line_or_above() {
        let page = gc_uffd::page_size();
        let start = 1 << 30;
        let targets = PageTargets::new(start..start + 16 * page);
        let at = |p: usize| start + p * page;
        // Page 0 references page 2; an object over pages 1-2 references a
        // large object; page 3 references page 5's second word.
        targets.note(at(0)..at(0) + 16, at(2) + 8, false);
        targets.note(at(1) + 8..at(2) + 24, 0, true);
        targets.note(at(3)..at(3) + 16, at(5) + 8, false);
        // With the line on page 5, page 3 ends the run; pages 1 and 2 end the
        // run without large objects.
        assert_eq!(
            targets.clean_run(at(0), at(16), at(5)),
            CleanRun {
                end: at(3),
                end_without_large: at(1),
            }
        );
        // With the line on page 6, nothing referenced reaches it.
        assert_eq!(targets.clean_run(at(0), at(8), at(6)).end, at(8));
        // Page 0 references page 2: a line there ends the run at once.
        assert_eq!(targets.clean_run(at(0), at(8), at(2)).end, at(0));
        // Cleared, the pages reference nothing again.
        targets.clear(at(0)..at(4));
        let run = targets.clean_run(at(0), at(8), at(1));
        assert_eq!((run.end, run.end_without_large), (at(8), at(8)));
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// Two markers note what objects on one page reference, one a
    /// moving-space page, the other a higher one and a large object: the
    /// word ends with the higher page and the large object's bit, whatever
    /// the interleaving of their compare-exchanges.
    #[test]
    fn notes_on_one_page_keep_the_highest_and_the_large_bit() {
        loom::model(|| {
            let page = gc_uffd::page_size();
            let start = 1 << 30;
            let targets = Arc::new(PageTargets::new(start..start + 8 * page));
            let other = {
                let targets = targets.clone();
                loom::thread::spawn(move || {
                    targets.note(start + 64..start + 128, start + 5 * page, true)
                })
            };
            targets.note(start..start + 64, start + 3 * page, false);
            other.join().unwrap();
            assert_eq!(
                targets.clean_run(start, start + 8 * page, start + 5 * page),
                CleanRun {
                    end: start,
                    end_without_large: start,
                }
            );
            assert_eq!(
                targets.clean_run(start, start + 8 * page, start + 6 * page),
                CleanRun {
                    end: start + 8 * page,
                    end_without_large: start,
                }
            );
        });
    }
}
