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
/// copied: a dead one's pages go back to the kernel, and a live one may move
/// down into a hole with its pages relinked ([`plan_relinks`](Self::plan_relinks)).
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

/// A live block moving to a hole lower in the space: its pages relink
/// (move in the page tables, unread) from `from` to `to`. The two ranges do
/// not overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relink {
    /// The block's start before the move.
    pub from: usize,
    /// Its start after.
    pub to: usize,
    /// Its size in bytes (as allocated, not rounded to pages).
    pub size: usize,
}

impl Relink {
    /// The block's pages before the move.
    pub fn source(&self) -> Range<usize> {
        self.from..self.from + self.size.next_multiple_of(gc_uffd::page_size())
    }

    /// The block's pages after it.
    pub fn destination(&self) -> Range<usize> {
        self.to..self.to + self.size.next_multiple_of(gc_uffd::page_size())
    }
}

/// How fragmented the space is: the holes below its extent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fragmentation {
    /// Bytes from the space's start to its extent.
    pub span: usize,
    /// Of those, bytes in free runs.
    pub holes: usize,
    /// Allocations refused since the last [`LargeObjects::plan_relinks`]
    /// while the space had as many bytes free: refused for want of a
    /// contiguous run.
    pub refused: usize,
}

#[derive(Debug, Default)]
struct Table {
    blocks: BTreeMap<usize, Block>,
    /// The blocks whose objects may hold references, start to size: a full
    /// cycle's pause lists these, and walking every block for them was most
    /// of it where few have slots (the cache bench's 7,000 arrays of bytes:
    /// 16–150 µs).
    slotted: BTreeMap<usize, usize>,
    /// The blocks' sizes summed: read in every pause, which a walk of the
    /// blocks made grow with them.
    bytes: usize,
    /// Blocks allocated in this generation (some maybe freed since).
    young: Vec<usize>,
    generation: u64,
    /// See [`Fragmentation::refused`].
    refused: usize,
    /// Free runs set aside while moves are planned: (start, bytes).
    gaps: Vec<(usize, usize)>,
}

/// An allocated block, by its start in [`Table::blocks`].
#[derive(Clone, Copy, Debug)]
struct Block {
    size: usize,
    /// The generation of its allocation.
    generation: u64,
    /// Whether its object may hold references: the collector reads and
    /// rewrites only those, and moves the others without reading them.
    slots: bool,
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

    /// A zeroed, page-aligned block of `size` bytes, or `None` when the space
    /// is full. `slots` says whether its object may hold references.
    ///
    /// `publish` runs on the block's address while the table is locked, before
    /// any [`sweep`](Self::sweep) can see the block: a collector that sweeps
    /// while mutators allocate marks a block born live there (allocated
    /// black), so that no sweep judges it between its allocation and its mark.
    pub fn alloc(&self, size: usize, slots: bool, publish: impl FnOnce(usize)) -> Option<usize> {
        let Some(start) = self.pool.alloc(size) else {
            if self.pool.free_below_extent() + (self.range().end - self.extent()) >= size {
                self.objects.lock().refused += 1;
            }
            return None;
        };
        let mut table = self.objects.lock();
        publish(start);
        let generation = table.generation;
        table.blocks.insert(
            start,
            Block {
                size,
                generation,
                slots,
            },
        );
        if slots {
            table.slotted.insert(start, size);
        }
        table.bytes += size;
        table.young.push(start);
        Some(start)
    }

    /// Makes every block old: what a cycle found live has survived it.
    pub fn promote(&self) {
        let mut table = self.objects.lock();
        table.generation += 1;
        table.young.clear();
    }

    /// The blocks still allocated whose objects may hold references, as
    /// (start, size), in address order: the young ones, or all. Its work
    /// grows with the young blocks, or with the blocks with slots.
    pub fn with_slots(&self, young: bool) -> Vec<(usize, usize)> {
        let table = self.objects.lock();
        if !young {
            return table.slotted.iter().map(|(&a, &size)| (a, size)).collect();
        }
        let mut objects: Vec<(usize, usize)> = table
            .young
            .iter()
            .filter_map(|a| match table.blocks.get(a) {
                Some(b) if b.generation == table.generation && b.slots => Some((*a, b.size)),
                _ => None,
            })
            .collect();
        objects.sort_unstable();
        objects.dedup();
        objects
    }

