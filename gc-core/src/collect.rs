//! The stop-the-world cycle: stop, mark, plan, rewrite roots, slide, resume.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use gc_heap::compact::InPlace;
use gc_heap::{Plan, SlotKind, Spaces};

use crate::concurrent::{self, Compaction};
use crate::error::GcError;
use crate::heap::{HeapInner, next_trigger};
use crate::mark;
use crate::mutator::{MutatorShared, retire};
use crate::roots::RootVisitor;
use crate::stats::{CycleStats, Reason};

/// Runs a collection for `me` (a mutator, which counts as stopped) or for a
/// thread with no mutator. If another thread is collecting, waits for it
/// instead (parked at a safepoint) and returns when that collection is done.
pub(crate) fn collect(
    heap: &Arc<HeapInner>,
    me: Option<&Arc<MutatorShared>>,
    reason: Reason,
) -> Result<(), GcError> {
    let seen = heap.collections.load(Ordering::Acquire);
    let _collector = loop {
        if let Some(g) = heap.collector.try_lock() {
            break g;
        }
        match me {
            Some(me) if heap.handshake.is_requested() => heap.handshake.park(&me.state),
            _ => std::thread::yield_now(),
        }
        if heap.collections.load(Ordering::Acquire) != seen {
            return Ok(());
        }
    };
    if heap.collections.load(Ordering::Acquire) != seen && reason != Reason::Requested {
        return Ok(());
    }
    let cycle = run(heap, me, reason)?;
    log::info!("{cycle}");
    heap.stats.lock().record(cycle);
    Ok(())
}

/// Calls `f` with every root slot: global scanners, then each mutator's
/// scanners and handles.
fn for_each_root(
    heap: &HeapInner,
    mutators: &[Arc<MutatorShared>],
    f: &mut dyn FnMut(*mut usize, SlotKind),
) {
    let mut visitor = RootVisitor::new(f);
    for scanner in heap.global_roots.lock().iter_mut() {
        scanner.scan_roots(&mut visitor);
    }
    for m in mutators {
        // SAFETY: the mutator is stopped (or is the collecting thread itself), so
        // only this thread touches its scanners and handles.
        let (scanners, handles) = unsafe { (&mut *m.roots.get(), &mut *m.handles.get()) };
        for scanner in scanners.iter_mut() {
            scanner.scan_roots(&mut visitor);
        }
        for slot in handles.iter_mut() {
            // SAFETY: the slot is a live element of the handle vector.
            unsafe { visitor.visit_raw(slot, SlotKind::Ref) };
        }
    }
}

fn verify(heap: &HeapInner, mutators: &[Arc<MutatorShared>]) -> Result<(), GcError> {
    let spaces = &heap.spaces;
    let mut report = spaces.verify()?;
    let mut bad_roots = Vec::new();
    for_each_root(heap, mutators, &mut |slot, kind| {
        // SAFETY: root slots are valid for reads during the pause.
        let value = unsafe { slot.read() };
        if let Some(problem) = report.check_slot(spaces, kind, value) {
            bad_roots.push(gc_heap::walk::HeapError {
                object: 0,
                type_name: Some("<root>".into()),
                offset: None,
                value,
                problem,
            });
        }
    });
    report.errors.extend(bad_roots);
    if report.is_ok() {
        Ok(())
    } else {
        Err(GcError::Corrupt(report.errors))
    }
}

fn run(
    heap: &Arc<HeapInner>,
    me: Option<&Arc<MutatorShared>>,
    reason: Reason,
) -> Result<CycleStats, GcError> {
    if let Some(c) = &heap.concurrent {
        // The last cycle's pages must all be in place before this one marks.
        c.wait();
    }
    let start = Instant::now();
    let mutators = heap.mutators.lock();
    let others = mutators
        .iter()
        .filter(|m| me.is_none_or(|me| !Arc::ptr_eq(m, me)))
        .map(|m| &m.state);
    heap.handshake.stop(others);
    let stopped = Instant::now();
    for m in mutators.iter() {
        // SAFETY: the mutator is stopped (or is this thread), so only this thread
        // touches its TLAB.
        retire(unsafe { &mut *m.tlab.get() });
    }
    let result = stopped_cycle(heap, &mutators, reason);
    heap.handshake.resume();
    let (mut cycle, compaction) = result?;
    cycle.index = heap.collections.fetch_add(1, Ordering::AcqRel) + 1;
    cycle.stop = stopped - start;
    cycle.pause = start.elapsed();
    if let Some(compaction) = compaction {
        concurrent::spawn(heap, compaction, cycle.index);
        if reason == Reason::Requested
            && let Some(c) = &heap.concurrent
        {
            // Whoever asks for a collection gets a compacted heap back.
            c.wait();
        }
    }
    Ok(cycle)
}

