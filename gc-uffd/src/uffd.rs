//! The userfaultfd handle: open, handshake, register, and the ioctls that place pages.

use std::fmt;
use std::ops::{BitOr, Range};

use crate::error::{Error, ErrorKind, Op, Result};
use crate::sys;

/// A set of userfaultfd features (`UFFD_FEATURE_*`, the uapi bit values).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Features(u64);

impl Features {
    /// `UFFD_FEATURE_SIGBUS`: a missing fault raises SIGBUS in the faulting
    /// thread instead of queueing an event and waiting (Linux 4.14).
    pub const SIGBUS: Features = Features(1 << 7);
    /// `UFFD_FEATURE_THREAD_ID`: fault events carry the faulting thread's id.
    pub const THREAD_ID: Features = Features(1 << 8);
    /// `UFFD_FEATURE_MOVE`: `UFFDIO_MOVE` is available (Linux 6.8).
    pub const MOVE: Features = Features(1 << 16);

    const NAMED: [(Features, &'static str); 3] = [
        (Features::SIGBUS, "SIGBUS"),
        (Features::THREAD_ID, "THREAD_ID"),
        (Features::MOVE, "MOVE"),
    ];

    /// No features.
    pub const fn empty() -> Self {
        Features(0)
    }

    /// Any bits, including features this crate has no name for.
    pub const fn from_bits_retain(bits: u64) -> Self {
        Features(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every feature in `other` is in `self`.
    pub const fn contains(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }

    /// The features in `self` that are not in `other`.
    pub const fn difference(self, other: Features) -> Features {
        Features(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Features {
    type Output = Features;
    fn bitor(self, rhs: Features) -> Features {
        Features(self.0 | rhs.0)
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = *self;
        let mut set = f.debug_set();
        for (feature, name) in Features::NAMED {
            if self.contains(feature) {
                set.entry(&format_args!("{name}"));
                rest = rest.difference(feature);
            }
        }
        if !rest.is_empty() {
            set.entry(&format_args!("{:#x}", rest.0));
        }
        set.finish()
    }
}

/// Modes of [`Userfaultfd::move_pages`] (`UFFDIO_MOVE_MODE_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MoveMode(u64);

impl MoveMode {
    /// Do not wake threads waiting on the destination; call [`Userfaultfd::wake`] later.
    pub const DONTWAKE: MoveMode = MoveMode(1 << 0);
    /// Skip holes in the source instead of stopping with [`Outcome::SourceHole`].
    pub const ALLOW_SRC_HOLES: MoveMode = MoveMode(1 << 1);

    /// No mode bits: wake waiters, stop at a hole.
    pub const fn empty() -> Self {
        MoveMode(0)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }
}

impl BitOr for MoveMode {
    type Output = MoveMode;
    fn bitor(self, rhs: MoveMode) -> MoveMode {
        MoveMode(self.0 | rhs.0)
    }
}

/// Whether [`Userfaultfd::copy_pages`] and [`Userfaultfd::zero_pages`] wake
/// threads waiting on the pages they fill.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Wake {
    /// Wake waiters on the filled range.
    Yes,
    /// Leave them waiting; call [`Userfaultfd::wake`] later.
    No,
}

impl Wake {
    fn bits(self) -> u64 {
        match self {
            Wake::Yes => 0,
            Wake::No => sys::PLACE_DONTWAKE,
        }
    }
}

/// How a page-placing ioctl ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Every byte was placed.
    Complete,
    /// `EAGAIN`: the kernel stopped early (contention, or after a partial
    /// success); place the remainder again.
    Again,
    /// `EEXIST`: the destination page at `dst + placed` is already populated —
    /// another thread placed it first. Not an error for a racing caller.
    Exists,
    /// `ENOENT`: the source page at `src + placed` is a hole (MOVE only).
    SourceHole,
    /// `EBUSY`: the source page is not exclusive to this process (shared after
    /// `fork`, merged by KSM, pinned, under writeback). MOVE cannot take it:
    /// fall back to COPY.
    Busy,
    /// Any other failure.
    Failed(Error),
}

/// What one MOVE, COPY or ZEROPAGE call did: `placed` bytes from the start
/// of the range were placed, and the call ended with `outcome`.
#[must_use]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Placement {
    /// Bytes placed, from the start of the range.
    pub placed: usize,
    /// How the call ended.
    pub outcome: Outcome,
}

/// What [`Userfaultfd::relink`] did: pages placed from the start of the
/// range, in order, and how.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Relinked {
    /// Pages in place from the start of the range: all of them, or it
    /// stopped at the first it could not place.
    pub placed: usize,
    /// Of those, moved with `UFFDIO_MOVE`: not read.
    pub moved: usize,
    /// Of those, holes in the source (never touched) placed as the zero page.
    pub holes: usize,
    /// Of those, refused by MOVE with `EBUSY` (not exclusive to this
    /// process), copied with `UFFDIO_COPY`.
    pub copied: usize,
    /// MOVE calls made.
    pub calls: usize,
    /// Of those, ended by `EAGAIN` with the rest to move again.
    pub retries: usize,
}

impl Placement {
    /// Whether the whole range was placed.
    pub fn is_complete(&self) -> bool {
        self.outcome == Outcome::Complete
    }

    fn failed(error: Error) -> Self {
        Placement {
            placed: 0,
            outcome: Outcome::Failed(error),
        }
    }
}

/// How a [`Userfaultfd`] was opened, most to least preferred.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OpenedVia {
    /// `userfaultfd(UFFD_USER_MODE_ONLY)`: no privilege needed (Linux 5.11+).
    UserModeOnly,
    /// `/dev/userfaultfd` (Linux 6.1+), allowed by the device's permissions,
    /// also in user-mode-only mode.
    Device,
    /// `userfaultfd(2)` without `UFFD_USER_MODE_ONLY`: needs
    /// `vm.unprivileged_userfaultfd=1` or `CAP_SYS_PTRACE`. Kernel-mode faults on
    /// missing pages wait for a page instead of failing with `EFAULT` (unless
    /// the SIGBUS feature is on).
    Privileged,
}

/// The ioctls the kernel allows on a registered range (`uffdio_register.ioctls`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RangeIoctls(u64);

impl RangeIoctls {
    /// `UFFDIO_MOVE`.
    pub fn can_move(self) -> bool {
        self.0 & sys::IOCTL_BIT_MOVE != 0
    }
    /// `UFFDIO_COPY`.
    pub fn can_copy(self) -> bool {
        self.0 & sys::IOCTL_BIT_COPY != 0
    }
    /// `UFFDIO_ZEROPAGE`.
    pub fn can_zero(self) -> bool {
        self.0 & sys::IOCTL_BIT_ZEROPAGE != 0
    }
    /// `UFFDIO_WAKE`.
    pub fn can_wake(self) -> bool {
        self.0 & sys::IOCTL_BIT_WAKE != 0
    }
}

/// An open userfaultfd, after the API handshake.
///
/// Closing it (dropping) unregisters every range it registered; pages already
/// placed stay.
pub struct Userfaultfd {
    fd: sys::Fd,
    features: Features,
    available: Features,
    via: OpenedVia,
}

impl fmt::Debug for Userfaultfd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Userfaultfd")
            .field("features", &self.features)
            .field("available", &self.available)
            .field("via", &self.via)
            .finish_non_exhaustive()
    }
}

