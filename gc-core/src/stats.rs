//! Statistics and the GC log.

use std::fmt;
use std::time::{Duration, Instant};

pub use crate::concurrent::latency::Distribution;
use crate::error::mib;
use crate::policy::Sizing;
pub use crate::references::ReferenceStats;

/// Why a collection ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Allocation since the last cycle reached the policy's budget.
    Budget,
    /// The heap was full.
    Full,
    /// `collect()` was called.
    Requested,
    /// `collect_young()` was called.
    RequestedYoung,
}

/// What a cycle traces and compacts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CycleKind {
    /// Only the objects allocated since the previous cycle: old objects are
    /// live, found references to young ones through the card table, and stay
    /// where they are; survivors are promoted.
    Young,
    /// Every object: the whole moving space compacts.
    #[default]
    Full,
}

/// What a pause was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PauseKind {
    /// Roots scanned, write barrier on, allocation black from here.
    InitialMark,
    /// Write-barrier buffers drained and roots rescanned: marking ends.
    FinalMark,
    /// Roots rewritten and the compaction started (or, stop-the-world, done).
    Compaction,
    /// A whole cycle with mutators stopped: concurrent marking off, or a young
    /// cycle that found its survivors within its first pause's budget.
    Full,
}

/// One stop-the-world pause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// What it was for.
    pub kind: PauseKind,
    /// When the mutators were asked to stop.
    pub start: Instant,
    /// Mutators stopped, from the request to the resume.
    pub duration: Duration,
    /// The pausing thread's CPU time in it (user and system): well short of
    /// `duration` when the thread was kept off its core meanwhile, waiting
    /// for the mutators to stop or taken off by the scheduler (another
    /// process, a machine whose virtual CPU the host ran something else on).
    /// Its length where the system has no per-thread CPU clock.
    pub cpu: Duration,
}

impl Pause {
    /// Whether the pausing thread was off its core for most of the pause:
    /// what then made it long was not its work.
    pub fn mostly_off_cpu(&self) -> bool {
        self.cpu < self.duration / 2
    }
}

