//! The `mremap` calls that move a compaction's pages out to the shadow, in
//! the compaction pause.
//!
//! `mremap` moves page tables, and the kernel flushes the TLB once for every
//! 2 MiB it moves as a whole table: measured on the machines here, 0.25 µs
//! each with no other thread of the process running, 2.2 µs with one running
//! on the other core (an IPI each time). A full cycle's gigabyte took 0.11 ms
//! of its 0.3 ms pause, and the term grew with the heap. A gigabyte aligned
//! at both ends moves as one upper-level entry, with one flush: 20–30 µs
//! whatever else runs. The heap and the shadow are aligned to a gigabyte
//! ([`gc_heap::HEAP_ALIGN`]), so a gigabyte of the moving space that is
//! mostly moved out goes whole, and the few pages of it that must stay mapped
//! come back: one call each, the same page-table moves in reverse. Every
//! mutator is stopped meanwhile, and the space is registered for faults only
//! after, so no one sees the pages that went out and came back.

use std::ops::Range;

use gc_heap::HEAP_ALIGN;

use super::remap::without;

/// The bytes one middle-level page table maps: a move costs a TLB flush
/// per such extent it touches.
const EXTENT: usize = 2 << 20;

/// What moving a whole gigabyte costs, in extents: 20–30 µs against
/// 0.25 µs an extent, measured with nothing else running.
const WHOLE_COST: usize = 128;

/// One `mremap`: a range of the moving space out to the shadow, or back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// From the heap to the same offset in the shadow.
    Out(Range<usize>),
    /// From the shadow back to the heap (moved out with a whole gigabyte).
    Back(Range<usize>),
}

/// The calls that leave exactly the pages of `ranges` (disjoint,
/// page-aligned, in any order) in the shadow, and never move a page of
/// `stay` (pinned pages: native code may be reading them in the pause).
/// Only the gigabytes lying wholly inside `space` (the moving space) may go
/// whole: the large space's objects are not moved out and back.
pub(super) fn steps(
    ranges: &[Range<usize>],
    space: Range<usize>,
    stay: &[Range<usize>],
) -> Vec<Step> {
    let mut ranges: Vec<Range<usize>> = ranges.iter().filter(|r| !r.is_empty()).cloned().collect();
    ranges.sort_unstable_by_key(|r| r.start);
    let mut steps = Vec::with_capacity(ranges.len());
    let mut i = 0;
    while i < ranges.len() {
        let gib = ranges[i].start / HEAP_ALIGN * HEAP_ALIGN;
        let chunk = gib..gib + HEAP_ALIGN;
        // The parts of the ranges inside this gigabyte.
        let mut parts = Vec::new();
        while i < ranges.len() && ranges[i].start < chunk.end {
            let r = &mut ranges[i];
            parts.push(r.start..r.end.min(chunk.end));
            if r.end > chunk.end {
                // The rest is the next gigabyte's.
                r.start = chunk.end;
                break;
            }
            i += 1;
        }
        let gaps = without(vec![chunk.clone()], &parts);
        let whole = chunk.start >= space.start
            && chunk.end <= space.end
            && !stay
                .iter()
                .any(|s| s.start < chunk.end && s.end > chunk.start)
            && WHOLE_COST + extents(&gaps) < extents(&parts);
        if whole {
            steps.push(Step::Out(chunk));
            steps.extend(gaps.into_iter().map(Step::Back));
        } else {
            steps.extend(parts.into_iter().map(Step::Out));
        }
    }
    steps
}

/// How many table extents moving `ranges` touches.
fn extents(ranges: &[Range<usize>]) -> usize {
    ranges
        .iter()
        .map(|r| r.end.div_ceil(EXTENT) - r.start / EXTENT)
        .sum()
}

/// The ranges in the shadow after the steps so far: what undoing a failed
/// start moves back.
#[derive(Debug, Default)]
pub(super) struct Shadowed(Vec<Range<usize>>);

impl Shadowed {
    /// Records a step that succeeded.
    pub(super) fn apply(&mut self, step: &Step) {
        match step {
            Step::Out(r) => self.0.push(r.clone()),
            Step::Back(back) => {
                let mut kept = Vec::with_capacity(self.0.len() + 1);
                for r in self.0.drain(..) {
                    if back.start >= r.end || back.end <= r.start {
                        kept.push(r);
                        continue;
                    }
                    if r.start < back.start {
                        kept.push(r.start..back.start);
                    }
                    if back.end < r.end {
                        kept.push(back.end..r.end);
                    }
                }
                self.0 = kept;
            }
        }
    }

    /// The ranges in the shadow.
    pub(super) fn ranges(&self) -> &[Range<usize>] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 4096;
    const GIB: usize = HEAP_ALIGN;