const OPEN_ENOSYS: &str = "this kernel has no userfaultfd (CONFIG_USERFAULTFD is off), \
     or a seccomp filter denies the system call";
const OPEN_EPERM: &str = "userfaultfd is restricted here: use Linux 5.11+ (which allows \
     UFFD_USER_MODE_ONLY without privilege), set the sysctl vm.unprivileged_userfaultfd=1, \
     grant CAP_SYS_PTRACE, or give this user read-write access to /dev/userfaultfd";
const OPEN_SECCOMP: &str = "the userfaultfd system call is denied: check for a seccomp \
     filter (Seccomp: 2 in /proc/self/status) or a container runtime's profile";

fn open_hint(syscall: i32, fallback: i32) -> &'static str {
    match syscall {
        e if e == sys::ENOSYS => OPEN_ENOSYS,
        e if e == sys::EPERM || e == sys::EINVAL => match fallback {
            f if f == sys::EPERM || f == sys::EACCES || f == sys::ENOENT => OPEN_EPERM,
            _ => OPEN_SECCOMP,
        },
        _ => "",
    }
}

fn missing_feature_hint(missing: Option<Features>) -> &'static str {
    match missing {
        Some(m) if m.contains(Features::MOVE) => {
            "this kernel lacks UFFD_FEATURE_MOVE: UFFDIO_MOVE needs Linux 6.8 or later"
        }
        Some(m) if m.contains(Features::SIGBUS) => {
            "this kernel lacks UFFD_FEATURE_SIGBUS: it needs Linux 4.14 or later"
        }
        Some(m) if m.contains(Features::THREAD_ID) => {
            "this kernel lacks UFFD_FEATURE_THREAD_ID: it needs Linux 4.14 or later"
        }
        _ => "the kernel refused a requested feature",
    }
}

