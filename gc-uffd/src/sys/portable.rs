//! The backend for platforms without userfaultfd: memory comes from the global
//! allocator, and every kernel-only interface reports [`UNSUPPORTED`].

use std::alloc::{self, Layout};

use crate::error::ErrorKind;

/// Why an interface is missing on this platform.
pub(crate) const UNSUPPORTED_REASON: &str = "this platform lacks the Linux memory interfaces \
     (userfaultfd, mremap DONTUNMAP, SIGBUS self-service) that concurrent compaction needs; \
     the stop-the-world collector works without them";

type SysResult<T> = Result<T, i32>;

/// No userfaultfd can be opened here, so no value of this type exists.
pub(crate) enum Fd {}

/// The error every kernel-only call returns here.
pub(crate) const UNSUPPORTED: i32 = -1;

pub(crate) const EAGAIN: i32 = -2;
pub(crate) const EEXIST: i32 = -3;
pub(crate) const ENOENT: i32 = -4;
pub(crate) const EBUSY: i32 = -5;
pub(crate) const EINVAL: i32 = -6;
pub(crate) const EPERM: i32 = -7;
pub(crate) const EACCES: i32 = -8;
pub(crate) const ENOSYS: i32 = -9;

pub(crate) const PLACE_DONTWAKE: u64 = 1;
pub(crate) const IOCTL_BIT_MOVE: u64 = 1 << 5;
pub(crate) const IOCTL_BIT_COPY: u64 = 1 << 3;
pub(crate) const IOCTL_BIT_ZEROPAGE: u64 = 1 << 4;
pub(crate) const IOCTL_BIT_WAKE: u64 = 1 << 2;

pub(crate) fn page_size() -> usize {
    4096
}

pub(crate) fn thread_id() -> u32 {
    0
}

pub(crate) fn kernel_release() -> String {
    std::env::consts::OS.to_owned()
}

pub(crate) fn thread_usage() -> (std::time::Duration, u64) {
    (std::time::Duration::ZERO, 0)
}

pub(crate) fn thread_cpu_time() -> Option<std::time::Duration> {
    None
}

pub(crate) fn mincore(_addr: usize, _len: usize, _out: &mut [u8]) -> SysResult<()> {
    Err(UNSUPPORTED)
}

pub(crate) fn sched_idle() -> SysResult<()> {
    Err(UNSUPPORTED)
}

pub(crate) fn classify(_errno: i32) -> ErrorKind {
    ErrorKind::Unsupported
}

pub(crate) fn errno_name(_errno: i32) -> Option<&'static str> {
    None
}

pub(crate) fn map_aligned(len: usize, align: usize) -> SysResult<usize> {
    let layout = Layout::from_size_align(len, align).map_err(|_| EINVAL)?;
    // SAFETY: `len` is non-zero (the caller checks) and the layout is valid.
    let p = unsafe { alloc::alloc_zeroed(layout) };
    if p.is_null() {
        Err(UNSUPPORTED)
    } else {
        Ok(p as usize)
    }
}

/// # Safety
/// `addr` must come from `map_aligned(len, align)` and not be used again.
pub(crate) unsafe fn unmap_aligned(addr: usize, len: usize, align: usize) -> SysResult<()> {
    let layout = Layout::from_size_align(len, align).map_err(|_| EINVAL)?;
    // SAFETY: allocated by `map_aligned` with this layout.
    unsafe { alloc::dealloc(addr as *mut u8, layout) };
    Ok(())
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Advice {
    DontNeed,
    PopulateWrite,
    NoHugePage,
    HugePage,
    DontFork,
    DoFork,
}

/// # Safety
/// `addr..addr + len` must be memory the caller owns, with no Rust reference into it.
pub(crate) unsafe fn advise(addr: usize, len: usize, advice: Advice) -> SysResult<()> {
    if let Advice::DontNeed = advice {
        // SAFETY: the caller owns the range; released pages read as zero, as on Linux.
        unsafe { std::ptr::write_bytes(addr as *mut u8, 0, len) };
    }
    Ok(())
}

/// # Safety
/// Never touches memory here.
pub(crate) unsafe fn remap_dontunmap(_src: usize, _len: usize, _dst: usize) -> SysResult<()> {
    Err(UNSUPPORTED)
}

pub(crate) fn uffd_syscall(_user_mode_only: bool) -> SysResult<Fd> {
    Err(UNSUPPORTED)
}

pub(crate) fn uffd_dev(_user_mode_only: bool) -> SysResult<Fd> {
    Err(UNSUPPORTED)
}

pub(crate) fn replace_fd(old: &Fd, _new: &Fd) -> SysResult<()> {
    match *old {}
}

pub(crate) fn uffd_api(fd: &Fd, _features: u64) -> SysResult<u64> {
    match *fd {}
}

pub(crate) fn uffd_register(fd: &Fd, _start: usize, _len: usize) -> SysResult<u64> {
    match *fd {}
}

pub(crate) fn uffd_unregister(fd: &Fd, _start: usize, _len: usize) -> SysResult<()> {
    match *fd {}
}

pub(crate) fn uffd_wake(fd: &Fd, _start: usize, _len: usize) -> SysResult<()> {
    match *fd {}
}

/// # Safety
/// No value of `Fd` exists, so this is never called.
pub(crate) unsafe fn uffd_move(
    fd: &Fd,
    _dst: usize,
    _src: usize,
    _len: usize,
    _mode: u64,
) -> (usize, SysResult<()>) {
    match *fd {}
}

/// # Safety
/// No value of `Fd` exists, so this is never called.
pub(crate) unsafe fn uffd_copy(
    fd: &Fd,
    _dst: usize,
    _src: usize,
    _len: usize,
    _mode: u64,
) -> (usize, SysResult<()>) {
    match *fd {}
}

/// # Safety
/// No value of `Fd` exists, so this is never called.
pub(crate) unsafe fn uffd_zeropage(
    fd: &Fd,
    _dst: usize,
    _len: usize,
    _mode: u64,
) -> (usize, SysResult<()>) {
    match *fd {}
}

pub(crate) fn install_sigbus_handler() -> SysResult<()> {
    Err(UNSUPPORTED)
}