    /// The block holding `addr`, as (start, size, whether it is young).
    pub fn block_containing(&self, addr: usize) -> Option<(usize, usize, bool)> {
        let table = self.objects.lock();
        let (&start, b) = table.blocks.range(..=addr).next_back()?;
        (addr < start + b.size).then_some((start, b.size, b.generation == table.generation))
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
        self.objects.lock().bytes
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
        table.blocks.iter().map(|(&a, b)| (a, b.size)).collect()
    }

    /// How fragmented the space is now.
    pub fn fragmentation(&self) -> Fragmentation {
        let refused = self.objects.lock().refused;
        Fragmentation {
            span: self.extent() - self.range().start,
            holes: self.pool.free_below_extent(),
            refused,
        }
    }

    /// Plans moves of blocks down into holes: from the highest block down,
    /// each block for which `movable(start, size)` holds moves to the lowest
    /// free run below its start that it fits in (so the two ranges never
    /// overlap), which is taken out of the free runs at once, so no
    /// allocation lands there meanwhile. Stops after `max_moves` moves.
    /// Every other free run between the lowest destination and the highest
    /// one's end is set aside too, until [`end_relinks`](Self::end_relinks):
    /// that span can then be watched for faults as one range, with nothing
    /// allocated inside it meanwhile. Returns the moves in source order. Its
    /// work grows with the number of blocks and holes, not with the space.
    ///
    /// Then [`relink`](Self::relink) (or [`cancel`](Self::cancel)) each move.
    pub fn plan_relinks(
        &self,
        mut movable: impl FnMut(usize, usize) -> bool,
        max_moves: usize,
    ) -> Vec<Relink> {
        let mut table = self.objects.lock();
        table.refused = 0;
        let mut moves: Vec<Relink> = Vec::new();
        for (&from, &Block { size, .. }) in table.blocks.iter().rev() {
            if moves.len() >= max_moves {
                break;
            }
            if !movable(from, size) {
                continue;
            }
            if let Some(to) = self.pool.reserve_below(size, from) {
                moves.push(Relink { from, to, size });
            }
        }
        let span = moves
            .iter()
            .map(|m| m.to)
            .min()
            .zip(moves.iter().map(|m| m.destination().end).max());
        if let Some((start, end)) = span {
            let gaps = self.pool.reserve_within(start..end);
            table.gaps.extend(gaps);
        }
        drop(table);
        moves.reverse();
        moves
    }

    /// Sets aside the destination of a planned move that will not happen,
    /// until [`end_relinks`](Self::end_relinks).
    pub fn cancel(&self, relink: &Relink) {
        let len = relink.size.next_multiple_of(gc_uffd::page_size());
        self.objects.lock().gaps.push((relink.to, len));
    }

    /// Gives back the runs [`plan_relinks`](Self::plan_relinks) and
    /// [`cancel`](Self::cancel) set aside, once no fault handling is
    /// registered on them any more.
    pub fn end_relinks(&self) {
        let gaps = std::mem::take(&mut self.objects.lock().gaps);
        for (start, len) in gaps {
            self.pool.unreserve(start, len);
        }
    }

    /// The table's half of a move: the block is at `to` from now on. Its
    /// pages must be moved before anything reads it there, and its source
    /// freed with [`free_source`](Self::free_source) once they have.
    pub fn relink(&self, relink: &Relink) {
        let mut table = self.objects.lock();
        if let Some(entry) = table.blocks.remove(&relink.from) {
            table.blocks.insert(relink.to, entry);
        }
        if let Some(size) = table.slotted.remove(&relink.from) {
            table.slotted.insert(relink.to, size);
        }
    }