fn open_fd() -> Result<(sys::Fd, OpenedVia)> {
    let syscall = match sys::uffd_syscall(true) {
        Ok(fd) => return Ok((fd, OpenedVia::UserModeOnly)),
        Err(e) => e,
    };
    if syscall == sys::UNSUPPORTED {
        return Err(Error::os(Op::Open, syscall, ""));
    }
    let device = match sys::uffd_dev(true) {
        Ok(fd) => return Ok((fd, OpenedVia::Device)),
        Err(e) => e,
    };
    match sys::uffd_syscall(false) {
        Ok(fd) => Ok((fd, OpenedVia::Privileged)),
        Err(_) => Err(Error::os(Op::Open, syscall, open_hint(syscall, device))),
    }
}

fn check_range(op: Op, range: &Range<usize>) -> Result<usize> {
    let page = crate::page_size();
    let len = range.end.wrapping_sub(range.start);
    if range.start % page != 0 || range.end % page != 0 || range.end <= range.start {
        return Err(Error::new(
            op,
            ErrorKind::InvalidInput,
            "the range must be non-empty and page-aligned at both ends",
        ));
    }
    Ok(len)
}

fn check_placement(op: Op, dst: usize, src: usize, len: usize) -> Result<()> {
    let mask = crate::page_size() - 1;
    if (dst | src | len) & mask != 0 || len == 0 {
        return Err(Error::new(
            op,
            ErrorKind::InvalidInput,
            "addresses and length must be page-aligned and the length non-zero",
        ));
    }
    Ok(())
}

fn placement(
    op: Op,
    len: usize,
    (placed, result): (usize, std::result::Result<(), i32>),
) -> Placement {
    let outcome = match result {
        Ok(()) => {
            return Placement {
                placed: len,
                outcome: Outcome::Complete,
            };
        }
        Err(e) if e == sys::EAGAIN => Outcome::Again,
        Err(e) if e == sys::EEXIST => Outcome::Exists,
        Err(e) if e == sys::ENOENT => Outcome::SourceHole,
        Err(e) if e == sys::EBUSY => Outcome::Busy,
        Err(e) if e == sys::EINVAL => Outcome::Failed(Error::os(
            op,
            e,
            "the destination must lie in a range registered with this userfaultfd, and \
             both ranges must be private anonymous memory with equal protections",
        )),
        Err(e) => Outcome::Failed(Error::os(op, e, "")),
    };
    Placement { placed, outcome }
}

