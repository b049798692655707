//! Large objects whose references a concurrent compaction rewrites after the
//! pause, page by page, through the protocol of the moving space's pages.
//!
//! Their slots reference objects that move. The
//! compaction pause used to rewrite every slot of every one (in a young
//! cycle, of the young ones): half a million slots, 2.5 ms, for the Lisp
//! demonstration's one big vector. Instead, the pause moves their pages to
//! the shadow and registers them for missing faults, as it does the moving
//! space's; the compaction thread, or a mutator that touches a page first,
//! rewrites the page's slots in its shadow page and moves it back. The pause
//! keeps two system calls per cluster of such objects (see [`choose`]).
//!
//! A full cycle may also move large objects down into holes of the large
//! space ([`gc_heap::Spaces::set_relinks`]): their pages relink, moved in the
//! page tables with `UFFDIO_MOVE` from the old address to the new one, which
//! the pause registers for missing faults. An object with slots is rewritten
//! in its shadow page first, as above, and moved to its new address instead
//! of back; one without is moved straight from its old pages, unread, so a
//! swapped-out page stays swapped out.

use std::ops::Range;

use allocator::Relink;
use gc_heap::{Header, Spaces};

use super::PAGE;
use super::pages::PageStates;

/// Objects smaller than this, together with their neighbours in a cluster,
/// are rewritten in the pause: two system calls and a fault or a move per
/// page cost more than rewriting their slots there (a slot takes about
/// 5 ns; 64 KiB of them, 40 us).
const MIN_CLUSTER: usize = 64 << 10;

/// The most clusters one pause remaps, so that its system calls stay a
/// bounded cost; the largest are kept, the rest rewritten in the pause.
const MAX_CLUSTERS: usize = 32;

/// One large object whose pages a compaction rewrites, moves, or both.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LargeObject {
    /// Where it was before the cycle.
    pub(crate) start: usize,
    /// Where it is after: `start` unless it moves.
    pub(crate) to: usize,
    pub(crate) size: usize,
    /// `Some(header)`: its pages went to the shadow with a cluster, where
    /// their slots are rewritten by the layout of this header, read in the
    /// pause (builders of its later pages need it, and its first page may
    /// be anywhere, shadow or heap, by then). `None`: they stay at `start`,
    /// where nothing reads them, until they move unread.
    pub(crate) rewritten: Option<Header>,
    /// The index of its first page among all the objects' pages.
    first: usize,
}

impl LargeObject {
    fn pages(&self) -> usize {
        self.size.div_ceil(PAGE)
    }

    /// Its pages' indices.
    pub(crate) fn indices(&self) -> Range<usize> {
        self.first..self.first + self.pages()
    }

    /// Whether it moves.
    pub(crate) fn moves(&self) -> bool {
        self.to != self.start
    }

    /// Where page `k` of it lands.
    pub(crate) fn placed(&self, k: usize) -> usize {
        self.to + k * PAGE
    }
}

/// The large objects one compaction rewrites, the page-aligned clusters of
/// address space that hold them (remapped and registered as wholes), and one
/// state per page.
pub(crate) struct LargePages {
    /// In the order of their addresses after the cycle (`to`).
    objects: Box<[LargeObject]>,
    clusters: Box<[Range<usize>]>,
    /// From the lowest page a moving object lands on to the highest one's
    /// end: holes the planner set aside and live blocks besides the
    /// destinations, watched for missing faults as one range.
    span: Range<usize>,
    /// The span less the clusters (registered on their own): what the
    /// pause registers for it.
    watched: Box<[Range<usize>]>,
    pub(crate) states: PageStates,
}

impl LargePages {
    /// The objects, in the order of their addresses after the cycle.
    pub(crate) fn objects(&self) -> &[LargeObject] {
        &self.objects
    }

    /// The clusters to remap and register.
    pub(crate) fn clusters(&self) -> &[Range<usize>] {
        &self.clusters
    }

    /// The ranges to register for the moving objects' new pages.
    pub(crate) fn watched(&self) -> &[Range<usize>] {
        &self.watched
    }

    /// Whether `page` lies in the span the moving objects land in.
    pub(crate) fn in_span(&self, page: usize) -> bool {
        self.span.contains(&page)
    }

    /// Bytes the clusters span.
    pub(crate) fn span(&self) -> usize {
        self.clusters.iter().map(|c| c.len()).sum()
    }

    /// The object whose page lands at `page` (its address after the cycle),
    /// and the page's index.
    pub(crate) fn page_index(&self, page: usize) -> Option<(LargeObject, usize)> {
        let i = self.objects.partition_point(|o| o.to <= page);
        let o = *self.objects.get(i.checked_sub(1)?)?;
        (page < o.to + o.size).then_some((o, o.first + (page - o.to) / PAGE))
    }

    /// The object holding page `index`, and which of its pages it is.
    pub(crate) fn page_at(&self, index: usize) -> Option<(LargeObject, usize)> {
        let i = self.objects.partition_point(|o| o.first <= index);
        let o = *self.objects.get(i.checked_sub(1)?)?;
        (index < o.first + o.pages()).then_some((o, index - o.first))
    }
}

