//! The references the collector owns for the VM that do not keep objects
//! alive, or not simply: weak and soft handles, ephemerons, objects
//! registered for finalization and cleaners, and the identity hashes of the
//! objects that have one; and their processing at the end of a cycle's
//! marking.
//!
//! Every table lives behind one lock. Mutators take it to make, read and
//! drop handles while they run; the collector takes it in its pauses, with
//! every mutator stopped or in native code, so the two never wait for each
//! other across a safepoint; and once after a cycle's pauses, when tables
//! too large for them were left to rewrite (then a mutator taking them
//! first does that work, or waits for it: [`References::current`]).
//!
//! Processing runs in the pause where tracing ends (the final mark, or the
//! one pause of a cycle that marks in a pause), in [`Stage`]s:
//!
//! 0. soft handles' referents are marked and traced, unless the cycle clears
//!    them (memory is short: [`Tables::clear_soft`]), when they are weak;
//! 1. ephemerons: the values of those whose keys are live are marked and
//!    traced, again and again until no ephemeron's value is newly marked (a
//!    value may be another ephemeron's key);
//! 2. weak handles whose referents are not live are cleared, and ephemerons
//!    whose keys are not; then objects registered for finalization and not
//!    live are marked again (resurrected), traced, and queued for the VM;
//! 3. cleaners of objects that are still not live (not even resurrected) are
//!    notified, and dead objects' identity hashes forgotten (after the
//!    pauses, past [`REWRITE_IN_PAUSE`] entries).
//!
//! Each step's marking may need more tracing than the pause's budget: the
//! mutators then resume with marking on, and the next final-mark pause
//! continues from the stage reached.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use gc_heap::{Plan, PlanParts, SlotKind, Spaces};

use crate::mark::{Liveness, Marker};
use crate::slab::Slab;
use crate::sync::ForkSafeMutex;

/// Where a cycle's reference processing stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Soft handles' referents are marked, unless the cycle clears them.
    #[default]
    Soft,
    /// Ephemerons are being resolved; nothing has been cleared.
    Ephemerons,
    /// Weak handles and dead ephemerons are cleared and finalizable objects
    /// resurrected; what they reach is being traced.
    Resurrected,
    /// Cleaners notified: processing is over for this cycle.
    Done,
}

/// What a cycle's reference processing did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReferenceStats {
    /// Weak handles holding a referent when the cycle examined them.
    pub weak: usize,
    /// Of those, cleared: their referents were unreachable.
    pub weak_cleared: usize,
    /// Soft handles holding a referent when the cycle examined them.
    pub soft: usize,
    /// Of those, cleared: memory was short and their referents were
    /// otherwise unreachable.
    pub soft_cleared: usize,
    /// Weak slots in objects (`SlotKind::Weak`) of the objects marking
    /// scanned, holding a reference.
    pub weak_slots: usize,
    /// Of those, cleared (set to null): their objects were unreachable.
    pub weak_slots_cleared: usize,
    /// Ephemerons holding a key when the cycle examined them.
    pub ephemerons: usize,
    /// Of those, cleared: their keys were unreachable.
    pub ephemerons_cleared: usize,
    /// Objects registered for finalization found unreachable, kept alive and
    /// queued for the VM.
    pub finalizable: usize,
    /// Cleaners notified: their objects were unreachable.
    pub cleaned: usize,
    /// Identity hashes of objects the cycle found live
    /// ([`Mutator::identity_hash`](crate::Mutator::identity_hash)).
    pub hashed: usize,
    /// Identity hashes forgotten: their objects were unreachable.
    pub hashes_dropped: usize,
    /// Time spent processing, in the pauses.
    pub processing: Duration,
    /// Time spent rewriting the tables' references in the compaction pause.
    pub rewriting: Duration,
}