/// One collection, phase by phase.
#[derive(Clone, Debug, Default)]
pub struct CycleStats {
    /// 1 for the first collection.
    pub index: u64,
    /// Why it ran (`None` only in a default value).
    pub reason: Option<Reason>,
    /// Young or full.
    pub kind: CycleKind,
    /// Cards of old objects that may reference young objects, at the
    /// compaction pause (the remembered set): a young cycle rewrites their
    /// slots, a full one only cleans them.
    pub remembered_cards: usize,
    /// Bytes of the moving space promoted: young survivors, old from now on.
    pub promoted_bytes: usize,
    /// Pages of the moving space below the compaction's base: left mapped
    /// and untouched by the compaction.
    pub pages_in_place: usize,
    /// Pages of the moving space from the base to the new top: rebuilt (or,
    /// concurrently, remapped, rebuilt and placed).
    pub pages_compacted: usize,
    /// Concurrent compaction: pages of the moving space remapped into the
    /// shadow: those a mutator's access must fault on (to-space pages,
    /// sources, pages given back; docs/concurrent-compaction.md); 0 for a
    /// compaction in the pause, which remaps nothing.
    pub pages_remapped: usize,
    /// The longest of the cycle's pauses.
    pub pause: Duration,
    /// Every pause of the cycle, in order (a final mark that found too much
    /// work resumes the mutators and is tried again, so there may be several).
    pub pauses: Vec<Pause>,
    /// Reaching a safepoint in every mutator, longest of the cycle's pauses.
    pub stop: Duration,
    /// Tracing the live objects: from the initial mark's end to the final
    /// mark's, concurrent with the mutators unless marking runs in the pause.
    pub mark: Duration,
    /// Computing post-compact addresses, and freeing dead large objects.
    pub plan: Duration,
    /// The compaction pause's work: rewriting roots, and sliding the moving
    /// space (stop-the-world) or starting the concurrent compaction.
    pub compact: Duration,
    /// References logged by the write barrier while marking.
    pub satb_entries: usize,
    /// Bytes allocated black (live this cycle) between the initial mark and
    /// the compaction pause.
    pub allocated_black: usize,
    /// Bytes in use (both spaces) when the cycle began.
    pub used_before: usize,
    /// Bytes in use after it.
    pub used_after: usize,
    /// Live bytes found by marking.
    pub live_bytes: usize,
    /// Objects marked live.
    pub objects_marked: usize,
    /// Of those, the objects paced mutators scanned, helping a concurrent
    /// marking that traces on one thread instead of sleeping.
    pub marked_by_mutators: usize,
    /// Objects that moved to a new address in the cycle's pauses. A
    /// concurrent compaction moves them after the pause, and counts them in
    /// its own statistics ([`CompactionStats::objects_moved`]), which end
    /// after these are recorded.
    pub objects_moved: usize,
    /// Bytes copied to new addresses, as `objects_moved`.
    pub bytes_moved: usize,
    /// Large objects freed.
    pub large_freed: usize,
    /// Large objects the cycle moved down into holes of the large space,
    /// by relinking their pages (a full cycle, when the space was
    /// fragmented; docs/concurrent-compaction.md, *Large objects*).
    pub large_relinked: usize,
    /// Their bytes: none of them copied where `UFFDIO_MOVE` works (see
    /// [`CompactionStats::relinked_pages`]).
    pub large_relinked_bytes: usize,
    /// Of a cycle that moved them in its pause (stop-the-world): their pages
    /// moved with `UFFDIO_MOVE`, unread (in the concurrent modes, see
    /// [`CompactionStats::relinked_pages`]).
    pub large_pages_relinked: usize,
    /// Of a cycle that moved them in its pause: their pages copied (a page
    /// `UFFDIO_MOVE` refused, or every page where a concurrent compaction
    /// could not start).
    pub large_pages_copied: usize,
    /// To-space pages the plan moves unread: the body pages of reference-free
    /// objects with pages of their own that it moves a whole number of
    /// pages ([`HeapBuilder::unread_min`](crate::HeapBuilder::unread_min);
    /// placed after the pause, [`CompactionStats::unread_moving`]).
    pub unread_pages: usize,
    /// Dead bytes kept as fillers below those objects so that they move a
    /// whole number of pages: under a page each.
    pub unread_padding: usize,
    /// Those objects that could not be kept a whole number of pages from
    /// their destination (too few dead bytes below them): copied.
    pub unread_short: usize,
    /// Objects pinned when the cycle planned ([`Mutator::pin`](crate::Mutator::pin)).
    pub pinned: usize,
    /// Bytes of dead objects below the highest pinned object that the cycle
    /// kept (as fillers) so that nothing below it moved.
    pub pinned_dead_bytes: usize,
    /// The cycle moved nothing: it found too little dead to be worth
    /// compacting (a program building its data), and left its dead objects in
    /// place, covered with fillers, for a later cycle to free.
    pub in_place: bool,
    /// Of such a cycle, the dead bytes it left in place.
    pub dead_kept: usize,
    /// Weak handles, ephemerons, finalization and cleaners.
    pub references: ReferenceStats,
}

impl CycleStats {
    /// Bytes freed.
    pub fn freed(&self) -> usize {
        self.used_before.saturating_sub(self.used_after)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl fmt::Display for CycleStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gc #{} {} ({:?}): pauses{}; max stop {:.2} ms, mark {:.2} ms ({} barrier entries, \
             {} remembered cards{}), plan {:.2}, compact {:.2}; used {} -> {}, freed {}, \
             {} allocated black, {} promoted; pages {} in place, {} compacted, {} remapped; \
             {} objects live, {}{}",
            self.index,
            match self.kind {
                CycleKind::Young => "young",
                CycleKind::Full => "full",
            },
            self.reason.unwrap_or(Reason::Requested),
            PauseList(&self.pauses),
            ms(self.stop),
            ms(self.mark),
            self.satb_entries,
            self.remembered_cards,
            if self.marked_by_mutators > 0 {
                format!(", {} objects by paced mutators", self.marked_by_mutators)
            } else {
                String::new()
            },
            ms(self.plan),
            ms(self.compact),
            mib(self.used_before),
            mib(self.used_after),
            mib(self.freed()),
            mib(self.allocated_black),
            mib(self.promoted_bytes),
            self.pages_in_place,
            self.pages_compacted,
            self.pages_remapped,
            self.objects_marked,
            if self.pages_remapped > 0 {
                "moved by the compaction after the pause".to_owned()
            } else {
                format!("{} moved ({})", self.objects_moved, mib(self.bytes_moved))
            },
            if self.pinned > 0 {
                format!(
                    "; {} pinned, {} dead kept below them",
                    self.pinned,
                    mib(self.pinned_dead_bytes)
                )
            } else {
                String::new()
            },
        )?;
        if self.in_place {
            write!(f, "; moved nothing, {} dead kept", mib(self.dead_kept))?;
        }
        if self.unread_pages + self.unread_short > 0 {
            write!(
                f,
                "; {} pages to move unread ({} padding, {} objects short of it)",
                self.unread_pages,
                mib(self.unread_padding),
                self.unread_short
            )?;
        }
        if self.large_relinked > 0 {
            write!(
                f,
                "; {} large objects relinked ({})",
                self.large_relinked,
                mib(self.large_relinked_bytes)
            )?;
            if self.large_pages_relinked + self.large_pages_copied > 0 {
                write!(
                    f,
                    " in the pause: {} pages moved unread, {} copied",
                    self.large_pages_relinked, self.large_pages_copied
                )?;
            }
        }
        let r = &self.references;
        if r.weak + r.soft + r.weak_slots + r.ephemerons + r.finalizable + r.cleaned + r.hashed > 0
        {
            write!(
                f,
                "; references: {} weak ({} cleared), {} soft ({} cleared), {} weak slots ({} \
                 cleared), {} ephemerons ({} cleared), {} finalizable, {} cleaned, {} hashed ({} \
                 dropped), {:.3} ms processing, {:.3} ms rewriting",
                r.weak,
                r.weak_cleared,
                r.soft,
                r.soft_cleared,
                r.weak_slots,
                r.weak_slots_cleared,
                r.ephemerons,
                r.ephemerons_cleared,
                r.finalizable,
                r.cleaned,
                r.hashed,
                r.hashes_dropped,
                ms(r.processing),
                ms(r.rewriting),
            )?;
        }
        Ok(())
    }
}

