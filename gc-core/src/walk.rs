//! Heap walks: every object of the heap, for debuggers, `each_object`-like
//! features of a VM, and the type histogram.
//!
//! A walk runs in a pause of its own. It first takes the collector's lock, so
//! that no cycle is in progress (no marking, no compaction placing pages),
//! then stops every mutator and retires their TLABs, whose unused tails it
//! covers with fillers: the moving space is then a run of objects end to end,
//! read bottom to top, and the large-object space a table of blocks.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use gc_heap::{ObjRef, TypeId};

use crate::collect::{pause, retire_all};
use crate::error::{GcError, mib};
use crate::fork::ForkPhase;
use crate::heap::{Heap, HeapInner, thread_number};
use crate::mutator::Mutator;
use crate::stats::Reason;

/// Which objects a walk visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    /// Every object allocated and not yet collected, as Ruby's
    /// `ObjectSpace.each_object`: the cheap walk, which includes garbage that
    /// no cycle has freed yet.
    Allocated,
    /// The objects a full collection run just before the walk kept: with
    /// every mutator stopped or in native code during that collection,
    /// exactly the reachable ones. Mutators that run meanwhile may allocate
    /// during its concurrent phases, and those objects are visited too (they
    /// are live for that cycle, reachable or not).
    Reachable,
}

/// An object a walk visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WalkedObject {
    /// Its address, valid until the walk's pause ends.
    pub obj: ObjRef,
    /// Its type.
    pub ty: TypeId,
    /// Its header's low 32 bits: an array's length, or a fixed-size object's
    /// VM bits.
    pub len: u32,
    /// Its size in bytes, header included (a large object's block may be
    /// larger: it is a whole number of pages).
    pub size: usize,
}

/// One type's line of a [`Histogram`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TypeCount {
    /// The type.
    pub ty: TypeId,
    /// Its registered name.
    pub name: String,
    /// Objects of the type.
    pub count: usize,
    /// Bytes they occupy (their sizes, headers included).
    pub bytes: usize,
}

/// Objects and bytes per type, from one heap walk.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Histogram {
    /// Which objects were counted.
    pub live: Live,
    /// One line per type with at least one object, by bytes descending
    /// (then by type id).
    pub types: Vec<TypeCount>,
    /// Objects counted.
    pub objects: usize,
    /// Bytes they occupy.
    pub bytes: usize,
}

impl Histogram {
    /// The line of type `ty`, if any object of it was counted.
    pub fn get(&self, ty: TypeId) -> Option<&TypeCount> {
        self.types.iter().find(|t| t.ty == ty)
    }

    /// A view that shows the header and the first `top` types (then how many
    /// more there are), as [`Heap::log_histogram`] writes it.
    pub fn top(&self, top: usize) -> impl fmt::Display + '_ {
        Top {
            histogram: self,
            top,
        }
    }
}

impl fmt::Display for Histogram {
    /// The header and every type.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.top(usize::MAX).fmt(f)
    }
}

struct Top<'a> {
    histogram: &'a Histogram,
    top: usize,
}

impl fmt::Display for Top<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = self.histogram;
        let which = match h.live {
            Live::Allocated => "allocated",
            Live::Reachable => "reachable",
        };
        writeln!(
            f,
            "movegc: heap histogram ({which}): {} objects, {} in {} types",
            h.objects,
            mib(h.bytes),
            h.types.len()
        )?;
        writeln!(f, "  {:>14} {:>12}  type", "bytes", "objects")?;
        for t in h.types.iter().take(self.top) {
            writeln!(f, "  {:>14} {:>12}  {}", t.bytes, t.count, t.name)?;
        }
        let rest = h.types.len().saturating_sub(self.top);
        if rest > 0 {
            writeln!(f, "  ... and {rest} more types")?;
        }
        Ok(())
    }
}

impl Heap {
    /// Calls `visit` with every object of the heap, the moving space's
    /// (bottom to top) and then the large-object space's, in a pause: after
    /// any cycle in progress ends, with every mutator stopped until `visit`
    /// has seen the last object. `live` says which objects: with
    /// [`Live::Reachable`] a full collection runs first. Returns the number
    /// of objects visited.
    ///
    /// The pause lasts as long as reading every header of the heap (and
    /// `visit`): it grows with the heap's objects, not with their liveness.
    ///
    /// `visit` may read the objects (their addresses hold until the pause
    /// ends, not after) but must not allocate, collect, attach a mutator or
    /// walk the heap: on the walking thread those fail with
    /// [`GcError::InWalk`]. Call it from a thread with no mutator of this
    /// heap ([`GcError::WalkFromMutatorThread`] otherwise): a mutator thread
    /// calls [`Mutator::walk`]. A panic in `visit` ends the pause, then
    /// carries on unwinding.
    ///
    /// A header the walk cannot read (heap corruption) ends it with
    /// [`GcError::Corrupt`].
    pub fn walk(&self, live: Live, visit: impl FnMut(WalkedObject)) -> Result<usize, GcError> {
        self.may_walk()?;
        walk(&self.0, live, visit)
    }

    /// The objects and bytes of each type, from a [`walk`](Self::walk) of
    /// `live` objects (the same pause, and the same errors).
    pub fn histogram(&self, live: Live) -> Result<Histogram, GcError> {
        self.may_walk()?;
        histogram(&self.0, live)
    }