/// The tables.
#[derive(Default)]
pub(crate) struct Tables {
    /// Weak handles' referents; 0 once cleared.
    pub(crate) weak: Slab<usize>,
    /// Soft handles' referents; 0 once cleared.
    pub(crate) soft: Slab<usize>,
    /// Whether the cycle in progress clears soft handles whose referents
    /// nothing else keeps (set when it starts), or keeps them alive.
    pub(crate) clear_soft: bool,
    /// Ephemerons' keys and values; zeros once cleared.
    pub(crate) ephemerons: Slab<[usize; 2]>,
    /// Objects registered for finalization, not yet found unreachable.
    pub(crate) finalizers: Vec<usize>,
    /// Objects found unreachable that the VM has not taken yet: roots.
    pub(crate) finalizable: Vec<usize>,
    /// Objects with a cleaner, and the token the VM gets when they die.
    pub(crate) cleaners: Vec<(usize, u64)>,
    /// Tokens of the cleaners notified, not yet taken.
    pub(crate) cleaned: Vec<u64>,
    /// The identity hashes given out, by their objects' current addresses.
    pub(crate) hashes: HashMap<usize, u32>,
    /// A compaction's plan whose forwarding the tables still await: too
    /// large to rewrite in its pause, they are rewritten by the first thread
    /// to take them after it ([`References::current`]).
    pending: Option<PlanParts>,
    /// A finished marking whose dead objects' hashes are still to forget:
    /// too many to look at in its final-mark pause (a million took 7 ms), they
    /// go before the tables are next used or rewritten.
    purge: Option<Liveness>,
    /// What the deferred work took, whoever did it, for the cycle's figures.
    deferred: Option<Deferred>,
    /// Hashes given out so far, the seed of the next.
    pub(crate) hash_seed: u64,
}

/// The heap's reference tables.
#[derive(Default)]
pub(crate) struct References(ForkSafeMutex<Tables>);

/// Work on the tables a cycle left for after its pauses, done by
/// [`References::current`].
#[derive(Default)]
pub(crate) struct Deferred {
    pub(crate) took: Duration,
    /// Hashes kept and forgotten, if forgetting was left.
    pub(crate) hashes: Option<(usize, usize)>,
}

impl References {
    /// The tables, locked, as they are: in a pause, or for work that neither
    /// reads nor stores an address (dropping a handle; a new address stored
    /// while a rewrite is pending would be forwarded again).
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.0.lock()
    }

    /// The tables, locked, their addresses current: the hashes of dead
    /// objects a final mark left to forget are forgotten, and a rewrite the
    /// last compaction pause left pending is done (what that took is kept
    /// for [`take_deferred`](Self::take_deferred)).
    pub(crate) fn current<'a>(&'a self, spaces: &Spaces) -> std::sync::MutexGuard<'a, Tables> {
        let mut tables = self.0.lock();
        if tables.purge.is_none() && tables.pending.is_none() {
            return tables;
        }
        let t = Instant::now();
        let mut done = tables.deferred.take().unwrap_or_default();
        // Before forwarding: a dead object's address forwards to a live one's.
        // The marks stay until the cycle has taken the tables through here
        // (`finish`, first thing after its pauses).
        if let Some(liveness) = tables.purge.take() {
            let before = tables.hashes.len();
            tables
                .hashes
                .retain(|&obj, _| liveness.is_live(spaces, obj));
            done.hashes = Some((tables.hashes.len(), before - tables.hashes.len()));
        }
        if let Some(parts) = tables.pending.take() {
            // SAFETY: as above, the marking's bits stay until the cycle that
            // planned `parts` has taken the tables through here.
            let plan = unsafe { spaces.plan_from(parts) };
            rewrite_tables(&mut tables, &plan, None);
        }
        done.took += t.elapsed();
        tables.deferred = Some(done);
        tables
    }

    /// The tables made current, and what the work the last cycle left for
    /// after its pauses took, whoever did it.
    pub(crate) fn take_deferred(&self, spaces: &Spaces) -> Option<Deferred> {
        self.current(spaces).deferred.take()
    }

    /// The next step of reference processing, in a pause where tracing has
    /// just left no grey object. Returns the objects it marked, to trace
    /// before calling it again; none when processing is over.
    pub(crate) fn process(
        &self,
        marker: &Marker<'_>,
        pool: Option<&rayon::ThreadPool>,
        stage: &mut Stage,
        stats: &mut ReferenceStats,
    ) -> Vec<usize> {
        let t = Instant::now();
        let mut tables = self.lock();
        let mut grey = Vec::new();
        while grey.is_empty() && *stage != Stage::Done {
            match stage {
                Stage::Soft => {
                    if !tables.clear_soft {
                        grey = tables.mark_soft_referents(marker);
                    }
                    *stage = Stage::Ephemerons;
                }
                Stage::Ephemerons => {
                    grey = tables.mark_ephemeron_values(marker);
                    if grey.is_empty() {
                        clear_weak_slots(marker, stats);
                        tables.clear_dead(marker, pool, stats);
                        grey = tables.resurrect(marker, stats);
                        *stage = Stage::Resurrected;
                    }
                }
                Stage::Resurrected => {
                    // Those of the objects resurrected: what they reference
                    // and finalization did not, is gone.
                    clear_weak_slots(marker, stats);
                    tables.notify_cleaners(marker, stats);
                    tables.forget_dead_hashes(marker, stats);
                    *stage = Stage::Done;
                }
                Stage::Done => {}
            }
        }
        stats.processing += t.elapsed();
        grey
    }

    /// Rewrites every reference the tables hold to its post-compact address,
    /// in the compaction pause; or, past [`REWRITE_IN_PAUSE`] entries, leaves
    /// that to the first thread taking them after it ([`current`](Self::current)).
    pub(crate) fn rewrite(
        &self,
        plan: &Plan<'_>,
        pool: Option<&rayon::ThreadPool>,
        stats: &mut ReferenceStats,
    ) {
        let t = Instant::now();
        let mut tables = self.lock();
        let entries = tables.weak.entries().len()
            + tables.soft.entries().len()
            + tables.ephemerons.entries().len()
            + tables.finalizers.len()
            + tables.cleaners.len()
            + tables.hashes.len();
        if entries > REWRITE_IN_PAUSE || tables.purge.is_some() {
            tables.pending = Some(plan.parts());
        } else {
            rewrite_tables(&mut tables, plan, pool);
        }
        stats.rewriting = t.elapsed();
    }

    /// Calls `f` with every reference the tables hold weakly, for the verifier.
    pub(crate) fn for_each_weak(&self, spaces: &Spaces, mut f: impl FnMut(usize)) {
        let tables = self.current(spaces);
        let values = tables
            .weak
            .entries()
            .iter()
            .chain(tables.soft.entries())
            .copied()
            .chain(tables.ephemerons.entries().iter().flatten().copied())
            .chain(tables.finalizers.iter().copied())
            .chain(tables.cleaners.iter().map(|&(obj, _)| obj))
            .chain(tables.hashes.keys().copied());
        for v in values {
            f(v);
        }
    }
}

