//! Injected failures, for testing the concurrent modes' fallbacks (cargo
//! feature `fault-injection`; never in a production build). Each failure is
//! one the kernel can really produce but a test cannot provoke on demand, a
//! scheduling a test cannot force, or a part of the collector switched off
//! to show that the tests catch it.

/// Which failures a heap built with [`HeapBuilder::inject`](crate::HeapBuilder::inject)
/// simulates.
#[derive(Clone, Copy, Debug, Default)]
pub struct Injection {
    /// After this many `UFFDIO_MOVE` calls in a cycle, every further one fails
    /// with `EBUSY`, as after a `fork` that shares the heap's pages.
    pub move_busy_after: Option<usize>,
    /// Every this many page-placing calls (MOVE or COPY), the call places only
    /// part of its range (nothing, for one page) and reports `EAGAIN`.
    pub again_every: Option<usize>,
    /// No buffer page is ever available: every sliding page is built in a
    /// private page and copied.
    pub no_buffers: bool,
    /// A mutator's fault builds its own page only, even where it continues
    /// a scan up the heap (no pages built around it): each goes in as a
    /// fault of its own.
    pub single_page_faults: bool,
    /// The capability probe reports userfaultfd unavailable.
    pub uffd_unavailable: bool,
    /// The write barrier logs nothing: concurrent marking then misses objects
    /// whose only reference moves while it runs (to show that tests catch it).
    pub no_write_barrier: bool,
    /// Reading a weak handle or an ephemeron during marking does not keep
    /// its object alive: a mutator that stores such an object into the
    /// graph then holds an object the cycle frees (to show that tests
    /// catch it).
    pub no_keep_alive: bool,
    /// The write barrier records no old-to-young reference in the card table:
    /// young cycles then free young objects only old ones reference (to show
    /// that the verifier and the tests catch it).
    pub no_card_marking: bool,
    /// A large-object allocation sleeps this long after taking its block and
    /// before returning it, as a mutator preempted there: a sweep running
    /// concurrently then meets the new block in the middle of its allocation.
    pub large_alloc_delay: Option<std::time::Duration>,
    /// The compaction thread sleeps this long before building its first page,
    /// as a thread the scheduler has not run yet: the mutators then build
    /// every page they touch meanwhile themselves, and the other compaction
    /// threads (`compaction_threads`), which start at once, the rest.
    pub compaction_delay: Option<std::time::Duration>,
    /// A full cycle that compacts concurrently sleeps this long before its
    /// compaction pause (marking done, references forwarded ahead), as a
    /// thread preempted there: the mutators then store meanwhile into pages
    /// marking scanned and pages whose references it forwarded.
    pub pause_delay: Option<std::time::Duration>,
    /// The write barrier does not dirty the cards of old objects stored to
    /// during a full cycle: the cycle then leaves mapped pages that reference
    /// objects it moves (to show that the tests catch it).
    pub no_old_store_cards: bool,
    /// The allocation-ahead thread (Copy and stop-the-world modes) sleeps
    /// this long between choosing the pages above the top it makes resident
    /// and making them so, as the idle-priority thread it is, which the
    /// scheduler may not run for a long time there: cycles then run
    /// meanwhile, and the top moves under the pages it chose.
    pub ahead_delay: Option<std::time::Duration>,
    /// The compaction pause sleeps this long between moving the pages out to
    /// the shadow and registering their range, as a pause preempted there:
    /// no mutator runs, and a thread of the heap's that makes pages resident
    /// meanwhile would find them missing.
    pub remap_delay: Option<std::time::Duration>,
    /// After this many page-placing calls (MOVE or COPY) in a cycle, every
    /// further one places nothing and reports `EEXIST`, as if something
    /// outside the collector had populated each destination first: the
    /// pages are lost (to show that the heap says so and stops).
    pub place_exists_after: Option<usize>,
    /// The allocation-ahead thread makes no page resident above the top (in
    /// Copy and stop-the-world modes as in Move mode): the pages a test
    /// never writes stay missing, however fast the thread ran.
    pub no_pages_ahead: bool,
    /// A compaction thread sleeps this long between claiming a run of
    /// moving-space pages and building it, as a thread preempted there: a
    /// mutator that faults on a page of the run meanwhile waits for it, and
    /// the thread then places that page ahead of the rest of the run. (Not
    /// counted in the run's time, which sizes the next runs.)
    pub run_delay: Option<std::time::Duration>,
    /// A paced mutator sleeps this long between taking a chunk of pages to
    /// build and claiming them, as a thread preempted there: the compaction
    /// thread meanwhile runs out of chunks, and must still see those pages
    /// built before the compaction ends.
    pub chunk_delay: Option<std::time::Duration>,
}
