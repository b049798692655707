//! Old pages whose references to young objects a young cycle's concurrent
//! compaction rewrites after the pause: the pages of the remembered set's
//! dirty cards.
//!
//! A young cycle used to rewrite every slot of its dirty cards in the
//! compaction pause: the latency bench's ~790 cards hold ~50,000 references
//! to young objects, 0.33 ms of a 0.47 ms pause, and the pause grew with the
//! remembered set. Instead, the pause moves the cards' pages to the shadow,
//! in a few clusters, and registers them for missing faults with the young
//! range; the compaction thread, or a mutator that touches one first,
//! rewrites the page's dirty cards in its shadow page and copies it back.
//! Copied, not moved: a later page of a cluster reads from the shadow the
//! header of an object that starts on this one, which a move would leave
//! empty. The pause keeps one `mremap` per cluster.

use std::ops::Range;

use super::PAGE;
use super::pages::PageStates;

/// Pages of dirty cards this many pages apart or closer go in one cluster
/// (the pages between are remapped and copied back too).
const GAP: usize = 8;

/// The most clusters one pause remaps: the clusters separated by the widest
/// gaps are kept apart, the others merged.
const MAX_CLUSTERS: usize = 8;

/// The old pages one young compaction rewrites, in page-aligned clusters,
/// the dirty cards on them, and one state per page.
pub(crate) struct OldPages {
    /// In address order.
    clusters: Box<[Range<usize>]>,
    /// The index of each cluster's first page among all the clusters' pages.
    firsts: Box<[usize]>,
    /// The cards to rewrite (indices in the card table), in address order,
    /// and their addresses.
    cards: Box<[(usize, usize)]>,
    pub(crate) states: PageStates,
}

impl OldPages {
    /// No old page: a full cycle's, or a young one that rewrote its cards
    /// in the pause.
    pub(crate) fn none() -> gc_uffd::Result<Self> {
        Self::new(Vec::new(), Vec::new())
    }

    /// The pages of `cards` (as (index, address), in address order, each
    /// once), in clusters.
    pub(crate) fn choose(cards: Vec<(usize, usize)>) -> gc_uffd::Result<Self> {
        let mut runs: Vec<Range<usize>> = Vec::new();
        for &(_, at) in &cards {
            let page = at & !(PAGE - 1);
            match runs.last_mut() {
                Some(run) if page <= run.end + GAP * PAGE => run.end = run.end.max(page + PAGE),
                _ => runs.push(page..page + PAGE),
            }
        }
        if runs.len() > MAX_CLUSTERS {
            // Split at the widest gaps only.
            let mut gaps: Vec<(usize, usize)> = runs
                .windows(2)
                .enumerate()
                .map(|(i, w)| (w[1].start - w[0].end, i))
                .collect();
            gaps.sort_unstable_by(|a, b| b.cmp(a));
            let mut splits: Vec<usize> = gaps[..MAX_CLUSTERS - 1].iter().map(|&(_, i)| i).collect();
            splits.sort_unstable();
            let mut merged = Vec::with_capacity(MAX_CLUSTERS);
            let mut start = runs[0].start;
            for &i in &splits {
                merged.push(start..runs[i].end);
                start = runs[i + 1].start;
            }
            merged.push(start..runs[runs.len() - 1].end);
            runs = merged;
        }
        Self::new(runs, cards)
    }

    fn new(clusters: Vec<Range<usize>>, cards: Vec<(usize, usize)>) -> gc_uffd::Result<Self> {
        let mut firsts = Vec::with_capacity(clusters.len());
        let mut pages = 0;
        for c in &clusters {
            firsts.push(pages);
            pages += c.len() / PAGE;
        }
        Ok(OldPages {
            clusters: clusters.into(),
            firsts: firsts.into(),
            cards: cards.into(),
            states: PageStates::new(pages)?,
        })
    }

    /// The clusters to remap.
    pub(crate) fn clusters(&self) -> &[Range<usize>] {
        &self.clusters
    }

    /// Whether `addr` lies in a cluster.
    pub(crate) fn contains(&self, addr: usize) -> bool {
        self.cluster_of(addr).is_some()
    }

    fn cluster_of(&self, addr: usize) -> Option<usize> {
        let i = self.clusters.partition_point(|c| c.start <= addr);
        let k = i.checked_sub(1)?;
        self.clusters[k].contains(&addr).then_some(k)
    }

    /// The index of `page`, if it lies in a cluster.
    pub(crate) fn page_index(&self, page: usize) -> Option<usize> {
        let k = self.cluster_of(page)?;
        Some(self.firsts[k] + (page - self.clusters[k].start) / PAGE)
    }

    /// The address of page `index`.
    pub(crate) fn page_at(&self, index: usize) -> usize {
        let k = self.firsts.partition_point(|&f| f <= index) - 1;
        self.clusters[k].start + (index - self.firsts[k]) * PAGE
    }

    /// The cards to rewrite on `page`, as (index, address).
    pub(crate) fn cards_on(&self, page: usize) -> &[(usize, usize)] {
        let from = self.cards.partition_point(|&(_, at)| at < page);
        let to = self.cards.partition_point(|&(_, at)| at < page + PAGE);
        &self.cards[from..to]
    }

    /// Bytes the clusters span.
    pub(crate) fn span(&self) -> usize {
        self.clusters.iter().map(|c| c.len()).sum()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn card(at: usize) -> (usize, usize) {
        (at / 512, at)
    }

    #[test]
    fn near_pages_share_a_cluster_and_far_ones_do_not() {
        let base = 1 << 30;
        let cards = vec![
            card(base),
            card(base + 512),
            card(base + 3 * PAGE),
            card(base + 100 * PAGE + 1024),
        ];
        let old = OldPages::choose(cards).unwrap();
        assert_eq!(
            old.clusters(),
            &[base..base + 4 * PAGE, base + 100 * PAGE..base + 101 * PAGE]
        );
        assert_eq!(old.states.len(), 5);
        assert_eq!(old.page_index(base + 2 * PAGE), Some(2));
        assert_eq!(old.page_index(base + 100 * PAGE), Some(4));
        assert_eq!(old.page_index(base + 50 * PAGE), None);
        assert_eq!(old.page_at(4), base + 100 * PAGE);
        assert_eq!(old.cards_on(base).len(), 2);
        assert_eq!(old.cards_on(base + PAGE).len(), 0);
        assert!(old.contains(base + 100 * PAGE + 8));
    }

    #[test]
    fn too_many_clusters_merge_across_the_narrowest_gaps() {
        let base = 1 << 30;
        // Runs 20 pages apart, and one 1,000 pages further.
        let mut cards: Vec<(usize, usize)> = (0..20).map(|i| card(base + i * 20 * PAGE)).collect();
        cards.push(card(base + 1_400 * PAGE));
        let old = OldPages::choose(cards.clone()).unwrap();
        assert_eq!(old.clusters().len(), MAX_CLUSTERS);
        assert_eq!(
            old.clusters().last(),
            Some(&(base + 1_400 * PAGE..base + 1_401 * PAGE))
        );
        for &(_, at) in &cards {
            assert!(old.contains(at), "{at:#x} is in a cluster");
        }
        let pages: usize = old.clusters().iter().map(|c| c.len() / PAGE).sum();
        assert_eq!(pages, old.states.len());
        assert_eq!(old.span(), pages * PAGE);
    }
}