/// Entries a pass over a table gives each GC thread at a time.
const CHUNK: usize = 4096;

/// Entries past which the tables are rewritten after the compaction pause,
/// not in it: the hashes' table is rebuilt under the new addresses, about
/// 50 ns an entry, so a million hashed objects would have added tens of
/// milliseconds to the pause. Mutators that take the tables before the cycle
/// has rewritten them wait for it, or do it.
const REWRITE_IN_PAUSE: usize = 16_384;

/// Runs `f` over `data` in chunks, on the threads of `pool` if there are
/// several, else on this one; returns the sum of what it returned.
/// Rewrites every address the tables hold to where `plan` moves it.
fn rewrite_tables(tables: &mut Tables, plan: &Plan<'_>, pool: Option<&rayon::ThreadPool>) {
    let Tables {
        weak,
        soft,
        ephemerons,
        finalizers,
        cleaners,
        hashes,
        ..
    } = tables;
    let rewrite = |slot: &mut usize| {
        // SAFETY: a word of the tables, which the caller holds locked.
        unsafe { plan.rewrite_slot(slot, SlotKind::Ref) };
    };
    for table in [weak, soft] {
        in_chunks(pool, table.entries_mut(), |chunk| {
            chunk.iter_mut().for_each(rewrite);
            0
        });
    }
    in_chunks(pool, ephemerons.entries_mut(), |chunk| {
        chunk.iter_mut().flatten().for_each(rewrite);
        0
    });
    finalizers
        .iter_mut()
        .chain(cleaners.iter_mut().map(|(obj, _)| obj))
        .for_each(rewrite);
    // Keys are addresses: the table is rebuilt under the new ones.
    if !hashes.is_empty() {
        *hashes = hashes
            .drain()
            .map(|(mut obj, hash)| {
                rewrite(&mut obj);
                (obj, hash)
            })
            .collect();
    }
}

fn in_chunks<T: Send>(
    pool: Option<&rayon::ThreadPool>,
    data: &mut [T],
    f: impl Fn(&mut [T]) -> usize + Sync,
) -> usize {
    match pool.filter(|p| p.current_num_threads() > 1 && data.len() > CHUNK) {
        Some(pool) => pool.install(|| data.par_chunks_mut(CHUNK).map(&f).sum()),
        None => data.chunks_mut(CHUNK).map(f).sum(),
    }
}

/// Clears the referents in `entries` that are not live; returns how many it
/// cleared, and adds to `held` how many held one.
fn clear_unlive(
    pool: Option<&rayon::ThreadPool>,
    entries: &mut [usize],
    marker: &Marker<'_>,
    held: &AtomicUsize,
) -> usize {
    in_chunks(pool, entries, |chunk| {
        let mut cleared = 0;
        let mut seen = 0;
        for referent in chunk.iter_mut().filter(|r| **r != 0) {
            seen += 1;
            if !marker.is_live(*referent) {
                *referent = 0;
                cleared += 1;
            }
        }
        held.fetch_add(seen, Ordering::Relaxed);
        cleared
    })
}