impl Userfaultfd {
    /// Opens a userfaultfd and enables `features`.
    ///
    /// Tries, in order, `userfaultfd(UFFD_USER_MODE_ONLY)`, `/dev/userfaultfd`,
    /// and the privileged system call. Fails, naming the missing feature and
    /// the kernel that has it, if the kernel lacks one of `features`.
    pub fn open(features: Features) -> Result<Self> {
        let (fd, via) = open_fd()?;
        match sys::uffd_api(&fd, features.bits()) {
            Ok(available) => Ok(Userfaultfd {
                fd,
                features,
                available: Features(available),
                via,
            }),
            Err(e) if e == sys::EINVAL => {
                // The failed handshake reports nothing: ask a fresh descriptor what exists.
                let available = open_fd()
                    .ok()
                    .and_then(|(probe, _)| sys::uffd_api(&probe, 0).ok());
                let missing = available.map(|a| features.difference(Features(a)));
                Err(Error::os(Op::Handshake, e, missing_feature_hint(missing))
                    .with_kind(ErrorKind::Unsupported))
            }
            Err(e) => Err(Error::os(Op::Handshake, e, "")),
        }
    }

    /// Replaces the userfaultfd behind this descriptor with a new one for the
    /// calling process, with the same features; the descriptor's number stays
    /// the same (`dup3` over it).
    ///
    /// For a forked child: the descriptor it inherits still serves the
    /// *parent's* address space (each userfaultfd belongs to the process that
    /// opened it), so a range registered through it would be the parent's
    /// range, and its ioctls would place pages in the parent. Call this in the
    /// child before any other use. Ranges registered through the old
    /// userfaultfd are not carried over, and the parent's userfaultfd is not
    /// affected. Other threads must not use the descriptor meanwhile (a child
    /// has no other threads).
    pub fn reopen(&self) -> Result<()> {
        let (fd, _) = open_fd()?;
        sys::uffd_api(&fd, self.features.bits()).map_err(|e| Error::os(Op::Handshake, e, ""))?;
        sys::replace_fd(&self.fd, &fd).map_err(|e| {
            Error::os(
                Op::Open,
                e,
                "the old descriptor could not be replaced (dup3)",
            )
        })
    }

    /// The features enabled by the handshake.
    pub fn features(&self) -> Features {
        self.features
    }

    /// Every feature this kernel offers.
    pub fn available_features(&self) -> Features {
        self.available
    }

    /// How the descriptor was opened.
    pub fn opened_via(&self) -> OpenedVia {
        self.via
    }

    /// Registers `range` for MISSING faults: from now on a first access to an
    /// unpopulated page in it is reported to this userfaultfd (as SIGBUS in the
    /// faulting thread when [`Features::SIGBUS`] is on; otherwise the thread
    /// waits until a page is placed there and it is woken).
    pub fn register(&self, range: Range<usize>) -> Result<RangeIoctls> {
        let len = check_range(Op::Register, &range)?;
        sys::uffd_register(&self.fd, range.start, len)
            .map(RangeIoctls)
            .map_err(|e| {
                let hint = if e == sys::EBUSY {
                    "the range is already registered with another userfaultfd"
                } else {
                    "the range must be mapped private anonymous memory (not a huge-page \
                     or file mapping this kernel cannot register)"
                };
                Error::os(Op::Register, e, hint)
            })
    }

    /// Unregisters `range`: missing faults there become ordinary zero-fill faults.
    pub fn unregister(&self, range: Range<usize>) -> Result<()> {
        let len = check_range(Op::Unregister, &range)?;
        sys::uffd_unregister(&self.fd, range.start, len)
            .map_err(|e| Error::os(Op::Unregister, e, ""))
    }

    /// Wakes threads waiting on faults in `range` (after a `DONTWAKE` placement).
    pub fn wake(&self, range: Range<usize>) -> Result<()> {
        let len = check_range(Op::Wake, &range)?;
        sys::uffd_wake(&self.fd, range.start, len).map_err(|e| Error::os(Op::Wake, e, ""))
    }

