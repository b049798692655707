//! The crate's one error type.
//!
//! An [`Error`] is `Copy` and never allocates: it is built inside the SIGBUS
//! handler when a page cannot be placed, where allocating is not allowed.

use std::fmt;

/// The kernel operation that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// Reserving address space (`mmap`).
    Reserve,
    /// Populating pages ahead of use (`MADV_POPULATE_WRITE`).
    Commit,
    /// Returning pages to the kernel (`MADV_DONTNEED`).
    Decommit,
    /// Setting advice on a range (`MADV_NOHUGEPAGE`, `MADV_DONTFORK`, `MADV_DOFORK`).
    Advise,
    /// Moving a range's pages into a shadow range (`mremap` with `MREMAP_DONTUNMAP`).
    Remap,
    /// Opening a userfaultfd.
    Open,
    /// The `UFFDIO_API` handshake.
    Handshake,
    /// `UFFDIO_REGISTER`.
    Register,
    /// `UFFDIO_UNREGISTER`.
    Unregister,
    /// `UFFDIO_MOVE`.
    Move,
    /// `UFFDIO_COPY`.
    Copy,
    /// `UFFDIO_ZEROPAGE`.
    ZeroPage,
    /// `UFFDIO_WAKE`.
    Wake,
    /// Installing the process-wide SIGBUS handler (`sigaction`).
    SignalHandler,
    /// Adding a range to the SIGBUS dispatcher.
    SigbusRange,
    /// Setting the calling thread's scheduling policy (`sched_setscheduler`).
    Schedule,
    /// Asking which pages are resident (`mincore`).
    Resident,
}

impl Op {
    fn describe(self) -> &'static str {
        match self {
            Op::Reserve => "reserving address space (mmap)",
            Op::Commit => "populating pages (madvise MADV_POPULATE_WRITE)",
            Op::Decommit => "releasing pages (madvise MADV_DONTNEED)",
            Op::Advise => "setting memory advice (madvise)",
            Op::Remap => "moving pages to the shadow range (mremap MREMAP_DONTUNMAP)",
            Op::Open => "opening a userfaultfd",
            Op::Handshake => "the userfaultfd API handshake (UFFDIO_API)",
            Op::Register => "registering a range with userfaultfd (UFFDIO_REGISTER)",
            Op::Unregister => "unregistering a range from userfaultfd (UFFDIO_UNREGISTER)",
            Op::Move => "moving pages into place (UFFDIO_MOVE)",
            Op::Copy => "copying pages into place (UFFDIO_COPY)",
            Op::ZeroPage => "placing zero pages (UFFDIO_ZEROPAGE)",
            Op::Wake => "waking faulting threads (UFFDIO_WAKE)",
            Op::SignalHandler => "installing the SIGBUS handler (sigaction)",
            Op::SigbusRange => "adding a range to the SIGBUS dispatcher",
            Op::Schedule => "setting the thread's scheduling policy (sched_setscheduler)",
            Op::Resident => "asking which pages are resident (mincore)",
        }
    }
}

/// A broad class of failure, for callers that pick a fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The kernel or platform lacks the interface (not Linux, too old, compiled out).
    Unsupported,
    /// The interface exists but this process may not use it (sysctl, seccomp, permissions).
    PermissionDenied,
    /// The kernel could not provide memory or address space.
    OutOfMemory,
    /// The caller passed an address, length or alignment the call cannot take.
    InvalidInput,
    /// Anything else; the errno says more.
    Other,
}

/// A failed kernel memory operation: what was attempted, the errno, and what to do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Error {
    op: Op,
    kind: ErrorKind,
    errno: Option<i32>,
    hint: &'static str,
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error from the kernel: `errno` is the raw error number.
    pub(crate) fn os(op: Op, errno: i32, hint: &'static str) -> Self {
        if errno == crate::sys::UNSUPPORTED {
            return Error::new(op, ErrorKind::Unsupported, crate::sys::UNSUPPORTED_REASON);
        }
        Error {
            op,
            kind: crate::sys::classify(errno),
            errno: Some(errno),
            hint,
        }
    }

    /// An error found before any system call was made.
    pub(crate) const fn new(op: Op, kind: ErrorKind, hint: &'static str) -> Self {
        Error {
            op,
            kind,
            errno: None,
            hint,
        }
    }

    /// The same error with a different kind, for a caller that knows the cause better.
    pub(crate) const fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// Which operation failed.
    pub fn op(&self) -> Op {
        self.op
    }

    /// The broad class of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The raw errno the kernel returned, if a system call failed.
    pub fn errno(&self) -> Option<i32> {
        self.errno
    }

    /// What the user can do about it, in words.
    pub fn hint(&self) -> &'static str {
        self.hint
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.op.describe())?;
        if let Some(errno) = self.errno {
            let name = crate::sys::errno_name(errno).unwrap_or("errno");
            write!(f, ": {name} ({})", std::io::Error::from_raw_os_error(errno))?;
        }
        if !self.hint.is_empty() {
            write!(f, ": {}", self.hint)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("op", &self.op)
            .field("kind", &self.kind)
            .field("errno", &self.errno)
            .field("message", &format_args!("{self}"))
            .finish()
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        match e.errno {
            Some(errno) => std::io::Error::new(std::io::Error::from_raw_os_error(errno).kind(), e),
            None => std::io::Error::other(e),
        }
    }
}