/// Stores null in the weak slots marking noted whose objects are not live.
fn clear_weak_slots(marker: &Marker<'_>, stats: &mut ReferenceStats) {
    for slot in marker.take_weak_slots() {
        stats.weak_slots += 1;
        // SAFETY: a weak slot of an object marking scanned, which nothing
        // has moved or freed since; every mutator is stopped (this is a
        // pause), and marking threads are done.
        let slot = unsafe { &mut *(slot as *mut usize) };
        if *slot != 0 && !marker.is_live(*slot) {
            *slot = 0;
            stats.weak_slots_cleared += 1;
        }
    }
}

impl Tables {
    /// Marks the soft handles' referents; returns those newly marked.
    fn mark_soft_referents(&self, marker: &Marker<'_>) -> Vec<usize> {
        self.soft
            .entries()
            .iter()
            .copied()
            .filter(|&r| r != 0 && marker.mark_new(r))
            .collect()
    }

    /// Marks the values of ephemerons whose keys are live; returns those
    /// newly marked.
    fn mark_ephemeron_values(&self, marker: &Marker<'_>) -> Vec<usize> {
        self.ephemerons
            .entries()
            .iter()
            .filter(|[key, _]| *key != 0 && marker.is_live(*key))
            .map(|&[_, value]| value)
            .filter(|&value| marker.mark_new(value))
            .collect()
    }

    /// Clears the weak handles whose referents, and the ephemerons whose
    /// keys, are not live.
    fn clear_dead(
        &mut self,
        marker: &Marker<'_>,
        pool: Option<&rayon::ThreadPool>,
        stats: &mut ReferenceStats,
    ) {
        let seen = AtomicUsize::new(0);
        stats.weak_cleared += clear_unlive(pool, self.weak.entries_mut(), marker, &seen);
        stats.weak += seen.swap(0, Ordering::Relaxed);
        // Kept soft handles' referents were marked: only a cycle that clears
        // them finds any dead.
        stats.soft_cleared += clear_unlive(pool, self.soft.entries_mut(), marker, &seen);
        stats.soft += seen.swap(0, Ordering::Relaxed);
        stats.ephemerons_cleared += in_chunks(pool, self.ephemerons.entries_mut(), |chunk| {
            let mut cleared = 0;
            let mut held = 0;
            for pair in chunk.iter_mut().filter(|p| p[0] != 0) {
                held += 1;
                if !marker.is_live(pair[0]) {
                    *pair = [0, 0];
                    cleared += 1;
                }
            }
            seen.fetch_add(held, Ordering::Relaxed);
            cleared
        });
        stats.ephemerons += seen.into_inner();
    }

    /// Forgets the identity hashes of objects that are not live, after
    /// finalization resurrected what it keeps (a resurrected object keeps
    /// its hash).
    fn forget_dead_hashes(&mut self, marker: &Marker<'_>, stats: &mut ReferenceStats) {
        if self.hashes.len() > REWRITE_IN_PAUSE {
            self.purge = Some(marker.liveness());
            return;
        }
        let before = self.hashes.len();
        self.hashes.retain(|&obj, _| marker.is_live(obj));
        stats.hashed += self.hashes.len();
        stats.hashes_dropped += before - self.hashes.len();
    }

    /// Moves the objects registered for finalization that are not live to
    /// the finalizable queue, marking them; returns those newly marked.
    fn resurrect(&mut self, marker: &Marker<'_>, stats: &mut ReferenceStats) -> Vec<usize> {
        let mut grey = Vec::new();
        let finalizable = &mut self.finalizable;
        self.finalizers.retain(|&obj| {
            if marker.is_live(obj) {
                return true;
            }
            if marker.mark_new(obj) {
                grey.push(obj);
            }
            finalizable.push(obj);
            stats.finalizable += 1;
            false
        });
        grey
    }

    /// Queues the tokens of the cleaners whose objects are not live.
    fn notify_cleaners(&mut self, marker: &Marker<'_>, stats: &mut ReferenceStats) {
        let cleaned = &mut self.cleaned;
        self.cleaners.retain(|&(obj, token)| {
            if marker.is_live(obj) {
                return true;
            }
            cleaned.push(token);
            stats.cleaned += 1;
            false
        });
    }
}