struct PauseList<'a>(&'a [Pause]);

impl fmt::Display for PauseList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            let kind = match p.kind {
                PauseKind::InitialMark => "initial-mark",
                PauseKind::FinalMark => "final-mark",
                PauseKind::Compaction => "compaction",
                PauseKind::Full => "full",
            };
            write!(f, " {kind} {:.3} ms", ms(p.duration))?;
            if p.mostly_off_cpu() {
                write!(f, " ({:.3} on cpu)", ms(p.cpu))?;
            }
        }
        Ok(())
    }
}

/// One figure for each kind of page a mutator's fault builds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaultKinds<T> {
    /// Pages below the dense prefix's end: nothing on them moves, their
    /// references are rewritten in place.
    pub dense: T,
    /// Pages that objects slide onto, built from the shadow.
    pub sliding: T,
    /// Large objects' pages, whose references are rewritten.
    pub large: T,
    /// A young cycle's old pages with dirty cards, whose references to
    /// young objects are rewritten.
    pub old: T,
    /// Pages above the new top, zero-filled for allocation.
    pub allocation: T,
}

impl<T> FaultKinds<T> {
    /// The figures with their kinds' names, in the order of the fields.
    pub fn named(&self) -> [(&'static str, &T); 5] {
        [
            ("dense", &self.dense),
            ("sliding", &self.sliding),
            ("large", &self.large),
            ("old", &self.old),
            ("allocation", &self.allocation),
        ]
    }
}

/// Faults counted and timed over any number of compactions (a [`Latency`]'s
/// percentiles do not add up; these do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultTotals {
    /// Faults handled.
    pub count: u64,
    /// Time in their handlers, all together.
    pub time: Duration,
    /// The longest.
    pub max: Duration,
    /// Their handlers' times: percentiles over any span of compactions.
    pub distribution: Distribution,
}

impl FaultTotals {
    /// The `q`th quantile of the handlers' times (0.5: the median), to
    /// within 1/16 and no longer than the longest.
    pub fn quantile(&self, q: f64) -> Duration {
        self.distribution.quantile(q).min(self.max)
    }

    /// The faults handled since `earlier`, a reading of the same totals
    /// before this one; `max` stays the longest of all.
    pub fn since(&self, earlier: &FaultTotals) -> FaultTotals {
        FaultTotals {
            count: self.count.saturating_sub(earlier.count),
            time: self.time.saturating_sub(earlier.time),
            max: self.max,
            distribution: self.distribution.since(&earlier.distribution),
        }
    }

    /// The mean time of a fault (zero without one).
    pub fn mean(&self) -> Duration {
        self.time
            .checked_div(u32::try_from(self.count).unwrap_or(u32::MAX))
            .unwrap_or_default()
    }
}

