//! The capability probe: which kernel interfaces work here, found by trying them.
//!
//! Feature bits say what a kernel was built with; seccomp filters, sysctls and
//! container profiles decide what this process may use. So every capability is
//! decided by a trial on scratch pages, and every "no" carries a reason a user
//! can act on.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::{Error, ErrorKind};
use crate::reservation::Reservation;
use crate::sigbus::{self, FaultAction};
use crate::uffd::{Features, MoveMode, OpenedVia, Outcome, Userfaultfd, Wake};

/// One kernel interface movegc relies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// A userfaultfd can be opened and its handshake completes.
    Userfaultfd,
    /// It could be opened with `UFFD_USER_MODE_ONLY`, so a kernel access to a
    /// missing page fails with `EFAULT` instead of waiting.
    UserModeOnly,
    /// `UFFDIO_MOVE` moved a trial page.
    Move,
    /// A trial fault raised SIGBUS and was resolved by the dispatcher.
    Sigbus,
    /// `mremap(MREMAP_DONTUNMAP)` moved a trial page.
    DontUnmap,
}

impl Capability {
    /// Every capability, in the order the probe reports them.
    pub const ALL: [Capability; 5] = [
        Capability::Userfaultfd,
        Capability::UserModeOnly,
        Capability::Move,
        Capability::Sigbus,
        Capability::DontUnmap,
    ];

    fn name(self) -> &'static str {
        match self {
            Capability::Userfaultfd => "userfaultfd",
            Capability::UserModeOnly => "UFFD_USER_MODE_ONLY",
            Capability::Move => "UFFDIO_MOVE",
            Capability::Sigbus => "SIGBUS fault handling",
            Capability::DontUnmap => "MREMAP_DONTUNMAP",
        }
    }
}

/// Why a capability is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable {
    message: String,
    error: Option<Error>,
}

impl Unavailable {
    fn new(message: impl Into<String>) -> Self {
        Unavailable {
            message: message.into(),
            error: None,
        }
    }

    fn from_error(error: Error) -> Self {
        Unavailable {
            message: error.to_string(),
            error: Some(error),
        }
    }

    /// What failed and what to do about it, in words.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The failure the trial met, if it got as far as a system call.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What this kernel and process allow, from [`Capabilities::detect`].
#[derive(Clone, Debug)]
pub struct Capabilities {
    kernel: String,
    opened_via: Option<OpenedVia>,
    results: [Result<(), Unavailable>; 5],
    warnings: Vec<String>,
}

impl Capabilities {
    /// The probe's result for this process, run once on first call.
    ///
    /// The probe installs the process-wide SIGBUS dispatcher (to try a fault).
    pub fn get() -> &'static Capabilities {
        static CAPS: OnceLock<Capabilities> = OnceLock::new();
        CAPS.get_or_init(Capabilities::detect)
    }

    /// Runs every trial now. Takes about a millisecond.
    pub fn detect() -> Capabilities {
        let kernel = crate::sys::kernel_release();
        let mut warnings = Vec::new();
        let (opened_via, userfaultfd, user_mode_only, available) = match Userfaultfd::open(
            Features::empty(),
        ) {
            Ok(uffd) => {
                let umo = if uffd.opened_via() == OpenedVia::Privileged {
                    Err(Unavailable::new(
                        "the kernel refused UFFD_USER_MODE_ONLY (it needs Linux 5.11): a system \
                             call reading a missing heap page waits instead of failing with EFAULT",
                    ))
                } else {
                    Ok(())
                };
                (
                    Some(uffd.opened_via()),
                    Ok(()),
                    umo,
                    uffd.available_features(),
                )
            }
            Err(e) => {
                let no = explain(e);
                (None, Err(no.clone()), Err(no), Features::empty())
            }
        };
        let move_ioctl = match (&userfaultfd, available.contains(Features::MOVE)) {
            (Err(no), _) => Err(no.clone()),
            (Ok(()), false) => Err(Unavailable::new(format!(
                "kernel {kernel} has no UFFDIO_MOVE (it needs Linux 6.8 or later)"
            ))),
            (Ok(()), true) => trial_move(),
        };
        if move_ioctl.is_ok() && lacks_move_fixes(&kernel) {
            warnings.push(format!(
                "kernel {kernel} has UFFDIO_MOVE but not the 2025 fixes for large-folio locking \
                 and swap-cache races (6.12.20+, 6.13.8+, 6.14+): upgrade the kernel"
            ));
        }
        let sigbus = match (&userfaultfd, available.contains(Features::SIGBUS)) {
            (Err(no), _) => Err(no.clone()),
            (Ok(()), false) => Err(Unavailable::new(format!(
                "kernel {kernel} has no UFFD_FEATURE_SIGBUS (it needs Linux 4.14 or later)"
            ))),
            (Ok(()), true) => trial_sigbus(),
        };
        let dontunmap = trial_dontunmap();
        Capabilities {
            kernel,
            opened_via,
            results: [userfaultfd, user_mode_only, move_ioctl, sigbus, dontunmap],
            warnings,
        }
    }