    /// Frees the pages a moved block left, once nothing can touch them (no
    /// fault handling registered on them any more).
    pub fn free_source(&self, relink: &Relink) {
        self.pool.unreserve(relink.from, relink.size);
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
                .map(|(&a, b)| (a, b.size))
                .collect();
            for &(a, size) in &dead {
                table.blocks.remove(&a);
                table.slotted.remove(&a);
                table.bytes -= size;
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
        let a = los.alloc(3 * page, true, |_| ()).unwrap();
        let b = los.alloc(40_000, true, |_| ()).unwrap();
        assert_eq!(a % page, 0);
        assert_eq!(b % page, 0);
        assert!(los.is_object(b) && !los.is_object(b + 8));
        assert_eq!(los.bytes(), 3 * page + 40_000);
        assert_eq!(los.sweep(|o| o == b), (1, 3 * page));
        assert_eq!(los.objects(), vec![(b, 40_000)]);
        assert_eq!(
            los.bytes(),
            40_000,
            "a swept block's bytes are no longer counted"
        );
        assert_eq!(
            los.alloc(3 * page, true, |_| ()),
            Some(a),
            "the freed run is reused"
        );
    }

    #[test]
    fn blocks_with_slots_are_listed_young_or_all_and_the_others_not() {
        let page = gc_uffd::page_size();
        let r = Arc::new(Reservation::new(64 * page, page).unwrap());
        let los = LargeObjects::new(r.clone(), r.range());
        let old = los.alloc(page, true, |_| ()).unwrap();
        los.alloc(page, false, |_| ()).unwrap();
        los.promote();
        let young = los.alloc(2 * page, true, |_| ()).unwrap();
        los.alloc(2 * page, false, |_| ()).unwrap();
        assert_eq!(los.with_slots(true), vec![(young, 2 * page)]);
        assert_eq!(los.with_slots(false), vec![(old, page), (young, 2 * page)]);
        assert_eq!(los.objects().len(), 4, "a walk sees them all");
    }

    /// Blocks of 2, 3, 1, 2 and 3 pages, the second and fourth freed: the
    /// top block moves into the lowest hole that fits below it, the others
    /// find none below them (the 1-page block's only hole below it is taken
    /// by then); a pinned block stays and the next one down takes its hole;
    /// once relinked and its source freed, the extent falls.
    #[test]
    fn the_planner_moves_blocks_down_into_the_lowest_hole_below_them() {
        let page = gc_uffd::page_size();
        let r = Arc::new(Reservation::new(64 * page, page).unwrap());
        let los = LargeObjects::new(r.clone(), r.range());
        let sizes = [2, 3, 1, 2, 3];
        let b: Vec<usize> = sizes
            .iter()
            .map(|&n| los.alloc(n * page - 8, true, |_| ()).unwrap())
            .collect();
        los.sweep(|a| a != b[1] && a != b[3]);
        let frag = los.fragmentation();
        assert_eq!(
            (frag.span, frag.holes, frag.refused),
            (11 * page, 5 * page, 0)
        );

        let moves = los.plan_relinks(|_, _| true, 16);
        assert_eq!(
            moves,
            vec![Relink {
                from: b[4],
                to: b[1],
                size: 3 * page - 8
            }]
        );
        assert!(moves[0].source().end <= r.start() + 11 * page);
        assert_eq!(moves[0].destination(), b[1]..b[1] + 3 * page);
        los.cancel(&moves[0]);
        los.end_relinks();

        // Pinned, the top block stays: the 1-page block takes the lowest hole.
        let moves = los.plan_relinks(|a, _| a != b[4], 16);
        assert_eq!(
            moves,
            vec![Relink {
                from: b[2],
                to: b[1],
                size: page - 8
            }]
        );
        assert_eq!(
            los.alloc(3 * page, true, |_| ()),
            Some(b[4] + 3 * page),
            "a reserved destination is not handed out (nor, as it is too small, \
             the rest of its hole): the allocation goes past the extent"
        );
        los.cancel(&moves[0]);
        los.end_relinks();
    }

    /// A move relinks the table, and freeing its source coalesces the holes:
    /// the extent falls to the end of the highest block left.
    #[test]
    fn relinking_and_freeing_the_source_shrinks_the_extent() {
        let page = gc_uffd::page_size();
        let r = Arc::new(Reservation::new(64 * page, page).unwrap());
        let los = LargeObjects::new(r.clone(), r.range());
        let b: Vec<usize> = (0..4)
            .map(|_| los.alloc(2 * page, true, |_| ()).unwrap())
            .collect();
        los.sweep(|a| a != b[1] && a != b[2]);
        let committed = los.committed();
        let moves = los.plan_relinks(|_, _| true, 16);
        assert_eq!(moves.len(), 1);
        assert_eq!((moves[0].from, moves[0].to), (b[3], b[1]));
        assert_eq!(
            los.committed(),
            committed,
            "a destination is not counted in use"
        );
        los.relink(&moves[0]);
        assert_eq!(los.objects(), vec![(b[0], 2 * page), (b[1], 2 * page)]);
        assert_eq!(
            los.with_slots(false),
            los.objects(),
            "the blocks with slots are listed where they moved, the swept ones not"
        );
        assert_eq!(los.extent(), b[3] + 2 * page, "the source is not free yet");
        los.free_source(&moves[0]);
        assert_eq!(los.extent(), b[2]);
        assert_eq!(los.committed(), committed);
        assert_eq!(los.fragmentation().holes, 0);
    }

    /// Blocks of 1, 1, 1, 1, 2 and 2 pages, the first, third and fifth
    /// freed: the top block takes the 2-page hole, the fourth the first
    /// hole; the 1-page hole between the two destinations is set aside (no
    /// allocation lands there) until the relinks end. With one move at
    /// most, only the top block moves.
    #[test]
    fn the_planner_sets_aside_the_holes_between_destinations() {
        let page = gc_uffd::page_size();
        let fragmented = || {
            let r = Arc::new(Reservation::new(64 * page, page).unwrap());
            let los = LargeObjects::new(r.clone(), r.range());
            let b: Vec<usize> = [1, 1, 1, 1, 2, 2]
                .iter()
                .map(|&n| los.alloc(n * page, true, |_| ()).unwrap())
                .collect();
            los.sweep(|a| ![b[0], b[2], b[4]].contains(&a));
            (los, b)
        };
        let (los, b) = fragmented();
        let moves = los.plan_relinks(|_, _| true, 16);
        let pairs: Vec<(usize, usize)> = moves.iter().map(|m| (m.from, m.to)).collect();
        assert_eq!(pairs, vec![(b[3], b[0]), (b[5], b[4])]);
        let fresh = los.alloc(page, true, |_| ()).unwrap();
        assert_eq!(fresh, b[5] + 2 * page, "the hole between is set aside");
        for m in &moves {
            los.relink(m);
            los.free_source(m);
        }
        los.end_relinks();
        assert_eq!(los.alloc(page, true, |_| ()), Some(b[2]), "given back");

        let (los, b) = fragmented();
        let moves = los.plan_relinks(|_, _| true, 1);
        let pairs: Vec<(usize, usize)> = moves.iter().map(|m| (m.from, m.to)).collect();
        assert_eq!(pairs, vec![(b[5], b[4])]);
    }

    /// An allocation refused while the space has the bytes free, in holes
    /// too small, is counted until the next plan.
    #[test]
    fn a_refusal_for_want_of_a_contiguous_run_is_counted() {
        let page = gc_uffd::page_size();
        let r = Arc::new(Reservation::new(8 * page, page).unwrap());
        let los = LargeObjects::new(r.clone(), r.range());
        let b: Vec<usize> = (0..8)
            .map(|_| los.alloc(page, true, |_| ()).unwrap())
            .collect();
        los.sweep(|a| a != b[1] && a != b[4]);
        assert_eq!(los.alloc(2 * page, true, |_| ()), None);
        assert_eq!(los.alloc(3 * page, true, |_| ()), None, "not free at all");
        assert_eq!(los.fragmentation().refused, 1);
        let _ = los.plan_relinks(|_, _| false, 16);
        assert_eq!(los.fragmentation().refused, 0);
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
                                .alloc(page, true, |a| {
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