/// A distribution of durations, summarised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Latency {
    /// How many were recorded.
    pub count: u64,
    /// The median (to within 1/16: the upper bound of its histogram bucket).
    pub median: Duration,
    /// The 99th percentile (to within 1/16).
    pub p99: Duration,
    /// The largest, exactly.
    pub max: Duration,
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        write!(
            f,
            "{} (median {:.1} us, p99 {:.1} us, max {:.1} us)",
            self.count,
            us(self.median),
            us(self.p99),
            us(self.max)
        )
    }
}

/// One concurrent compaction (modes `Move` and `Copy`), reported when its last
/// page is in place: who built the pages, how they were placed, what it cost.
#[derive(Clone, Debug, Default)]
pub struct CompactionStats {
    /// The collection ([`CycleStats::index`]) whose pause started it.
    pub cycle: u64,
    /// To-space pages of the moving space built and placed.
    pub pages: usize,
    /// Of those and the large objects' pages (`large_pages`), built by the
    /// compaction threads.
    pub by_gc: usize,
    /// Of `by_gc`, pages built by the compaction threads besides the
    /// cycle's own
    /// ([`HeapBuilder::compaction_threads`](crate::HeapBuilder::compaction_threads)).
    pub by_helpers: usize,
    /// Of `by_gc`, pages built by mutators the pacer held back, in its
    /// stead: they build runs as the compaction threads do, until their
    /// allocation may go on.
    pub by_assists: usize,
    /// Of `pages` and the large objects' pages, built by mutators in their
    /// SIGBUS handlers.
    pub by_mutators: usize,
    /// Of `by_mutators`, pages a fault built above the one it faulted on: a
    /// fault right above those the thread's last fault placed continues a
    /// scan up the heap, and builds the pages the scan reads next with its
    /// own (twice as many as the last, up to 32), moved in with one call.
    pub faulted_around: usize,
    /// Of `by_gc`, pages built first because the mutators wrote them (a
    /// dirty card) since the last cycle: the likeliest to be touched soon.
    pub hot: usize,
    /// Pages placed with `UFFDIO_MOVE`: no byte copied, no page allocated.
    pub moved: usize,
    /// Pages placed with `UFFDIO_COPY`: the kernel allocated a page for each.
    pub copied: usize,
    /// Of those, pages copied because `UFFDIO_MOVE` met `EBUSY` on their run
    /// of pages (shared with another process since a `fork` with a heap the
    /// child keeps, and not written since). The next run is moved again.
    pub copied_busy: usize,
    /// Placements retried after `EAGAIN`.
    pub retries: usize,
    /// Pages built in a private page and copied because no buffer page was
    /// free (moving; copying, every page is built in a private page).
    pub copied_without_buffer: usize,
    /// `UFFDIO_MOVE` calls (contiguous runs go in one).
    pub move_calls: usize,
    /// Pages placed ahead of the rest of their run because a mutator (or
    /// another builder) waited for one of them: the page waited for and
    /// those built before it.
    pub placed_early: usize,
    /// Shadow pages with no live data, used as buffers to build pages in.
    pub buffers_free: usize,
    /// Shadow pages recycled as buffers once every object on them was in place.
    pub buffers_recycled: usize,
    /// Pages above the new top placed (zero-filled) for allocations, one call
    /// per claim of the allocation region: the kernel allocated each.
    pub allocation_pages: usize,
    /// Shadow pages zeroed and moved in above the allocation top for the
    /// allocations: no page allocated, no fault.
    pub allocation_recycled: usize,
    /// Of those, the pages mutators' claims moved in themselves, each claim
    /// waiting out its call's TLB shootdown (the rest the compaction thread
    /// placed ahead of them).
    pub claims_recycled: usize,
    /// Free shadow pages returned to the kernel while the compaction ran,
    /// beyond those the builders and the allocation pages still to prepare
    /// might use (the rest go when it ends).
    pub shadow_released: usize,
    /// Pages that could not be placed (the kernel refused them, or found
    /// them populated by something outside the collector): the objects on
    /// them are lost, and the heap collects no more
    /// ([`GcError::PagesLost`](crate::GcError::PagesLost)).
    pub lost: usize,
    /// Of the compaction thread's time, zeroing and moving in those pages:
    /// allocation's work done ahead (in `Copy` mode the mutators' page faults
    /// do it, outside the compaction).
    pub allocation_prep: Duration,
    /// Pages above the new top zero-filled in a mutator's SIGBUS handler.
    pub zero_filled: usize,
    /// Objects that moved to a new address.
    pub objects_moved: usize,
    /// Bytes copied to new addresses (in user space, into buffer pages).
    pub bytes_moved: usize,
    /// Pages of large objects placed after the pause: those whose
    /// references were rewritten then (in their shadow pages, then moved
    /// back or to the object's new address: counted in `moved` or `copied`
    /// too), not in it, and those of moving objects without references
    /// (relinked unread: `relinked_unread`, or placed as zero pages:
    /// `relink_holes`).
    pub large_pages: usize,
    /// Of those, placed by the compaction thread.
    pub large_by_gc: usize,
    /// Of those, placed by mutators in their SIGBUS handlers.
    pub large_by_mutators: usize,
    /// Large objects placed at a new address ([`CycleStats::large_relinked`]).
    pub large_moved: usize,
    /// Their pages placed there with `UFFDIO_MOVE`: no byte read or copied
    /// but, for objects with slots, their references (counted in `moved`
    /// too). The bytes not copied are [`bytes_not_copied`](Self::bytes_not_copied).
    pub relinked_pages: usize,
    /// Of those, pages of objects without slots, moved from their old
    /// address without being read: a swapped-out page keeps its swap entry.
    /// Counts `unread_moving` too.
    pub relinked_unread: usize,
    /// Pages of the moving space moved unread: body pages of reference-free
    /// objects with pages of their own
    /// ([`HeapBuilder::unread_min`](crate::HeapBuilder::unread_min)), moved
    /// with `UFFDIO_MOVE` from their source a whole number of pages above
    /// instead of built (counted in `relinked_pages`, `relinked_unread` and
    /// `moved` too, and in [`bytes_not_copied`](Self::bytes_not_copied)).
    pub unread_moving: usize,
    /// Pages of moving large objects, or moving-space pages moved unread,
    /// that were never touched (no page behind them), placed as the zero
    /// page.
    pub relink_holes: usize,
    /// A young cycle's old pages holding its dirty cards, whose references
    /// to young objects were rewritten after the pause (in their shadow
    /// pages, then copied back: counted in `copied` too), not in it.
    pub old_pages: usize,
    /// Of those, rewritten by mutators in their SIGBUS handlers.
    pub old_by_mutators: usize,
    /// Dense pages with a dirty card (written since the last cycle) whose
    /// references were forwarded before the pause, while the mutators ran:
    /// their builds take those forwardings instead of looking them up
    /// (docs/concurrent-compaction.md, *Forwarding ahead*).
    pub forwarded_ahead: usize,
    /// The references forwarded so.
    pub references_ahead: usize,
    /// Minor page faults the compaction thread took (a recycled or free buffer
    /// page costs none: it is already resident).
    pub gc_minor_faults: u64,
    /// Mutator faults on the heap and how long their handlers took, from
    /// entering the handler to leaving it (the kernel's delivery of the signal,
    /// a few microseconds, comes on top).
    pub faults: Latency,
    /// The same by the kind of page faulted on.
    pub fault_kinds: FaultKinds<Latency>,
    /// The time in the handler by the kind of page faulted on.
    pub fault_time: FaultKinds<Duration>,
    /// Time in mutators' SIGBUS handlers, all threads.
    pub mutator_time: Duration,
    /// CPU time of the compaction threads.
    pub gc_cpu: Duration,
    /// Threads that built pages, the mutators' fault handlers aside
    /// ([`HeapBuilder::compaction_threads`](crate::HeapBuilder::compaction_threads)).
    pub threads: usize,
    /// From the end of the pause to the last page in place.
    pub wall: Duration,
    /// `UFFDIO_MOVE` met `EBUSY` for most of the cycle's pages, and the rest
    /// of the cycle copied.
    pub switched_to_copy: bool,
}