    /// Writes the [`histogram`](Self::histogram) to the GC log (the `log`
    /// crate, at level info) as one record: a header line, then the `top`
    /// types with the most bytes, one per line. Returns the whole histogram.
    pub fn log_histogram(&self, live: Live, top: usize) -> Result<Histogram, GcError> {
        logged(self.histogram(live), top)
    }

    /// Whether this thread may walk the heap without a mutator: a visitor's
    /// nested walk would wait for its own, and a running mutator's thread
    /// would wait for itself to stop.
    fn may_walk(&self) -> Result<(), GcError> {
        if self.0.in_walk() {
            return Err(GcError::InWalk);
        }
        if self.0.is_attached() {
            return Err(GcError::WalkFromMutatorThread);
        }
        Ok(())
    }
}

impl Mutator {
    /// [`Heap::walk`] from this mutator's thread, in native code meanwhile
    /// (as [`collect`](Self::collect)): raw references held across it are
    /// stale if it collects ([`Live::Reachable`]). `visit` cannot use this
    /// mutator, which the walk borrows: it must not allocate.
    pub fn walk(&mut self, live: Live, visit: impl FnMut(WalkedObject)) -> Result<usize, GcError> {
        let heap = self.heap().0.clone();
        self.native(|| walk(&heap, live, visit))
    }

    /// [`Heap::histogram`] from this mutator's thread, in native code meanwhile.
    pub fn histogram(&mut self, live: Live) -> Result<Histogram, GcError> {
        let heap = self.heap().0.clone();
        self.native(|| histogram(&heap, live))
    }

    /// [`Heap::log_histogram`] from this mutator's thread, in native code meanwhile.
    pub fn log_histogram(&mut self, live: Live, top: usize) -> Result<Histogram, GcError> {
        logged(self.histogram(live), top)
    }
}

/// Writes a histogram's header and `top` types to the GC log, and passes it on.
fn logged(h: Result<Histogram, GcError>, top: usize) -> Result<Histogram, GcError> {
    let h = h?;
    log::info!("{}", h.top(top));
    Ok(h)
}

fn histogram(heap: &Arc<HeapInner>, live: Live) -> Result<Histogram, GcError> {
    // Indexed by type id: ids are dense, up to the table's length, which a
    // thread registering types may raise during the walk.
    let mut per_type = vec![(0usize, 0usize); heap.types.len()];
    walk(heap, live, |o| {
        let id = o.ty.0 as usize;
        if id >= per_type.len() {
            per_type.resize(id + 1, (0, 0));
        }
        per_type[id].0 += 1;
        per_type[id].1 += o.size;
    })?;
    let mut types: Vec<TypeCount> = per_type
        .into_iter()
        .enumerate()
        .filter(|&(_, (count, _))| count > 0)
        .map(|(id, (count, bytes))| {
            let ty = TypeId(id as u32);
            let name = heap
                .types
                .get(ty.0)
                .map_or_else(|| format!("type {id}"), |t| t.name().to_owned());
            TypeCount {
                ty,
                name,
                count,
                bytes,
            }
        })
        .collect();
    types.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.ty.0.cmp(&b.ty.0)));
    Ok(Histogram {
        live,
        objects: types.iter().map(|t| t.count).sum(),
        bytes: types.iter().map(|t| t.bytes).sum(),
        types,
    })
}

/// The walk; the caller is not a running mutator (a mutator is in native code).
fn walk(
    heap: &Arc<HeapInner>,
    live: Live,
    mut visit: impl FnMut(WalkedObject),
) -> Result<usize, GcError> {
    if heap.in_walk() {
        return Err(GcError::InWalk);
    }
    heap.fork_gate.wait(ForkPhase::Stopping);
    let collector = heap.collector.lock();
    let collected = match live {
        Live::Reachable => crate::collect::run_and_record(heap, Reason::Requested),
        Live::Allocated => Ok(()),
    };
    let paused = collected.map(|()| {
        heap.walker.store(thread_number(), Ordering::Relaxed);
        let paused = pause(heap, |mutators| {
            retire_all(&heap.spaces, mutators, false);
            let mut visited = 0;
            // Caught so that the pause ends and the mutators run on: unwinding
            // out of it would leave them stopped for ever.
            let walked = catch_unwind(AssertUnwindSafe(|| {
                heap.spaces.walk(|obj, header, size| {
                    visited += 1;
                    visit(WalkedObject {
                        obj,
                        ty: TypeId(header.type_id()),
                        len: header.low(),
                        size,
                    });
                })
            }));
            (walked, visited)
        });
        heap.walker.store(0, Ordering::Relaxed);
        paused
    });
    drop(collector);
    // Allocations that found the heap full wait for the collector's lock to
    // be free: wake them now rather than at their next timeout.
    heap.cycle.bump();
    let ((walked, visited), timing) = paused?;
    match walked {
        Err(panic) => resume_unwind(panic),
        Ok(Err(e)) => Err(GcError::Corrupt(vec![e])),
        Ok(Ok(())) => {
            log::debug!(
                "movegc: a heap walk visited {visited} objects; the mutators stopped for {:.2} ms",
                timing.duration.as_secs_f64() * 1e3,
            );
            Ok(visited)
        }
    }
}
