//! The large objects a cycle moves, with an index by address: the
//! compaction pause forwards every root and slot that references one, and a
//! binary search of thousands of moves costs a dozen cache misses each (the
//! cache bench's 7,300 roots took 0.11–0.19 ms of its compaction pause).

use allocator::Relink;

/// Moves sorted by source address, and for each bucket of `1 << shift`
/// bytes from the first move's start the first move that ends above the
/// bucket's start. Buckets are about as many as moves, so a lookup reads an
/// index entry and a move or two.
#[derive(Debug, Default)]
pub(crate) struct RelinkTable {
    relinks: Box<[Relink]>,
    index: Box<[u32]>,
    base: usize,
    shift: u32,
}

impl RelinkTable {
    /// The table of `relinks`: sorted by `from`, not overlapping.
    pub(crate) fn new(relinks: Vec<Relink>) -> Self {
        let (Some(first), Some(last)) = (relinks.first(), relinks.last()) else {
            return RelinkTable::default();
        };
        let base = first.from;
        let span = last.from + last.size - base;
        let shift = (span / relinks.len())
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        let buckets = (span >> shift) + 1;
        let mut index = Vec::with_capacity(buckets);
        let mut i = 0;
        for b in 0..buckets {
            let start = base + (b << shift);
            while i < relinks.len() && relinks[i].from + relinks[i].size <= start {
                i += 1;
            }
            // At most `MAX_RELINKS`-many moves, far below `u32::MAX`.
            index.push(i as u32);
        }
        RelinkTable {
            relinks: relinks.into_boxed_slice(),
            index: index.into_boxed_slice(),
            base,
            shift,
        }
    }

    /// Every move, sorted by source address.
    pub(crate) fn all(&self) -> &[Relink] {
        &self.relinks
    }

    /// The move whose source block holds `addr`, if any.
    #[inline]
    pub(crate) fn find(&self, addr: usize) -> Option<&Relink> {
        let b = addr.checked_sub(self.base)? >> self.shift;
        let lo = *self.index.get(b)? as usize;
        // The moves that start in the bucket, and the one reaching into it.
        let hi = self.index.get(b + 1).map_or(self.relinks.len(), |&h| {
            (h as usize + 1).min(self.relinks.len())
        });
        let near = self.relinks.get(lo..hi)?;
        let i = near.partition_point(|r| r.from <= addr);
        near.get(i.checked_sub(1)?)
            .filter(|r| addr < r.from + r.size)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The move holding `addr` by a plain search.
    fn slow(relinks: &[Relink], addr: usize) -> Option<&Relink> {
        relinks
            .iter()
            .find(|r| r.from <= addr && addr < r.from + r.size)
    }

    #[test]
    fn finds_what_a_search_of_every_move_finds() {
        // Sizes from a page to a megabyte, with gaps, so that buckets hold
        // several moves or none.
        let mut relinks = Vec::new();
        let mut at = 1 << 30;
        let mut x = 0x9e37_79b9u64;
        for i in 0..500 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let size = 4096 * (1 + (x % 256) as usize) + i % 3 * 8;
            relinks.push(Relink {
                from: at,
                to: at - (1 << 20),
                size,
            });
            at += size + 4096 * (x % 3) as usize;
        }
        let table = RelinkTable::new(relinks.clone());
        assert_eq!(table.all(), &relinks[..]);
        let end = at + (1 << 20);
        let mut addr = (1 << 30) - (1 << 16);
        while addr < end {
            assert_eq!(table.find(addr), slow(&relinks, addr), "{addr:#x}");
            addr += 1000;
        }
        for r in &relinks {
            for a in [r.from, r.from + r.size - 1, r.from + r.size, r.from - 1] {
                assert_eq!(table.find(a), slow(&relinks, a), "{a:#x}");
            }
        }
        assert_eq!(RelinkTable::new(Vec::new()).find(1 << 30), None);
    }
}