impl CompactionStats {
    /// Pages the kernel allocated per page compacted (COPY placements): the
    /// closer to zero, the less memory traffic a compaction causes.
    pub fn fresh_per_page(&self) -> f64 {
        (self.copied as f64 + self.gc_minor_faults as f64) / self.pages.max(1) as f64
    }

    /// Bytes that moved without being copied: pages relinked
    /// ([`relinked_pages`](Self::relinked_pages)), large objects' and the
    /// moving space's reference-free pages.
    pub fn bytes_not_copied(&self) -> usize {
        self.relinked_pages * gc_uffd::page_size()
    }
}

impl fmt::Display for CompactionStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gc #{} compaction: {} pages ({} by GC{}{}{}{}, {} by mutators{}), {} moved in {} calls, \
             {} copied{}; {} objects moved ({}); buffers {} free + {} recycled, {} released early; allocation pages {} \
             recycled ({} by claims) + {} fresh, \
             {} zero-filled; {}{}{}{}\
             wall {:.2} ms, GC cpu {:.2} ms ({} thread{}), {} GC minor faults; \
             mutator faults {}{}{}{}{}",
            self.cycle,
            self.pages,
            self.by_gc,
            if self.by_helpers > 0 {
                format!(" ({} by helpers)", self.by_helpers)
            } else {
                String::new()
            },
            if self.by_assists > 0 {
                format!(", {} by paced mutators", self.by_assists)
            } else {
                String::new()
            },
            if self.hot > 0 {
                format!(", {} hot first", self.hot)
            } else {
                String::new()
            },
            if self.forwarded_ahead > 0 {
                format!(
                    ", {} with {} references forwarded ahead",
                    self.forwarded_ahead, self.references_ahead
                )
            } else {
                String::new()
            },
            self.by_mutators,
            if self.faulted_around > 0 {
                format!(", {} of them around their faults", self.faulted_around)
            } else {
                String::new()
            },
            self.moved,
            self.move_calls,
            self.copied,
            if self.placed_early > 0 {
                format!(", {} placed early for a waiting thread", self.placed_early)
            } else {
                String::new()
            },
            self.objects_moved,
            mib(self.bytes_moved),
            self.buffers_free,
            self.buffers_recycled,
            self.shadow_released,
            self.allocation_recycled,
            self.claims_recycled,
            self.allocation_pages,
            self.zero_filled,
            if self.large_pages > 0 {
                format!(
                    "large-object pages {} placed after the pause ({} by GC, {} by mutators); ",
                    self.large_pages, self.large_by_gc, self.large_by_mutators
                )
            } else {
                String::new()
            },
            if self.unread_moving > 0 {
                format!("reference-free pages {} moved unread; ", self.unread_moving)
            } else {
                String::new()
            },
            if self.large_moved + self.unread_moving > 0 {
                format!(
                    "large objects {} moved: {} pages relinked ({} unread, {} not copied), \
                     {} holes; ",
                    self.large_moved,
                    self.relinked_pages,
                    self.relinked_unread,
                    mib(self.bytes_not_copied()),
                    self.relink_holes
                )
            } else {
                String::new()
            },
            if self.old_pages > 0 {
                format!(
                    "old pages {} rewritten ({} by mutators); ",
                    self.old_pages, self.old_by_mutators
                )
            } else {
                String::new()
            },
            ms(self.wall),
            ms(self.gc_cpu),
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            self.gc_minor_faults,
            self.faults,
            self.fault_kinds
                .named()
                .iter()
                .filter(|(_, l)| l.count > 0)
                .map(|(kind, l)| format!(", {kind} {l}"))
                .collect::<String>(),
            if self.copied_busy > 0 {
                format!("; {} page(s) copied, MOVE met EBUSY", self.copied_busy)
            } else {
                String::new()
            },
            if self.lost > 0 {
                format!("; {} page(s) LOST", self.lost)
            } else {
                String::new()
            },
            if self.switched_to_copy {
                "; MOVE met EBUSY, the rest was copied"
            } else {
                ""
            },
        )
    }
}