    /// The kernel's release string.
    pub fn kernel(&self) -> &str {
        &self.kernel
    }

    /// How the probe's userfaultfd was opened, if it could be.
    pub fn opened_via(&self) -> Option<OpenedVia> {
        self.opened_via
    }

    /// Whether `capability` works, and if not, why.
    pub fn check(&self, capability: Capability) -> Result<(), &Unavailable> {
        let index = Capability::ALL
            .iter()
            .position(|c| *c == capability)
            .unwrap_or_default();
        self.results[index].as_ref().map(|_| ())
    }

    /// Whether `capability` works.
    pub fn has(&self, capability: Capability) -> bool {
        self.check(capability).is_ok()
    }

    /// Whether concurrent compaction with `UFFDIO_MOVE` can run: userfaultfd,
    /// MOVE, SIGBUS handling and `MREMAP_DONTUNMAP` all work. On `Err`, the
    /// first missing capability and why.
    pub fn concurrent_compaction(&self) -> Result<(), (Capability, &Unavailable)> {
        [
            Capability::Userfaultfd,
            Capability::Move,
            Capability::Sigbus,
            Capability::DontUnmap,
        ]
        .into_iter()
        .try_for_each(|c| self.check(c).map_err(|no| (c, no)))
    }

    /// Things that work but should be fixed (an old kernel with known bugs).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "kernel: {}", self.kernel)?;
        for c in Capability::ALL {
            match self.check(c) {
                Ok(()) => writeln!(f, "{}: yes", c.name())?,
                Err(no) => writeln!(f, "{}: no: {no}", c.name())?,
            }
        }
        match self.concurrent_compaction() {
            Ok(()) => writeln!(f, "concurrent compaction: available")?,
            Err((c, _)) => writeln!(f, "concurrent compaction: unavailable (needs {})", c.name())?,
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

/// An error's own hint, sharpened by what the process's state says about it.
fn explain(error: Error) -> Unavailable {
    let mut no = Unavailable::from_error(error);
    let denied = matches!(
        error.kind(),
        ErrorKind::PermissionDenied | ErrorKind::Unsupported
    );
    if denied && error.errno().is_some() {
        if seccomp_filtered() {
            no.message.push_str(
                "; this process runs under a seccomp filter (Seccomp: 2 in /proc/self/status), \
                 which may be what denies it",
            );
        }
        if let Ok(v) = std::fs::read_to_string("/proc/sys/vm/unprivileged_userfaultfd") {
            no.message
                .push_str(&format!("; vm.unprivileged_userfaultfd is {}", v.trim()));
        }
    }
    no
}

fn seccomp_filtered() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|l| l.starts_with("Seccomp:") && l.trim_end().ends_with('2'))
    })
}

/// Whether a kernel release predates the 2025 UFFDIO_MOVE fixes.
fn lacks_move_fixes(release: &str) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let version = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    match version {
        (6, 12, patch) => patch < 20,
        (6, 13, patch) => patch < 8,
        (major, minor, _) => (major, minor) < (6, 12),
    }
}

const PATTERN: u64 = 0x6d6f_7665_6763_2121;

fn page() -> usize {
    crate::page_size()
}

/// Two single-page reservations, each its own mapping, the source filled with
/// [`PATTERN`]. Kept out of forked children: a fork by another thread during
/// the trial would make the source shared, and MOVE would fail with `EBUSY`.
fn scratch_pair() -> Result<(Reservation, Reservation), Unavailable> {
    let scratch = || {
        let r = Reservation::new(page(), page())?;
        r.exclude_from_fork()?;
        Ok(r)
    };
    let src = scratch().map_err(Unavailable::from_error)?;
    let dst = scratch().map_err(Unavailable::from_error)?;
    // SAFETY: the reservation is ours, mapped read-write, and at least a word long.
    unsafe { src.as_ptr().cast::<u64>().write_volatile(PATTERN) };
    Ok((src, dst))
}