    /// Places the pages at `src..src + len` at `dst..dst + len` without
    /// reading them, as far as the kernel lets it: moved by `mv` (a MOVE of
    /// the remainder, which the caller makes: [`move_pages`](Self::move_pages),
    /// or a wrapper of it), a hole in the source placed as the zero page, a
    /// page MOVE refuses with `EBUSY` copied. Stops at the first page none of
    /// those places (its destination populated, or a call failed): the caller
    /// decides what to do with the rest.
    ///
    /// Async-signal-safe if `mv` is: ioctls only, no allocation.
    pub fn relink(
        &self,
        dst: usize,
        src: usize,
        len: usize,
        mut mv: impl FnMut(usize, usize, usize) -> Placement,
    ) -> Relinked {
        let page = crate::page_size();
        let n = len / page;
        let mut done = Relinked::default();
        while done.placed < n {
            let at = done.placed * page;
            let p = mv(dst + at, src + at, len - at);
            done.calls += 1;
            done.moved += p.placed / page;
            done.placed += p.placed / page;
            let at = done.placed * page;
            let one = match p.outcome {
                Outcome::Complete => continue,
                Outcome::Again => {
                    done.retries += 1;
                    continue;
                }
                Outcome::SourceHole => self.zero_pages(dst + at, page, Wake::No),
                Outcome::Busy => self.copy_pages(dst + at, src + at, page, Wake::No),
                Outcome::Exists | Outcome::Failed(_) => break,
            };
            if !one.is_complete() {
                break;
            }
            if p.outcome == Outcome::SourceHole {
                done.holes += 1;
            } else {
                done.copied += 1;
            }
            done.placed += 1;
        }
        done
    }

    /// Moves the pages at `src..src + len` to `dst..dst + len` (`UFFDIO_MOVE`):
    /// only page-table entries change; nothing is allocated, zeroed or copied,
    /// and a swapped-out page moves without being read. `dst` must lie in a range
    /// registered with this userfaultfd, with no page present. Afterwards `src`
    /// is empty: reading it yields zero pages (or a missing fault, if registered).
    ///
    /// Async-signal-safe: one ioctl, no allocation.
    ///
    /// # Safety
    ///
    /// The pages at `src` are taken from their owner: the caller must own that
    /// memory, and no Rust reference may point into `src..src + len`.
    pub unsafe fn move_pages(
        &self,
        dst: usize,
        src: usize,
        len: usize,
        mode: MoveMode,
    ) -> Placement {
        if let Err(e) = check_placement(Op::Move, dst, src, len) {
            return Placement::failed(e);
        }
        if !self.features.contains(Features::MOVE) {
            return Placement::failed(Error::new(
                Op::Move,
                ErrorKind::Unsupported,
                "open the userfaultfd with Features::MOVE (UFFDIO_MOVE needs Linux 6.8)",
            ));
        }
        // SAFETY: the caller owns `src` and holds no reference into it.
        placement(Op::Move, len, unsafe {
            sys::uffd_move(&self.fd, dst, src, len, mode.bits())
        })
    }

    /// [`move_pages`](Self::move_pages) for a caller that alone takes pages
    /// from `src`: a call that ends with `EEXIST` or `EAGAIN` is checked
    /// against the page tables (`mincore` of both ranges), and the pages it
    /// moved count as placed even where the kernel did not say so. Linux 6.18
    /// was seen to move every page of a call and report `EEXIST` with none
    /// moved: a caller that then placed those pages again met its own pages
    /// there and took their objects for lost.
    ///
    /// Async-signal-safe: ioctls and `mincore`, no allocation.
    ///
    /// # Safety
    ///
    /// As for [`move_pages`](Self::move_pages); and no other thread moves,
    /// discards or unmaps pages of `src..src + len` during the call (so a
    /// source found empty after it was emptied by it).
    pub unsafe fn move_owned_pages(
        &self,
        dst: usize,
        src: usize,
        len: usize,
        mode: MoveMode,
    ) -> Placement {
        // SAFETY: as the caller guarantees.
        let p = unsafe { self.move_pages(dst, src, len, mode) };
        match p.outcome {
            Outcome::Exists | Outcome::Again => unreported_moves(dst, src, len, p),
            _ => p,
        }
    }