/// Totals since the heap was built, and the last cycle.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Collections run.
    pub collections: u64,
    /// Of those, young cycles.
    pub young_cycles: u64,
    /// Of those, full cycles.
    pub full_cycles: u64,
    /// Bytes promoted (young survivors made old), all cycles.
    pub promoted_bytes: u64,
    /// Moving-space pages left in place by compactions, all cycles.
    pub pages_in_place: u64,
    /// Moving-space pages compacted, all cycles.
    pub pages_compacted: u64,
    /// Moving-space pages remapped into the shadow by concurrent
    /// compactions, all cycles.
    pub pages_remapped: u64,
    /// Sum of all pauses.
    pub total_pause: Duration,
    /// The longest pause.
    pub max_pause: Duration,
    /// Every pause, in order.
    pub pauses: Vec<Pause>,
    /// Time spent marking, all cycles (concurrent with the mutators unless
    /// marking runs in the pause).
    pub mark_time: Duration,
    /// References logged by the write barrier while marking, all cycles.
    pub satb_entries: u64,
    /// Time processing and rewriting the reference tables (weak and soft
    /// handles, ephemerons, finalization, identity hashes), all cycles: in
    /// pauses. With none in use, the cost of their empty tables.
    pub reference_time: Duration,
    /// Allocations that found the heap full and waited for a cycle to end.
    pub allocation_stalls: u64,
    /// Time allocations spent waiting for a cycle to end.
    pub stall_time: Duration,
    /// The longest such wait.
    pub max_stall: Duration,
    /// Allocations slowed down because they outran the cycle in progress.
    pub paced: u64,
    /// Time those allocations were slowed down by.
    pub pacing_time: Duration,
    /// Bytes freed, all cycles.
    pub bytes_freed: u64,
    /// Pages compactions could not place, all cycles: nonzero, the heap is
    /// corrupt and collects no more ([`CompactionStats::lost`]).
    pub pages_lost: u64,
    /// Objects moved, all cycles.
    pub objects_moved: u64,
    /// Objects paced mutators scanned helping concurrent markings, all
    /// cycles ([`CycleStats::marked_by_mutators`]).
    pub marked_by_mutators: u64,
    /// Bytes allocated since the heap was built (counted per TLAB and large object).
    pub bytes_allocated: u64,
    /// Moving-space pages made resident above the top ahead of the
    /// allocations, off the mutators' path, between cycles (Copy and
    /// stop-the-world modes).
    pub pages_ahead: u64,
    /// Bytes of the garbage cycles kept above the top for the allocations
    /// to come that were zeroed off the mutators' path, between cycles,
    /// rather than by the claims that took them.
    pub bytes_zeroed_ahead: u64,
    /// Bytes in use now (both spaces).
    pub used: usize,
    /// The large-object space's extent now: bytes from its start to the
    /// end of its highest block.
    pub large_span: usize,
    /// Of those, bytes in holes (free runs), which relinking closes.
    pub large_holes: usize,
    /// The heap's size.
    pub heap_size: usize,
    /// The policy's figures: the budget of allocation between cycles, and
    /// the allocation rate and cycle cost it follows.
    pub sizing: Sizing,
    /// The last cycle, if any.
    pub last: Option<CycleStats>,
    /// Concurrent modes: compactions finished.
    pub compactions: u64,
    /// Concurrent modes: the last compaction, if any.
    pub last_compaction: Option<CompactionStats>,
    /// Concurrent modes: to-space pages built by the compaction thread.
    pub pages_by_gc: u64,
    /// Concurrent modes: of those, pages built by the compaction threads
    /// besides the cycle's own.
    pub pages_by_helpers: u64,
    /// Concurrent modes: of those, pages built by paced mutators
    /// ([`CompactionStats::by_assists`]).
    pub pages_by_assists: u64,
    /// Concurrent modes: to-space pages built by mutators in their SIGBUS handlers.
    pub pages_by_mutators: u64,
    /// Concurrent modes: of those, pages a fault built above the one it
    /// faulted on, continuing a scan up the heap
    /// ([`CompactionStats::faulted_around`]).
    pub pages_faulted_around: u64,
    /// Concurrent modes: pages placed with `UFFDIO_MOVE`.
    pub pages_moved: u64,
    /// Concurrent modes: pages placed with `UFFDIO_COPY`.
    pub pages_copied: u64,
    /// Concurrent modes: shadow pages recycled as buffers.
    pub pages_recycled: u64,
    /// Concurrent modes: pages above the new top filled with zeroes, for
    /// allocation claims or on a mutator's fault.
    pub pages_zero_filled: u64,
    /// Concurrent modes: pages placed ahead of the rest of their run for a
    /// waiting thread ([`CompactionStats::placed_early`]).
    pub pages_placed_early: u64,
    /// Concurrent modes: mutator faults handled.
    pub mutator_faults: u64,
    /// Concurrent modes: the longest a mutator's fault handler took.
    pub max_fault: Duration,
    /// Concurrent modes: mutator faults by the kind of page faulted on.
    pub faults_by_kind: FaultKinds<FaultTotals>,
    /// Concurrent modes: cycles whose MOVEs met `EBUSY` for most pages, and
    /// that copied the rest.
    pub switched_to_copy: u64,
    /// Concurrent modes: pages copied because `UFFDIO_MOVE` met `EBUSY` on
    /// their run (shared with another process since a fork).
    pub pages_copied_busy: u64,
    /// Large objects moved by relinking their pages, all cycles.
    pub large_relinked: u64,
    /// Pages of large objects relinked to their new addresses with
    /// `UFFDIO_MOVE` ([`CompactionStats::relinked_pages`]; stop-the-world,
    /// [`CycleStats::large_pages_relinked`]), all cycles.
    pub pages_relinked: u64,
    /// Of those, pages moved without being read
    /// ([`CompactionStats::relinked_unread`]; stop-the-world, all of them).
    pub pages_relinked_unread: u64,
    /// Concurrent modes: pages of the moving space moved unread
    /// ([`CompactionStats::unread_moving`]), all cycles.
    pub pages_unread_moving: u64,
    /// Concurrent modes: pages of moving large objects (or moving-space
    /// pages moved unread) never touched, placed as the zero page
    /// ([`CompactionStats::relink_holes`]).
    pub pages_relink_holes: u64,
}