/// Neighbouring large objects with slots, rewritten together.
#[derive(Default)]
struct Run {
    /// (start, size, header, where it moves), in address order.
    objects: Vec<(usize, usize, Header, usize)>,
    bytes: usize,
}

/// Chooses which of the large objects a compaction rewrites after the pause:
/// of `objects` (those the cycle rewrites, as (start, size) in address order:
/// those with slots, a full cycle's all, a young cycle's young ones), those
/// that have slots, in clusters of neighbours whose blocks adjoin, so that a
/// cluster's pages are its objects' and nothing else's. Returns them, with
/// the objects that `relinks` (sorted by source) move, and the rest of
/// `objects` for the pause to rewrite (the moving ones among them too: their
/// pages then move unread). Its work grows with `objects` and `relinks`,
/// not with the large space; it reads the headers of `objects` only (the
/// cache bench's 7,000 reference-free arrays: 0.47 ms of its pause when it
/// read every large object's).
///
/// # Safety
/// Every object's header must be readable: every mutator stopped, no
/// compaction in progress.
pub(crate) unsafe fn choose(
    spaces: &Spaces,
    objects: &[(usize, usize)],
    relinks: &[Relink],
) -> gc_uffd::Result<(LargePages, Vec<(usize, usize)>)> {
    let types = spaces.types();
    let mut runs: Vec<Run> = Vec::new();
    let mut run = Run::default();
    let mut in_pause = Vec::new();
    // The moving objects that are not in a cluster: (start, size, to).
    let mut unread = Vec::new();
    // Both in address order: a merge, not a search per object (7,000 binary
    // searches, mispredicted, took 0.5 ms of the cache bench's pause). The
    // moves of objects not listed (without slots) move unread.
    let mut next = relinks.iter().peekable();
    for &(start, size) in objects {
        while let Some(r) = next.next_if(|r| r.from < start) {
            unread.push((r.from, r.size, r.to));
        }
        let to = next.next_if(|r| r.from == start).map_or(start, |r| r.to);
        // SAFETY: a live large object's header, readable as the caller guarantees.
        let header = Header(unsafe { (start as *const u64).read() });
        if !types.has_slots(header) {
            if to != start {
                unread.push((start, size, to));
            }
            continue;
        }
        let adjoins = run
            .objects
            .last()
            .is_some_and(|&(s, z, _, _)| (s + z).next_multiple_of(PAGE) == start);
        if !adjoins && !run.objects.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
        run.objects.push((start, size, header, to));
        run.bytes += size;
    }
    if !run.objects.is_empty() {
        runs.push(run);
    }
    unread.extend(next.map(|r| (r.from, r.size, r.to)));
    runs.sort_by_key(|run| std::cmp::Reverse(run.bytes));
    let mut kept = Vec::new();
    for (i, run) in runs.into_iter().enumerate() {
        if i < MAX_CLUSTERS && run.bytes >= MIN_CLUSTER {
            kept.push(run.objects);
        } else {
            for (start, size, _, to) in run.objects {
                in_pause.push((start, size));
                if to != start {
                    unread.push((start, size, to));
                }
            }
        }
    }
    kept.sort_by_key(|objects| objects[0].0);
    let mut chosen = Vec::new();
    let mut clusters = Vec::new();
    for objects in kept {
        let (start, _, _, _) = objects[0];
        let (last, size, _, _) = objects[objects.len() - 1];
        clusters.push(start..(last + size).next_multiple_of(PAGE));
        chosen.extend(
            objects
                .into_iter()
                .map(|(start, size, header, to)| LargeObject {
                    start,
                    to,
                    size,
                    rewritten: Some(header),
                    first: 0,
                }),
        );
    }
    chosen.extend(unread.into_iter().map(|(start, size, to)| LargeObject {
        start,
        to,
        size,
        rewritten: None,
        first: 0,
    }));
    // Destinations are distinct, so an unstable sort orders them the same,
    // without a stable sort's buffer: the cache bench's 1,558 moves sort in
    // 34–43 µs of its pause, against 48–59.
    chosen.sort_unstable_by_key(|o| o.to);
    let mut first = 0;
    for object in &mut chosen {
        object.first = first;
        first += object.pages();
    }
    let moving = chosen.iter().filter(|o| o.moves());
    let span = match (
        moving.clone().map(|o| o.to).min(),
        moving.map(|o| o.to + o.pages() * PAGE).max(),
    ) {
        (Some(start), Some(end)) => start..end,
        _ => 0..0,
    };
    let mut watched = Vec::new();
    let mut at = span.start;
    for c in clusters
        .iter()
        .filter(|c| c.end > span.start && c.start < span.end)
    {
        if c.start > at {
            watched.push(at..c.start);
        }
        at = at.max(c.end);
    }
    if at < span.end {
        watched.push(at..span.end);
    }
    Ok((
        LargePages {
            objects: chosen.into(),
            clusters: clusters.into(),
            span,
            watched: watched.into(),
            states: PageStates::new(first)?,
        },
        in_pause,
    ))
}