    /// Copies `src..src + len` into the missing pages at `dst..dst + len`
    /// (`UFFDIO_COPY`): the kernel allocates fresh pages and copies into them.
    /// Works where MOVE cannot (an `EBUSY` source, no free page to move).
    ///
    /// Only missing pages are filled (a present one stops the call with
    /// [`Outcome::Exists`]), so no memory anyone can see is overwritten; an
    /// unreadable `src` fails with `EFAULT`. Async-signal-safe.
    pub fn copy_pages(&self, dst: usize, src: usize, len: usize, wake: Wake) -> Placement {
        if let Err(e) = check_placement(Op::Copy, dst, src, len) {
            return Placement::failed(e);
        }
        // SAFETY: COPY fills only missing pages of a registered range and reads `src`
        // through the kernel's checked user-copy, so no visible memory is changed.
        placement(Op::Copy, len, unsafe {
            sys::uffd_copy(&self.fd, dst, src, len, wake.bits())
        })
    }

    /// Maps the shared zero page at the missing pages of `dst..dst + len`
    /// (`UFFDIO_ZEROPAGE`); a later write allocates a real page. Async-signal-safe.
    pub fn zero_pages(&self, dst: usize, len: usize, wake: Wake) -> Placement {
        if let Err(e) = check_placement(Op::ZeroPage, dst, dst, len) {
            return Placement::failed(e);
        }
        // SAFETY: ZEROPAGE fills only missing pages of a registered range.
        placement(Op::ZeroPage, len, unsafe {
            sys::uffd_zeropage(&self.fd, dst, len, wake.bits())
        })
    }
}

/// A MOVE of an owned source that ended with `EEXIST` or `EAGAIN`, checked
/// against the page tables: a page whose destination is present and whose
/// source is empty after the call was moved by it (no one else empties the
/// source; a destination someone else filled leaves the source present).
/// Returns the bytes moved from the start; if more than reported, the rest of
/// the range is left to the caller's retry (`Again`).
fn unreported_moves(dst: usize, src: usize, len: usize, reported: Placement) -> Placement {
    const BATCH: usize = 64;
    let page = crate::page_size();
    let mut placed = reported.placed;
    while placed < len {
        let n = ((len - placed) / page).min(BATCH);
        let (mut at_dst, mut at_src) = ([0u8; BATCH], [0u8; BATCH]);
        if sys::mincore(dst + placed, n * page, &mut at_dst[..n]).is_err()
            || sys::mincore(src + placed, n * page, &mut at_src[..n]).is_err()
        {
            break;
        }
        let moved = moved_prefix(&at_dst[..n], &at_src[..n]);
        placed += moved * page;
        if moved < n {
            break;
        }
    }
    match placed {
        p if p == reported.placed => reported,
        p if p == len => Placement {
            placed: p,
            outcome: Outcome::Complete,
        },
        p => Placement {
            placed: p,
            outcome: Outcome::Again,
        },
    }
}

/// How many pages from the first have their destination resident and their
/// source empty (`mincore` bytes: bit 0 set when resident).
fn moved_prefix(dst: &[u8], src: &[u8]) -> usize {
    dst.iter()
        .zip(src)
        .take_while(|&(&d, &s)| d & 1 == 1 && s & 1 == 0)
        .count()
}

#[cfg(test)]
mod tests {
    use super::moved_prefix;

    /// The pages a misreported MOVE took: destination resident, source
    /// empty, from the first page on; a page another thread placed (its
    /// source still here) or one not moved (its destination empty) ends them.
    #[test]
    fn the_moved_prefix_is_where_the_destination_filled_and_the_source_emptied() {
        assert_eq!(moved_prefix(&[1, 1, 1], &[0, 0, 0]), 3);
        assert_eq!(moved_prefix(&[1, 1, 1], &[0, 1, 0]), 1, "placed by another");
        assert_eq!(moved_prefix(&[1, 0, 1], &[0, 0, 0]), 1, "not moved");
        assert_eq!(moved_prefix(&[0], &[1]), 0);
        assert_eq!(moved_prefix(&[], &[]), 0);
    }
}