fn read_word(addr: *mut u8) -> u64 {
    // SAFETY: every caller passes the start of a mapped scratch page it owns.
    unsafe { addr.cast::<u64>().read_volatile() }
}

fn trial_move() -> Result<(), Unavailable> {
    let uffd = Userfaultfd::open(Features::MOVE).map_err(explain)?;
    let (src, dst) = scratch_pair()?;
    uffd.register(dst.range()).map_err(explain)?;
    // SAFETY: both pages are this function's own scratch memory, unreferenced.
    let placed = unsafe { uffd.move_pages(dst.start(), src.start(), page(), MoveMode::empty()) };
    match placed.outcome {
        Outcome::Complete if read_word(dst.as_ptr()) == PATTERN && read_word(src.as_ptr()) == 0 => {
            Ok(())
        }
        Outcome::Complete => Err(Unavailable::new(
            "a trial UFFDIO_MOVE reported success but the page did not arrive intact",
        )),
        Outcome::Failed(e) => Err(explain(e)),
        other => Err(Unavailable::new(format!(
            "a trial UFFDIO_MOVE of a private page ended with {other:?}"
        ))),
    }
}

fn trial_sigbus() -> Result<(), Unavailable> {
    let uffd = Arc::new(Userfaultfd::open(Features::SIGBUS).map_err(explain)?);
    let (src, dst) = scratch_pair()?;
    uffd.register(dst.range()).map_err(explain)?;
    // 0: not yet faulted; 1: resolved by COPY; 2: COPY failed.
    let state = Arc::new(AtomicU32::new(0));
    let (h_uffd, h_state, src_addr, dst_range) =
        (uffd.clone(), state.clone(), src.start(), dst.range());
    let handler = move |_: &sigbus::Fault| {
        let copied = h_uffd.copy_pages(dst_range.start, src_addr, dst_range.len(), Wake::Yes);
        if matches!(copied.outcome, Outcome::Complete | Outcome::Exists) {
            h_state.store(1, Ordering::Release);
        } else {
            // Let the retried access find an ordinary zero page rather than fault forever.
            let _ = h_uffd.unregister(dst_range.clone());
            h_state.store(2, Ordering::Release);
        }
        FaultAction::Resolved
    };
    // SAFETY: the handler makes two ioctls and atomic stores: async-signal-safe.
    let guard = unsafe { sigbus::register_range(dst.range(), handler) }.map_err(explain)?;
    let seen = read_word(dst.as_ptr());
    drop(guard);
    match (state.load(Ordering::Acquire), seen) {
        (1, PATTERN) => Ok(()),
        (0, _) => Err(Unavailable::new(
            "a trial access to a missing registered page raised no SIGBUS",
        )),
        (2, _) => Err(Unavailable::new(
            "SIGBUS arrived but UFFDIO_COPY could not place the page from the handler",
        )),
        _ => Err(Unavailable::new(
            "SIGBUS was handled but the page did not arrive intact",
        )),
    }
}

fn trial_dontunmap() -> Result<(), Unavailable> {
    let (src, dst) = scratch_pair()?;
    src.remap_into(0, page(), &dst, 0).map_err(explain)?;
    if read_word(dst.as_ptr()) == PATTERN && read_word(src.as_ptr()) == 0 {
        Ok(())
    } else {
        Err(Unavailable::new(
            "a trial mremap(MREMAP_DONTUNMAP) did not move the page intact",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_before_the_move_fixes_are_flagged() {
        assert!(lacks_move_fixes("6.8.0-generic"));
        assert!(lacks_move_fixes("6.12.19"));
        assert!(!lacks_move_fixes("6.12.20-lts"));
        assert!(lacks_move_fixes("6.13.7"));
        assert!(!lacks_move_fixes("6.13.8"));
        assert!(!lacks_move_fixes("6.14.0"));
        assert!(!lacks_move_fixes("6.18.44-fc-v769"));
        assert!(!lacks_move_fixes("7.0.1"));
    }
}
