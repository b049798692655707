//! The large-object allocator.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use gc_uffd::Reservation;

use crate::PagePool;
use crate::lock::{Mutex, MutexGuard};
use crate::pages::PoolLock;

/// Page-aligned allocations, each its own run of pages, with a table of which
/// are allocated so the collector can sweep them. Large objects are never
/// copied: a dead one's pages go back to the kernel.
///
/// Blocks are young until [`promote`](Self::promote) (the end of the cycle
/// after their allocation) and old after: a young cycle rewrites the
/// references of young blocks whole, and of old ones only where the card
/// table says they may point at young objects.
#[derive(Debug)]
pub struct LargeObjects {
    pool: PagePool,
    objects: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    /// Start to (size, generation of its allocation).
    blocks: BTreeMap<usize, (usize, u64)>,
    /// Blocks allocated in this generation (some maybe freed since).
    young: Vec<usize>,
    generation: u64,
}

/// A [`LargeObjects`]' locks, held until dropped (from [`LargeObjects::lock`]).
#[must_use = "the locks are released when this is dropped"]
pub struct LargeLock<'a> {
    // Released in this order: pages, then the table.
    _pages: PoolLock<'a>,
    _objects: MutexGuard<'a, Table>,
}

impl LargeObjects {
    /// A large-object space over `range` of `reservation`.
    pub fn new(reservation: Arc<Reservation>, range: Range<usize>) -> Self {
        LargeObjects {
            pool: PagePool::new(reservation, range),
            objects: Mutex::new(Table::default()),
        }
    }

    /// The addresses the space covers.
    pub fn range(&self) -> Range<usize> {
        self.pool.range()
    }

    /// A zeroed, page-aligned block of `size` bytes, or `None` when the space is full.
    ///
    /// `publish` runs on the block's address while the table is locked, before
    /// any [`sweep`](Self::sweep) can see the block: a collector that sweeps
    /// while mutators allocate marks a block born live there (allocated
    /// black), so that no sweep judges it between its allocation and its mark.
    pub fn alloc(&self, size: usize, publish: impl FnOnce(usize)) -> Option<usize> {
        let start = self.pool.alloc(size)?;
        let mut table = self.objects.lock();
        publish(start);
        let generation = table.generation;
        table.blocks.insert(start, (size, generation));
        table.young.push(start);
        Some(start)
    }

    /// Makes every block old: what a cycle found live has survived it.
    pub fn promote(&self) {
        let mut table = self.objects.lock();
        table.generation += 1;
        table.young.clear();
    }

    /// The young blocks still allocated, as (start, size), in address order.
    pub fn young_objects(&self) -> Vec<(usize, usize)> {
        let table = self.objects.lock();
        let mut young: Vec<(usize, usize)> = table
            .young
            .iter()
            .filter_map(|a| match table.blocks.get(a) {
                Some(&(size, g)) if g == table.generation => Some((*a, size)),
                _ => None,
            })
            .collect();
        young.sort_unstable();
        young.dedup();
        young
    }

    /// The block holding `addr`, as (start, size, whether it is young).
    pub fn block_containing(&self, addr: usize) -> Option<(usize, usize, bool)> {
        let table = self.objects.lock();
        let (&start, &(size, g)) = table.blocks.range(..=addr).next_back()?;
        (addr < start + size).then_some((start, size, g == table.generation))
    }

    /// Holds the space's locks (its table's, then its pages') until the
    /// result is dropped: meanwhile no other thread allocates, sweeps or
    /// reads the space. For a `fork`, as [`PagePool::lock`].
    pub fn lock(&self) -> LargeLock<'_> {
        let objects = self.objects.lock();
        LargeLock {
            _pages: self.pool.lock(),
            _objects: objects,
        }
    }

    /// Whether `addr` is the start of an allocated block.
    pub fn is_object(&self, addr: usize) -> bool {
        self.objects.lock().blocks.contains_key(&addr)
    }

    /// Bytes in allocated blocks (their sizes, not rounded to pages).
    pub fn bytes(&self) -> usize {
        self.objects.lock().blocks.values().map(|&(s, _)| s).sum()
    }

    /// The part of the space ever used: every block lies below this address.
    pub fn extent(&self) -> usize {
        self.pool.extent()
    }

    /// The largest block [`alloc`](Self::alloc) could hand out now, in bytes.
    pub fn largest_free(&self) -> usize {
        self.pool.largest_free()
    }

    /// Pages' worth of bytes the space holds.
    pub fn committed(&self) -> usize {
        self.pool.in_use()
    }

    /// Every allocated block as (start, size), in address order.
    pub fn objects(&self) -> Vec<(usize, usize)> {
        let table = self.objects.lock();
        table.blocks.iter().map(|(&a, &(s, _))| (a, s)).collect()
    }

    /// Frees every block for which `is_live` is false; returns (blocks, bytes)
    /// freed. Blocks allocated meanwhile are judged after their `publish` ran.
    pub fn sweep(&self, mut is_live: impl FnMut(usize) -> bool) -> (usize, usize) {
        let dead: Vec<(usize, usize)> = {
            let mut table = self.objects.lock();
            let dead: Vec<_> = table
                .blocks
                .iter()
                .filter(|&(&a, _)| !is_live(a))
                .map(|(&a, &(s, _))| (a, s))
                .collect();
            for (a, _) in &dead {
                table.blocks.remove(a);
            }
            dead
        };
        for &(a, s) in &dead {
            self.pool.free(a, s);
        }
        (dead.len(), dead.iter().map(|&(_, s)| s).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeping_frees_the_dead_and_keeps_the_live() {
        let page = gc_uffd::page_size();
        let r = Arc::new(Reservation::new(64 * page, page).unwrap());
        let los = LargeObjects::new(r.clone(), r.range());
        let a = los.alloc(3 * page, |_| ()).unwrap();
        let b = los.alloc(40_000, |_| ()).unwrap();
        assert_eq!(a % page, 0);
        assert_eq!(b % page, 0);
        assert!(los.is_object(b) && !los.is_object(b + 8));
        assert_eq!(los.bytes(), 3 * page + 40_000);
        assert_eq!(los.sweep(|o| o == b), (1, 3 * page));
        assert_eq!(los.objects(), vec![(b, 40_000)]);
        assert_eq!(
            los.alloc(3 * page, |_| ()),
            Some(a),
            "the freed run is reused"
        );
    }

    /// Threads allocate blocks born live (published as marked) while another
    /// sweeps with "marked" as its liveness: no block is ever freed under its
    /// allocator, whatever the interleaving.
    #[test]
    fn stress_blocks_born_live_survive_concurrent_sweeps() {
        use std::collections::HashSet;
        use std::sync::atomic::{AtomicBool, Ordering};
        let page = gc_uffd::page_size();
        let r = Arc::new(Reservation::new(4096 * page, page).unwrap());
        let los = LargeObjects::new(r.clone(), r.range());
        let marked = Mutex::new(HashSet::new());
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    los.sweep(|a| marked.lock().contains(&a));
                }
            });
            let allocators: Vec<_> = (0..3)
                .map(|_| {
                    s.spawn(|| {
                        for _ in 0..2000 {
                            let a = los
                                .alloc(page, |a| {
                                    marked.lock().insert(a);
                                })
                                .unwrap();
                            assert!(los.is_object(a), "a block born live was swept");
                            marked.lock().remove(&a);
                            los.sweep(|b| b != a || marked.lock().contains(&b));
                        }
                    })
                })
                .collect();
            for a in allocators {
                a.join().unwrap();
            }
            done.store(true, Ordering::Relaxed);
        });
    }
}
