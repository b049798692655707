//! Which pages of the moving space a compaction moves out to the shadow.
//!
//! A page has to leave the heap when a mutator's access to it must fault: a
//! to-space page (below the new top), and a page holding sources the builders
//! read from the shadow. A page above the new top with nothing live on it has
//! neither reason: left mapped, it costs no `UFFDIO_MOVE` back, no zeroing of
//! a recycled page and no fresh page for the allocations that reuse it, which
//! zero it a claim at a time as in the stop-the-world mode. A young cycle
//! whose few survivors are scattered over a 100 MiB young range then moves
//! out the pages they lie on, not the range. Pages above what the next
//! budget's allocations use go out too, to be given back with the shadow.

use std::ops::Range;

use gc_heap::Plan;

use super::PAGE;

/// Runs closer than this are joined: an `mremap` more costs more than moving
/// a few garbage pages out and placing them again.
const JOIN_GAP: usize = 16 * PAGE;

/// The most runs a compaction remaps. Each costs an `mremap` in the pause
/// (a few microseconds) and a mapping in the shadow; past this, the closest
/// runs are joined.
const MAX_RUNS: usize = 64;

/// The runs of pages holding live data from a plan's new top to its black
/// line, found by a scan of the live bitmap before the compaction pause:
/// marking is over, and the bitmap below the black line no longer changes.
/// In the pause, the scan read a cache line of bitmap per page: 0.1–0.4 ms
/// of a 1.1 ms pause at 256 MiB (the compaction bench).
pub(crate) struct LivePages {
    /// The scan covered the pages below this.
    end: usize,
    runs: Vec<Range<usize>>,
}

impl LivePages {
    /// Scans `plan` (before its top is extended to the pause's) for the pages
    /// with live data between its new top and its black line.
    pub(crate) fn scan(plan: &Plan<'_>) -> Self {
        let from = plan.new_top().next_multiple_of(PAGE).max(plan.base_page());
        let end = (plan.black() / PAGE * PAGE).max(from);
        let mut runs = Vec::new();
        plan.live_page_runs(from..end, |r| runs.push(r));
        LivePages { end, runs }
    }
}

/// The pages a compaction moved out to the shadow: sorted, disjoint,
/// page-aligned runs.
#[derive(Debug)]
pub(crate) struct Remapped {
    runs: Vec<Range<usize>>,
}

impl Remapped {
    /// The runs for `plan`: the to-space pages (from the base's page to the
    /// new top's), the pages with live data above them up to `keep_end` (the
    /// end of the allocations the next budget allows), and everything from
    /// there up to `dirty_end`, the end of the pages that may be resident;
    /// but none of the `pinned` pages (sorted, page-aligned), which stay.
    /// The live pages below `scanned`'s end come from that scan.
    pub(super) fn choose(
        plan: &Plan<'_>,
        keep_end: usize,
        dirty_end: usize,
        pinned: &[Range<usize>],
        scanned: Option<&LivePages>,
    ) -> Self {
        let to_space_end = plan.new_top().next_multiple_of(PAGE).max(plan.base_page());
        let dirty_end = dirty_end.max(to_space_end);
        let keep_end = keep_end
            .next_multiple_of(PAGE)
            .clamp(to_space_end, dirty_end);
        let mut runs = Vec::new();
        let mut push = |r: Range<usize>| join(&mut runs, r, JOIN_GAP);
        push(plan.base_page()..to_space_end);
        // The pause's new top may lie above the scan's (allocations since).
        let scanned_end = scanned.map_or(to_space_end, |s| s.end.clamp(to_space_end, keep_end));
        for r in scanned.map_or(&[][..], |s| &s.runs) {
            push(r.start.max(to_space_end)..r.end.min(scanned_end));
        }
        plan.live_page_runs(scanned_end..keep_end, &mut push);
        push(keep_end..dirty_end);
        Remapped {
            runs: without(join_closest(runs, MAX_RUNS), pinned),
        }
    }

