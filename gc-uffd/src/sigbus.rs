//! The process-wide SIGBUS dispatcher.
//!
//! With `UFFD_FEATURE_SIGBUS`, a thread that touches a missing page of a
//! registered range receives SIGBUS. The dispatcher finds which registered
//! address range the fault is in and runs that range's handler on the faulting
//! thread, which places the page and returns; the access then retries. A fault
//! in no registered range, or one its handler leaves unresolved, goes to the
//! SIGBUS disposition that was installed before the dispatcher (or the default
//! action), so a real bus error elsewhere still ends the program as it would have.

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use crate::error::{Error, ErrorKind, Op, Result};
use crate::ranges::{InsertError, RangeTable};

/// How many ranges can be registered at once, across the process.
pub const CAPACITY: usize = 64;

/// A SIGBUS in a registered range, as seen by its handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    addr: usize,
}

impl Fault {
    /// The faulting address (`si_addr`), not rounded to a page.
    pub fn addr(&self) -> usize {
        self.addr
    }
}

/// What a handler did with a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// The page is in place: return and let the access retry.
    Resolved,
    /// The handler could not resolve it: hand the signal to the earlier
    /// disposition (by default, the program dies with SIGBUS).
    Forward,
}

type Handler = Box<dyn Fn(&Fault) -> FaultAction + Send + Sync>;

static TABLE: OnceLock<RangeTable<Handler, CAPACITY>> = OnceLock::new();

/// A range registered with the dispatcher. Dropping it unregisters the range,
/// first waiting for handlers still running on it to return.
#[must_use = "dropping a SigbusRange unregisters it at once"]
pub struct SigbusRange {
    slot: usize,
    range: Range<usize>,
}

impl SigbusRange {
    /// The registered addresses.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }
}

impl fmt::Debug for SigbusRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigbusRange")
            .field(
                "range",
                &format_args!("{:#x}..{:#x}", self.range.start, self.range.end),
            )
            .finish()
    }
}

impl Drop for SigbusRange {
    fn drop(&mut self) {
        if let Some(table) = TABLE.get() {
            drop(table.remove(self.slot));
        }
    }
}

/// Routes SIGBUS faults in `range` to `handler`, installing the process-wide
/// SIGBUS handler on first use. Ranges may be added and removed while other
/// threads fault; at most [`CAPACITY`] exist at once and they may not overlap.
///
/// Fails with [`ErrorKind::Unsupported`] where signals cannot be handled this
/// way (not Linux).
///
/// # Example
///
/// A missing page is filled with zeroes by the thread that touches it:
///
/// ```
/// use gc_uffd::sigbus::{self, Fault, FaultAction};
/// use gc_uffd::{Capabilities, Capability, Features, Outcome, Reservation, Userfaultfd, Wake};
///
/// # if let Err(no) = Capabilities::get().check(Capability::Sigbus) {
/// #     assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI needs userfaultfd: {no}");
/// #     eprintln!("skipped: {no}");
/// #     return Ok(());
/// # }
/// let page = gc_uffd::page_size();
/// let heap = Reservation::new(4 * page, page)?;
/// let uffd = Userfaultfd::open(Features::SIGBUS)?;
/// uffd.register(heap.range())?;
/// let handler = move |fault: &Fault| {
///     let at = fault.addr() & !(page - 1);
///     match uffd.zero_pages(at, page, Wake::Yes).outcome {
///         Outcome::Complete | Outcome::Exists => FaultAction::Resolved,
///         _ => FaultAction::Forward,
///     }
/// };
/// // SAFETY: the handler makes one ioctl: async-signal-safe.
/// let _range = unsafe { sigbus::register_range(heap.range(), handler)? };
/// // SAFETY: the page is mapped; the first touch raises SIGBUS, which the handler resolves.
/// assert_eq!(unsafe { heap.as_ptr().add(page).read_volatile() }, 0);
/// # Ok::<(), gc_uffd::Error>(())
/// ```
///
/// # Safety
///
/// `handler` runs inside a signal handler, on whatever thread faulted, at any
/// point of that thread's execution. It must be async-signal-safe: no
/// allocation, no lock that the interrupted code might hold, no I/O through
/// `std` (`println!`), nothing that can panic. Atomics, userfaultfd ioctls, and
/// reads and writes of memory the handler owns are fine. It must not drop the
/// `SigbusRange` it was registered by.
pub unsafe fn register_range<F>(range: Range<usize>, handler: F) -> Result<SigbusRange>
where
    F: Fn(&Fault) -> FaultAction + Send + Sync + 'static,
{
    if range.start >= range.end {
        return Err(Error::new(
            Op::SigbusRange,
            ErrorKind::InvalidInput,
            "the range is empty",
        ));
    }
    crate::sys::install_sigbus_handler().map_err(|e| Error::os(Op::SignalHandler, e, ""))?;
    let table = TABLE.get_or_init(RangeTable::new);
    match table.insert(range.clone(), Box::new(handler)) {
        Ok(slot) => Ok(SigbusRange { slot, range }),
        Err(InsertError::Full) => Err(Error::new(
            Op::SigbusRange,
            ErrorKind::OutOfMemory,
            "every slot of the dispatcher is in use (gc_uffd::sigbus::CAPACITY): drop unused ranges",
        )),
        Err(InsertError::Overlap) => Err(Error::new(
            Op::SigbusRange,
            ErrorKind::InvalidInput,
            "the range overlaps one already registered",
        )),
    }
}

/// Called by the platform's signal handler: runs the handler of the range
/// holding `addr`. Returns whether the fault was resolved.
#[cfg_attr(
    not(all(target_os = "linux", not(movegc_portable))),
    expect(dead_code, reason = "only the Linux backend has a signal handler")
)]
pub(crate) fn dispatch(addr: usize) -> bool {
    TABLE
        .get()
        .and_then(|table| table.lookup(addr, |handler| handler(&Fault { addr })))
        == Some(FaultAction::Resolved)
}