impl Stats {
    /// A summary of every collection so far, for people: counts, bytes, pause
    /// percentiles, marking, pacing and stalls, and a histogram of the pauses.
    /// `wall` is the run's duration, for the share of it spent paused.
    pub fn report(&self, mode: crate::Mode, wall: Duration) -> String {
        crate::report::report(self, mode, wall)
    }

    pub(crate) fn record(&mut self, cycle: CycleStats) {
        self.collections += 1;
        match cycle.kind {
            CycleKind::Young => self.young_cycles += 1,
            CycleKind::Full => self.full_cycles += 1,
        }
        self.promoted_bytes += cycle.promoted_bytes as u64;
        self.pages_in_place += cycle.pages_in_place as u64;
        self.pages_compacted += cycle.pages_compacted as u64;
        self.pages_remapped += cycle.pages_remapped as u64;
        for p in &cycle.pauses {
            self.total_pause += p.duration;
            self.max_pause = self.max_pause.max(p.duration);
        }
        self.pauses.extend_from_slice(&cycle.pauses);
        self.mark_time += cycle.mark;
        self.satb_entries += cycle.satb_entries as u64;
        self.reference_time += cycle.references.processing + cycle.references.rewriting;
        self.bytes_freed += cycle.freed() as u64;
        self.objects_moved += cycle.objects_moved as u64;
        self.marked_by_mutators += cycle.marked_by_mutators as u64;
        self.large_relinked += cycle.large_relinked as u64;
        self.pages_relinked += cycle.large_pages_relinked as u64;
        self.pages_relinked_unread += cycle.large_pages_relinked as u64;
        self.last = Some(cycle);
    }