    /// The runs, in address order.
    pub(super) fn runs(&self) -> &[Range<usize>] {
        &self.runs
    }

    /// Bytes remapped.
    pub(crate) fn len(&self) -> usize {
        self.runs.iter().map(Range::len).sum()
    }

    /// Whether the page at `page` was moved out.
    pub(super) fn contains(&self, page: usize) -> bool {
        let i = self.runs.partition_point(|r| r.end <= page);
        self.runs.get(i).is_some_and(|r| r.start <= page)
    }

    /// The end of the highest page left in place below `dirty_end` (garbage
    /// that allocations must zero), or `floor` if there is none above it.
    pub(super) fn mapped_end(&self, floor: usize, dirty_end: usize) -> usize {
        match self.runs.last() {
            Some(last) if last.end >= dirty_end => last.start.max(floor),
            _ => dirty_end.max(floor),
        }
    }

    /// The first part of `range` that holds no page: moved out, or from
    /// `dirty_end` up (never resident). `None` if every page of it is mapped.
    pub(super) fn next_missing(
        &self,
        range: Range<usize>,
        dirty_end: usize,
    ) -> Option<Range<usize>> {
        if range.is_empty() {
            return None;
        }
        let i = self.runs.partition_point(|r| r.end <= range.start);
        let run = match self.runs.get(i) {
            Some(r) if r.start < range.end => r.start.max(range.start)..r.end.min(range.end),
            _ if range.end > dirty_end => range.start.max(dirty_end)..range.end,
            _ => return None,
        };
        // A run reaching the dirty end continues as missing pages above it.
        if run.end == dirty_end && range.end > dirty_end {
            return Some(run.start..range.end);
        }
        Some(run)
    }
}

/// Appends `r` (above every run in `runs`) to `runs`, joining it with the
/// last run when less than `gap` lies between them.
fn join(runs: &mut Vec<Range<usize>>, r: Range<usize>, gap: usize) {
    if r.is_empty() {
        return;
    }
    match runs.last_mut() {
        Some(last) if r.start - last.end < gap => last.end = r.end,
        _ => runs.push(r),
    }
}

/// `runs` less the ranges `holes` (sorted, disjoint).
pub(super) fn without(runs: Vec<Range<usize>>, holes: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(runs.len() + holes.len());
    for r in runs {
        let mut from = r.start;
        for h in holes.iter().filter(|h| h.start < r.end && h.end > r.start) {
            if h.start > from {
                out.push(from..h.start);
            }
            from = from.max(h.end);
        }
        if from < r.end {
            out.push(from..r.end);
        }
    }
    out
}