/// A cycle's result: its statistics, and the concurrent compaction it started, if any.
type Stopped = (CycleStats, Option<Arc<Compaction>>);

fn stopped_cycle(
    heap: &Arc<HeapInner>,
    mutators: &[Arc<MutatorShared>],
    reason: Reason,
) -> Result<Stopped, GcError> {
    let spaces: &Spaces = &heap.spaces;
    let types = spaces.types();
    let mut cycle = CycleStats {
        reason: Some(reason),
        used_before: spaces.used(),
        ..CycleStats::default()
    };
    if heap.config.verify {
        verify(heap, mutators)?;
    }

    let t = Instant::now();
    spaces.clear_marks();
    let mut grey = Vec::new();
    for_each_root(heap, mutators, &mut |slot, kind| {
        // SAFETY: root slots are valid for reads during the pause.
        let value = unsafe { slot.read() };
        if types.is_ref(kind, value) && mark::mark_new(spaces, types, value) {
            grey.push(value);
        }
    });
    cycle.objects_marked = mark::trace(spaces, heap.pool.as_ref(), grey);
    cycle.mark = t.elapsed();

    let t = Instant::now();
    let (large_freed, _) = spaces.large().sweep(|obj| spaces.is_marked(obj));
    cycle.large_freed = large_freed;
    let plan = spaces.plan();
    cycle.plan = t.elapsed();

    let t = Instant::now();
    for_each_root(heap, mutators, &mut |slot, kind| {
        // SAFETY: root slots are valid for reads and writes during the pause.
        unsafe { plan.rewrite_slot(slot, kind) };
    });
    for (obj, _) in spaces.large().objects() {
        // SAFETY: a live large object's header.
        let header = gc_heap::Header(unsafe { (obj as *const u64).read() });
        types.for_each_slot(header, |offset, kind| {
            // SAFETY: the slot lies inside the live large object.
            unsafe { plan.rewrite_slot((obj + offset) as *mut usize, kind) };
        });
    }
    let compaction = match heap.concurrent {
        Some(_) => match concurrent::start(heap, &plan) {
            Ok(started) => Some(started),
            Err(e) => {
                log::warn!("movegc: concurrent compaction could not start ({e}); sliding in place");
                None
            }
        },
        None => None,
    };
    if compaction.is_none() {
        slide_in_place(spaces, &plan, &mut cycle);
    }
    cycle.live_bytes = plan.live_bytes() + spaces.large().bytes();
    cycle.used_after = plan.live_bytes() + spaces.large().committed();
    let trigger = next_trigger(spaces.capacity(), cycle.used_after);
    if compaction.is_none() {
        // Keep resident the pages the next cycle's allocations will use, and give
        // the rest back; a requested collection gives back everything.
        let keep = match reason {
            Reason::Requested => 0,
            Reason::Budget | Reason::Full => trigger - cycle.used_after,
        };
        spaces.finish_compaction(plan.new_top(), keep);
    }
    cycle.compact = t.elapsed();
    heap.live_after.store(cycle.used_after, Ordering::Relaxed);
    heap.trigger.store(trigger, Ordering::Relaxed);
    if heap.config.verify && compaction.is_none() {
        verify(heap, mutators)?;
    }
    Ok((cycle, compaction))
}

/// The stop-the-world slide: the dense prefix's references, then every other
/// page built in place in address order.
fn slide_in_place(spaces: &Spaces, plan: &Plan<'_>, cycle: &mut CycleStats) {
    let page = gc_uffd::page_size();
    let to_space = plan.to_space();
    let dense_pages_end = plan.dense_end() / page * page;
    let mut at = to_space.start.max(dense_pages_end);
    // SAFETY: marking and planning are complete and every mutator is stopped.
    unsafe { spaces.update_dense_prefix(plan, at) };
    while at < to_space.end {
        // SAFETY: as above; pages are built in place in address order, as
        // `InPlace` requires.
        let work = unsafe { spaces.build_page(plan, at, &InPlace, at) };
        cycle.objects_moved += work.moved;
        cycle.bytes_moved += work.bytes_moved;
        at += page;
    }
}
