//! References forwarded before the compaction pause, for the pages the
//! mutators wrote since the last cycle.
//!
//! A page of references is mostly forwarding to build: references to random
//! targets cost a cache miss each, 10–13 µs for the latency bench's slot
//! arrays, and right after a full cycle's pause the mutators fault on
//! hundreds of them (the pages they wrote lately are those they touch next).
//! The plan is known before the pause, and with it which objects each
//! to-space page will hold: so between planning and the pause the cycle's
//! thread forwards those pages' references, reading the objects where they
//! are while the mutators still run, into a memo of (value, forwarded value)
//! per word of the page to be built, whether the page is of the dense prefix
//! (nothing on it moves) or slides. The build, after the pause, takes a
//! slot's forwarding from the memo when the slot still holds the value
//! memoized, and looks up any other value as before: a store in between is
//! not lost, whatever its timing, since forwarding is a function of the value
//! alone for one plan.
//! A cycle that plans again in its pause (an object pinned meanwhile) drops
//! the memo.

use gc_heap::compact::Forwarded;
use gc_heap::{CARD, Plan, Spaces, WORD};

use super::PAGE;
use crate::sync::Zeroed;

/// Entries per page: one per word.
const WORDS: usize = PAGE / WORD;

/// The memo of one cycle: the pages forwarded, in address order, and their
/// entries.
#[derive(Default)]
pub(crate) struct Memo {
    pages: Box<[usize]>,
    /// `WORDS` a page, mapped apart (a `Vec` of the latency bench's 16 MiB
    /// stayed resident in glibc's arena between cycles); `None` when no page
    /// was forwarded.
    entries: Option<Zeroed<Forwarded>>,
    /// The plan's black line and dense end when the memo was made: the pause
    /// must find them so.
    black: usize,
    dense_end: usize,
    /// References forwarded.
    pub(crate) references: usize,
}

impl Memo {
    /// Forwards the references of the to-space pages of `plan` whose
    /// objects lie on a page with a dirty card now, the lowest first, up to
    /// `budget` pages, while `room()` says the mutators' allocations can wait
    /// for the pause: the time this takes (about 10 µs a page) delays it, and
    /// with it the memory it frees.
    ///
    /// # Safety
    /// Marking and planning must be complete and no compaction running.
    pub(crate) unsafe fn make(
        spaces: &Spaces,
        plan: &Plan<'_>,
        budget: usize,
        room: impl Fn() -> bool,
    ) -> Self {
        let pages = written_pages(spaces, plan, budget);
        if pages.is_empty() {
            return Memo::default();
        }
        let mut entries = match Zeroed::<Forwarded>::new(pages.len() * WORDS) {
            Ok(entries) => entries,
            Err(e) => {
                log::debug!("movegc: no memory for forwarding ahead: {e}");
                return Memo::default();
            }
        };
        let mut references = 0;
        let mut done = 0;
        for (&page, memo) in pages.iter().zip(entries.chunks_exact_mut(WORDS)) {
            if !room() {
                break;
            }
            // SAFETY: as the caller guarantees; `page` lies below the dense end.
            references += unsafe { spaces.forward_ahead(plan, page, memo) };
            done += 1;
        }
        let mut pages = pages;
        pages.truncate(done);
        entries.truncate(done * WORDS);
        Memo {
            pages: pages.into(),
            entries: Some(entries),
            black: plan.black(),
            dense_end: plan.dense_end(),
            references,
        }
    }

    /// Whether the memo holds for `plan`, the pause's: one planned as it
    /// was, over the same black line.
    pub(crate) fn holds_for(&self, plan: &Plan<'_>) -> bool {
        self.pages.is_empty() || (plan.black() == self.black && plan.dense_end() == self.dense_end)
    }

    /// Pages forwarded.
    pub(crate) fn pages(&self) -> usize {
        self.pages.len()
    }

    /// The entries of the page at `page`, if it was forwarded.
    pub(crate) fn get(&self, page: usize) -> Option<&[Forwarded]> {
        let i = self.pages.binary_search(&page).ok()?;
        self.entries.as_deref()?.get(i * WORDS..(i + 1) * WORDS)
    }
}

/// The to-space pages, up to `budget` of them in address order, that will
/// hold the objects now on a page with a dirty card below the black line:
/// the pages the mutators wrote since the last cycle, which they will likely
/// touch first after the pause. Only pages that the objects found live by
/// marking fill: those allocated black are placed in the pause. A page of
/// the dense prefix stays where it is; any other page's objects land from
/// the rank of its first live word to that of the next page's.
fn written_pages(spaces: &Spaces, plan: &Plan<'_>, budget: usize) -> Vec<usize> {
    let cards = spaces.cards();
    let first = plan.base().next_multiple_of(PAGE);
    let filled = plan.marked_top() / PAGE * PAGE;
    let written = |p: usize| (p..p + PAGE).step_by(CARD).any(|c| cards.is_dirty(c));
    let mut pages = Vec::new();
    for p in (first..plan.black() / PAGE * PAGE).step_by(PAGE) {
        if pages.len() >= budget {
            break;
        }
        if !written(p) {
            continue;
        }
        // Forwarding keeps the order: the pages come in address order.
        let to = plan.forward(p)..plan.forward(p + PAGE).min(filled);
        for d in ((to.start / PAGE * PAGE).max(first)..to.end).step_by(PAGE) {
            if pages.last() != Some(&d) && pages.len() < budget {
                pages.push(d);
            }
        }
    }
    pages
}