    /// Adds a compaction, and its faults' durations by kind of page.
    pub(crate) fn record_compaction(
        &mut self,
        c: CompactionStats,
        distributions: FaultKinds<Distribution>,
    ) {
        self.compactions += 1;
        self.pages_lost += c.lost as u64;
        self.objects_moved += c.objects_moved as u64;
        self.pages_by_gc += c.by_gc as u64;
        self.pages_by_helpers += c.by_helpers as u64;
        self.pages_by_assists += c.by_assists as u64;
        self.pages_by_mutators += c.by_mutators as u64;
        self.pages_faulted_around += c.faulted_around as u64;
        self.pages_moved += c.moved as u64;
        self.pages_copied += c.copied as u64;
        self.pages_recycled += c.buffers_recycled as u64;
        self.pages_zero_filled += (c.allocation_pages + c.zero_filled) as u64;
        self.pages_placed_early += c.placed_early as u64;
        self.mutator_faults += c.faults.count;
        self.max_fault = self.max_fault.max(c.faults.max);
        for (total, (latency, time, distribution)) in [
            (
                &mut self.faults_by_kind.dense,
                (
                    &c.fault_kinds.dense,
                    c.fault_time.dense,
                    &distributions.dense,
                ),
            ),
            (
                &mut self.faults_by_kind.sliding,
                (
                    &c.fault_kinds.sliding,
                    c.fault_time.sliding,
                    &distributions.sliding,
                ),
            ),
            (
                &mut self.faults_by_kind.large,
                (
                    &c.fault_kinds.large,
                    c.fault_time.large,
                    &distributions.large,
                ),
            ),
            (
                &mut self.faults_by_kind.old,
                (&c.fault_kinds.old, c.fault_time.old, &distributions.old),
            ),
            (
                &mut self.faults_by_kind.allocation,
                (
                    &c.fault_kinds.allocation,
                    c.fault_time.allocation,
                    &distributions.allocation,
                ),
            ),
        ] {
            total.count += latency.count;
            total.time += time;
            total.max = total.max.max(latency.max);
            total.distribution.add(distribution);
        }
        self.switched_to_copy += u64::from(c.switched_to_copy);
        self.pages_copied_busy += c.copied_busy as u64;
        self.pages_relinked += c.relinked_pages as u64;
        self.pages_relinked_unread += c.relinked_unread as u64;
        self.pages_relink_holes += c.relink_holes as u64;
        self.pages_unread_moving += c.unread_moving as u64;
        self.last_compaction = Some(c);
    }
}