/// `runs` joined across their smallest gaps until at most `max` are left.
fn join_closest(runs: Vec<Range<usize>>, max: usize) -> Vec<Range<usize>> {
    if runs.len() <= max {
        return runs;
    }
    // Gap `i` lies before run `i + 1`; join the smallest ones (the first
    // index breaking a tie), keeping `max - 1` gaps.
    let mut gaps: Vec<usize> = (0..runs.len() - 1).collect();
    gaps.sort_by_key(|&i| (runs[i + 1].start - runs[i].end, i));
    let mut joined = vec![false; runs.len() - 1];
    for &i in &gaps[..runs.len() - max] {
        joined[i] = true;
    }
    let mut out: Vec<Range<usize>> = Vec::with_capacity(max);
    for (i, r) in runs.into_iter().enumerate() {
        match out.last_mut() {
            Some(last) if joined[i - 1] => last.end = r.end,
            _ => out.push(r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remapped(runs: &[(usize, usize)]) -> Remapped {
        Remapped {
            runs: runs.iter().map(|&(a, b)| a * PAGE..b * PAGE).collect(),
        }
    }

    #[test]
    fn close_runs_are_joined_and_far_ones_kept() {
        let mut runs = Vec::new();
        join(&mut runs, 0..PAGE, JOIN_GAP);
        join(&mut runs, 10 * PAGE..11 * PAGE, JOIN_GAP);
        join(&mut runs, 100 * PAGE..101 * PAGE, JOIN_GAP);
        join(&mut runs, 101 * PAGE..101 * PAGE, JOIN_GAP);
        assert_eq!(runs, vec![0..11 * PAGE, 100 * PAGE..101 * PAGE]);
    }

    #[test]
    fn too_many_runs_are_joined_across_their_smallest_gaps() {
        let runs: Vec<_> = [(0, 1), (3, 4), (100, 101), (102, 103), (200, 201)]
            .iter()
            .map(|&(a, b)| a * PAGE..b * PAGE)
            .collect();
        assert_eq!(join_closest(runs.clone(), 5), runs);
        let three = join_closest(runs.clone(), 3);
        assert_eq!(
            three,
            vec![0..4 * PAGE, 100 * PAGE..103 * PAGE, 200 * PAGE..201 * PAGE]
        );
        assert_eq!(join_closest(runs, 1), vec![0..201 * PAGE]);
        // Equal gaps: exactly as many are joined as needed.
        let even: Vec<_> = (0..10)
            .map(|k| k * 10 * PAGE..(k * 10 + 1) * PAGE)
            .collect();
        assert_eq!(join_closest(even, 4).len(), 4);
    }

    #[test]
    fn pinned_ranges_are_cut_out() {
        let runs = vec![0..10 * PAGE, 20 * PAGE..30 * PAGE];
        let pins = [
            2 * PAGE..3 * PAGE,
            9 * PAGE..21 * PAGE,
            25 * PAGE..30 * PAGE,
        ];
        assert_eq!(
            without(runs, &pins),
            vec![0..2 * PAGE, 3 * PAGE..9 * PAGE, 21 * PAGE..25 * PAGE]
        );
    }

    #[test]
    fn membership_and_the_last_mapped_page() {
        let r = remapped(&[(0, 4), (10, 12), (40, 50)]);
        assert!(r.contains(0) && r.contains(3 * PAGE) && r.contains(11 * PAGE));
        assert!(!r.contains(4 * PAGE) && !r.contains(12 * PAGE) && !r.contains(50 * PAGE));
        assert_eq!(r.len(), 16 * PAGE);
        // The last run reaches the dirty end: pages 12..40 are the highest in place.
        assert_eq!(r.mapped_end(4 * PAGE, 50 * PAGE), 40 * PAGE);
        // It does not: everything below the dirty end may be in place.
        assert_eq!(r.mapped_end(4 * PAGE, 60 * PAGE), 60 * PAGE);
        assert_eq!(remapped(&[(0, 4)]).mapped_end(4 * PAGE, 4 * PAGE), 4 * PAGE);
    }

    #[test]
    fn missing_parts_are_found_in_order() {
        let r = remapped(&[(0, 4), (10, 12), (40, 50)]);
        let dirty_end = 50 * PAGE;
        assert_eq!(r.next_missing(4 * PAGE..10 * PAGE, dirty_end), None);
        assert_eq!(
            r.next_missing(4 * PAGE..20 * PAGE, dirty_end),
            Some(10 * PAGE..12 * PAGE)
        );
        assert_eq!(
            r.next_missing(11 * PAGE..20 * PAGE, dirty_end),
            Some(11 * PAGE..12 * PAGE)
        );
        // The last run and the never-resident pages above it are one stretch.
        assert_eq!(
            r.next_missing(45 * PAGE..70 * PAGE, dirty_end),
            Some(45 * PAGE..70 * PAGE)
        );
        let low = remapped(&[(0, 4)]);
        assert_eq!(
            low.next_missing(20 * PAGE..70 * PAGE, dirty_end),
            Some(50 * PAGE..70 * PAGE)
        );
    }
}