    /// The pages in the shadow after `steps`, as sorted page addresses.
    fn shadowed(steps: &[Step]) -> Vec<usize> {
        let mut out = Shadowed::default();
        for s in steps {
            out.apply(s);
        }
        let mut pages: Vec<usize> = out
            .ranges()
            .iter()
            .flat_map(|r| r.clone().step_by(PAGE))
            .collect();
        pages.sort_unstable();
        pages
    }

    fn pages(ranges: &[Range<usize>]) -> Vec<usize> {
        let mut pages: Vec<usize> = ranges
            .iter()
            .flat_map(|r| r.clone().step_by(PAGE))
            .collect();
        pages.sort_unstable();
        pages
    }

    #[test]
    fn a_mostly_moved_gigabyte_goes_whole_and_its_gaps_come_back() {
        let space = 4 * GIB..5 * GIB;
        let ranges = [
            4 * GIB + 16 * PAGE..4 * GIB + GIB / 2,
            4 * GIB + GIB / 2 + 8 * PAGE..5 * GIB - 3 * PAGE,
        ];
        let steps = steps(&ranges, space, &[]);
        assert_eq!(
            steps,
            vec![
                Step::Out(4 * GIB..5 * GIB),
                Step::Back(4 * GIB..4 * GIB + 16 * PAGE),
                Step::Back(4 * GIB + GIB / 2..4 * GIB + GIB / 2 + 8 * PAGE),
                Step::Back(5 * GIB - 3 * PAGE..5 * GIB),
            ]
        );
        assert_eq!(shadowed(&steps), pages(&ranges));
    }

    #[test]
    fn small_ranges_pinned_pages_and_partial_gigabytes_move_as_they_are() {
        let space = 4 * GIB..6 * GIB + GIB / 2;
        // Little of the first gigabyte moves: cheaper as it is.
        let small = 4 * GIB + PAGE..4 * GIB + 64 * EXTENT;
        assert_eq!(
            steps(std::slice::from_ref(&small), space.clone(), &[]),
            vec![Step::Out(small)]
        );
        // A pinned page in the gigabyte keeps it from going whole.
        let most = 5 * GIB..6 * GIB - PAGE;
        let pin = 6 * GIB - PAGE..6 * GIB;
        let most_steps = |stay| steps(std::slice::from_ref(&most), space.clone(), stay);
        assert_eq!(
            most_steps(std::slice::from_ref(&pin)),
            vec![Step::Out(most.clone())]
        );
        assert_eq!(
            most_steps(&[]),
            vec![Step::Out(5 * GIB..6 * GIB), Step::Back(pin)]
        );
        // The last gigabyte is not wholly in the space.
        let tail = 6 * GIB..6 * GIB + GIB / 2;
        assert_eq!(
            steps(std::slice::from_ref(&tail), space, &[]),
            vec![Step::Out(tail)]
        );
    }

    #[test]
    fn ranges_across_gigabytes_are_split_and_every_page_lands_once() {
        let space = 0..4 * GIB;
        let ranges = [
            3 * GIB + EXTENT..3 * GIB + 2 * EXTENT,
            GIB / 2..2 * GIB + GIB / 4,
            3 * GIB + 10 * EXTENT..4 * GIB + GIB / 2,
        ];
        let steps = steps(&ranges, space, &[]);
        // Gigabyte 1 goes whole with nothing to bring back; gigabyte 0 moves
        // its half as it is, gigabyte 2 its quarter.
        assert!(steps.contains(&Step::Out(GIB..2 * GIB)));
        assert!(steps.contains(&Step::Out(GIB / 2..GIB)));
        assert!(steps.contains(&Step::Out(2 * GIB..2 * GIB + GIB / 4)));
        // The part beyond the space moves as it is.
        assert!(steps.contains(&Step::Out(4 * GIB..4 * GIB + GIB / 2)));
        assert_eq!(shadowed(&steps), pages(&ranges));
        // Back-steps only follow their gigabyte's whole move.
        let mut whole = None;
        for s in &steps {
            match s {
                Step::Out(r) if r.len() == GIB => whole = Some(r.clone()),
                Step::Out(_) => whole = None,
                Step::Back(b) => {
                    let w = whole.clone().expect("a back-step follows a whole gigabyte");
                    assert!(w.start <= b.start && b.end <= w.end);
                }
            }
        }
    }

    #[test]
    fn a_failed_start_undoes_what_is_out() {
        let mut out = Shadowed::default();
        out.apply(&Step::Out(0..10 * PAGE));
        out.apply(&Step::Back(2 * PAGE..3 * PAGE));
        out.apply(&Step::Out(20 * PAGE..30 * PAGE));
        out.apply(&Step::Back(29 * PAGE..30 * PAGE));
        assert_eq!(
            out.ranges(),
            &[0..2 * PAGE, 3 * PAGE..10 * PAGE, 20 * PAGE..29 * PAGE]
        );
    }
}
