//! The Linux backend: every system call movegc makes is in this file.
//!
//! Functions here are thin: they take raw addresses, issue one call, and return
//! the raw errno. Validation, error wording and ownership live in the modules
//! above.

use std::ffi::c_void;
use std::os::fd::{FromRawFd, OwnedFd};
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering};

use linux_raw_sys::general as uapi;
use rustix::io::Errno;
use rustix::ioctl::{self, Ioctl, IoctlOutput, Opcode, Updater, opcode};
use rustix::mm::{self, MapFlags, MremapFlags, ProtFlags, UserfaultfdFlags};

use crate::error::ErrorKind;

/// Why an interface is missing on this platform; never shown on Linux.
pub(crate) const UNSUPPORTED_REASON: &str = "";

type SysResult<T> = Result<T, i32>;

/// An open userfaultfd.
pub(crate) type Fd = OwnedFd;

/// Never returned here: the portable backend's "no such interface".
pub(crate) const UNSUPPORTED: i32 = -1;

fn raw(e: Errno) -> i32 {
    e.raw_os_error()
}

/// The system page size.
pub(crate) fn page_size() -> usize {
    rustix::param::page_size()
}

pub(crate) fn thread_id() -> u32 {
    // SAFETY: `gettid` takes no argument and cannot fail.
    unsafe { libc::gettid() }.unsigned_abs()
}

/// The kernel's release string (`uname -r`).
pub(crate) fn kernel_release() -> String {
    rustix::system::uname()
        .release()
        .to_string_lossy()
        .into_owned()
}

/// The calling thread's CPU time (user + system) and minor page faults.
pub(crate) fn thread_usage() -> (std::time::Duration, u64) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is writable and rusage-sized; RUSAGE_THREAD cannot fail
    // for the calling thread.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr());
        usage.assume_init()
    };
    let tv = |t: libc::timeval| std::time::Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (
        tv(usage.ru_utime) + tv(usage.ru_stime),
        usage.ru_minflt as u64,
    )
}

/// The calling thread's CPU time, to the nanosecond (`CLOCK_THREAD_CPUTIME_ID`).
pub(crate) fn thread_cpu_time() -> Option<std::time::Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable timespec; the clock names the calling thread.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (r == 0).then(|| std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// Puts the calling thread in `SCHED_IDLE`: it runs only on a CPU nothing
/// else wants, and never preempts another thread.
pub(crate) fn sched_idle() -> SysResult<()> {
    // SAFETY: a plain `sched_param`; pid 0 is the calling thread.
    let r = unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &param)
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

pub(crate) fn classify(errno: i32) -> ErrorKind {
    match Errno::from_raw_os_error(errno) {
        Errno::NOSYS | Errno::NOTTY | Errno::OPNOTSUPP => ErrorKind::Unsupported,
        Errno::PERM | Errno::ACCESS => ErrorKind::PermissionDenied,
        Errno::NOMEM => ErrorKind::OutOfMemory,
        Errno::INVAL => ErrorKind::InvalidInput,
        _ => ErrorKind::Other,
    }
}

pub(crate) fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match Errno::from_raw_os_error(errno) {
        Errno::PERM => "EPERM",
        Errno::NOENT => "ENOENT",
        Errno::SRCH => "ESRCH",
        Errno::AGAIN => "EAGAIN",
        Errno::NOMEM => "ENOMEM",
        Errno::ACCESS => "EACCES",
        Errno::FAULT => "EFAULT",
        Errno::BUSY => "EBUSY",
        Errno::EXIST => "EEXIST",
        Errno::INVAL => "EINVAL",
        Errno::NOTTY => "ENOTTY",
        Errno::NOSYS => "ENOSYS",
        Errno::OPNOTSUPP => "EOPNOTSUPP",
        _ => return None,
    })
}

pub(crate) const EAGAIN: i32 = libc::EAGAIN;
pub(crate) const EEXIST: i32 = libc::EEXIST;
pub(crate) const ENOENT: i32 = libc::ENOENT;
pub(crate) const EBUSY: i32 = libc::EBUSY;
pub(crate) const EINVAL: i32 = libc::EINVAL;
pub(crate) const EPERM: i32 = libc::EPERM;
pub(crate) const EACCES: i32 = libc::EACCES;
pub(crate) const ENOSYS: i32 = libc::ENOSYS;

// ---------------------------------------------------------------- memory

/// Maps `len` bytes of private anonymous read-write memory, with no swap
/// reservation, starting at a multiple of `align` (a power of two no smaller
/// than the page size). Maps `len + align` and trims both ends.
pub(crate) fn map_aligned(len: usize, align: usize) -> SysResult<usize> {
    let over = len.checked_add(align).ok_or(libc::ENOMEM)?;
    // SAFETY: a null hint asks the kernel to choose a free range; nothing existing is replaced.
    let base = unsafe {
        mm::mmap_anonymous(
            ptr::null_mut(),
            over,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    }
    .map_err(raw)? as usize;
    let start = (base + align - 1) & !(align - 1);
    let head = start - base;
    let tail = over - head - len;
    // SAFETY: both trims lie inside the mapping just made, which nothing else uses yet.
    unsafe {
        if head > 0 {
            mm::munmap(base as *mut c_void, head).map_err(raw)?;
        }
        if tail > 0 {
            mm::munmap((start + len) as *mut c_void, tail).map_err(raw)?;
        }
    }
    Ok(start)
}

/// Unmaps a range made by [`map_aligned`].
///
/// # Safety
/// `addr..addr + len` must be a mapping from `map_aligned` that nothing will use again.
pub(crate) unsafe fn unmap_aligned(addr: usize, len: usize, _align: usize) -> SysResult<()> {
    // SAFETY: the caller gives up the range.
    unsafe { mm::munmap(addr as *mut c_void, len) }.map_err(raw)
}

/// Advice movegc gives the kernel about a range.
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
/// `addr..addr + len` must be mapped memory the caller owns; with `DontNeed`
/// its contents are discarded, so no Rust reference may point into it.
pub(crate) unsafe fn advise(addr: usize, len: usize, advice: Advice) -> SysResult<()> {
    let advice = match advice {
        Advice::DontNeed => mm::Advice::LinuxDontNeed,
        Advice::PopulateWrite => mm::Advice::LinuxPopulateWrite,
        Advice::NoHugePage => mm::Advice::LinuxNoHugepage,
        Advice::HugePage => mm::Advice::LinuxHugepage,
        Advice::DontFork => mm::Advice::LinuxDontFork,
        Advice::DoFork => mm::Advice::LinuxDoFork,
    };
    // SAFETY: the caller owns the range and accepts the advice's effect on its contents.
    unsafe { mm::madvise(addr as *mut c_void, len, advice) }.map_err(raw)
}

/// Which pages of `addr..addr + len` are resident: bit 0 of `out[i]` for page `i`.
pub(crate) fn mincore(addr: usize, len: usize, out: &mut [u8]) -> SysResult<()> {
    debug_assert!(out.len() >= len.div_ceil(page_size()));
    // SAFETY: `out` has a byte per page of the range; mincore reads no memory
    // of the range and writes only `out`.
    let r = unsafe { libc::mincore(addr as *mut c_void, len, out.as_mut_ptr()) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

/// Moves the page-table entries of `src..src + len` to `dst`, leaving `src` mapped and empty.
///
/// # Safety
/// Both ranges must be mapped memory the caller owns; `dst`'s old mapping is replaced.
pub(crate) unsafe fn remap_dontunmap(src: usize, len: usize, dst: usize) -> SysResult<()> {
    // SAFETY: the caller owns both ranges; MREMAP_FIXED replaces only `dst..dst + len`.
    unsafe {
        mm::mremap_fixed(
            src as *mut c_void,
            len,
            len,
            MremapFlags::MAYMOVE | MremapFlags::DONTUNMAP,
            dst as *mut c_void,
        )
    }
    .map(|_| ())
    .map_err(raw)
}

// ---------------------------------------------------------------- userfaultfd

const UFFD: u8 = uapi::UFFDIO as u8;
const UFFDIO_API: Opcode = opcode::read_write::<uapi::uffdio_api>(UFFD, uapi::_UFFDIO_API as u8);
const UFFDIO_REGISTER: Opcode =
    opcode::read_write::<uapi::uffdio_register>(UFFD, uapi::_UFFDIO_REGISTER as u8);
const UFFDIO_UNREGISTER: Opcode =
    opcode::read::<uapi::uffdio_range>(UFFD, uapi::_UFFDIO_UNREGISTER as u8);
const UFFDIO_WAKE: Opcode = opcode::read::<uapi::uffdio_range>(UFFD, uapi::_UFFDIO_WAKE as u8);
const UFFDIO_COPY: Opcode = opcode::read_write::<uapi::uffdio_copy>(UFFD, uapi::_UFFDIO_COPY as u8);
const UFFDIO_ZEROPAGE: Opcode =
    opcode::read_write::<uapi::uffdio_zeropage>(UFFD, uapi::_UFFDIO_ZEROPAGE as u8);
const UFFDIO_MOVE: Opcode = opcode::read_write::<uapi::uffdio_move>(UFFD, uapi::_UFFDIO_MOVE as u8);
/// `USERFAULTFD_IOC_NEW` on `/dev/userfaultfd`: `_IO(0xAA, 0x00)`.
const USERFAULTFD_IOC_NEW: Opcode = opcode::none(UFFD, 0);

const _: () = {
    assert!(crate::uffd::Features::MOVE.bits() == uapi::UFFD_FEATURE_MOVE as u64);
    assert!(crate::uffd::Features::SIGBUS.bits() == uapi::UFFD_FEATURE_SIGBUS as u64);
    assert!(crate::uffd::Features::THREAD_ID.bits() == uapi::UFFD_FEATURE_THREAD_ID as u64);
    assert!(uapi::UFFDIO_COPY_MODE_DONTWAKE == uapi::UFFDIO_ZEROPAGE_MODE_DONTWAKE);
};

/// `DONTWAKE` for COPY and ZEROPAGE.
pub(crate) const PLACE_DONTWAKE: u64 = uapi::UFFDIO_COPY_MODE_DONTWAKE as u64;

/// The bit for each ioctl in `uffdio_register::ioctls`.
pub(crate) const IOCTL_BIT_MOVE: u64 = 1 << uapi::_UFFDIO_MOVE;
pub(crate) const IOCTL_BIT_COPY: u64 = 1 << uapi::_UFFDIO_COPY;
pub(crate) const IOCTL_BIT_ZEROPAGE: u64 = 1 << uapi::_UFFDIO_ZEROPAGE;
pub(crate) const IOCTL_BIT_WAKE: u64 = 1 << uapi::_UFFDIO_WAKE;

fn uffd_flags(user_mode_only: bool) -> UserfaultfdFlags {
    let mut flags = UserfaultfdFlags::CLOEXEC | UserfaultfdFlags::NONBLOCK;
    if user_mode_only {
        flags |= UserfaultfdFlags::from_bits_retain(uapi::UFFD_USER_MODE_ONLY);
    }
    flags
}

/// Opens a userfaultfd with the `userfaultfd(2)` system call.
pub(crate) fn uffd_syscall(user_mode_only: bool) -> SysResult<OwnedFd> {
    // SAFETY: the flags are valid `userfaultfd(2)` flags; the new descriptor is owned by us.
    unsafe { mm::userfaultfd(uffd_flags(user_mode_only)) }.map_err(raw)
}

/// Makes descriptor `old` refer to what `new` refers to (`dup3`, close-on-exec):
/// one atomic step, so the number never refers to anything else in between.
pub(crate) fn replace_fd(old: &Fd, new: &Fd) -> SysResult<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: both are open descriptors we own; `dup3` closes what `old` referred
    // to and makes it a duplicate of `new`, and `old` stays owned by its owner.
    if unsafe { libc::dup3(new.as_raw_fd(), old.as_raw_fd(), libc::O_CLOEXEC) } < 0 {
        return Err(last_errno());
    }
    Ok(())
}

/// `ioctl(USERFAULTFD_IOC_NEW, flags)`, whose return value is a new descriptor.
struct NewUffd(UserfaultfdFlags);

// SAFETY: the opcode takes its integer argument by value and returns a new descriptor.
unsafe impl Ioctl for NewUffd {
    type Output = OwnedFd;
    const IS_MUTATING: bool = false;

    fn opcode(&self) -> Opcode {
        USERFAULTFD_IOC_NEW
    }

    fn as_ptr(&mut self) -> *mut c_void {
        self.0.bits() as usize as *mut c_void
    }

    unsafe fn output_from_ptr(out: IoctlOutput, _: *mut c_void) -> rustix::io::Result<OwnedFd> {
        // SAFETY: on success the ioctl returns a descriptor that nobody else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(out) })
    }
}

/// Opens a userfaultfd through `/dev/userfaultfd` (Linux 6.1+), whose access is
/// governed by the device node's permissions rather than the sysctl.
pub(crate) fn uffd_dev(user_mode_only: bool) -> SysResult<OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    let dev = rustix::fs::open(
        "/dev/userfaultfd",
        OFlags::RDWR | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(raw)?;
    // SAFETY: USERFAULTFD_IOC_NEW takes userfaultfd flags and returns a new descriptor.
    unsafe { ioctl::ioctl(&dev, NewUffd(uffd_flags(user_mode_only))) }.map_err(raw)
}

/// The `UFFDIO_API` handshake: enables `features`; returns every feature the kernel has.
pub(crate) fn uffd_api(fd: &Fd, features: u64) -> SysResult<u64> {
    let mut api = uapi::uffdio_api {
        api: uapi::UFFD_API as u64,
        features,
        ioctls: 0,
    };
    // SAFETY: UFFDIO_API reads and writes a `uffdio_api`.
    unsafe { ioctl::ioctl(fd, Updater::<UFFDIO_API, _>::new(&mut api)) }.map_err(raw)?;
    Ok(api.features)
}

/// Registers a range for MISSING faults; returns the ioctls the range supports.
pub(crate) fn uffd_register(fd: &Fd, start: usize, len: usize) -> SysResult<u64> {
    let mut reg = uapi::uffdio_register {
        range: uapi::uffdio_range {
            start: start as u64,
            len: len as u64,
        },
        mode: uapi::UFFDIO_REGISTER_MODE_MISSING as u64,
        ioctls: 0,
    };
    // SAFETY: UFFDIO_REGISTER reads and writes a `uffdio_register`.
    unsafe { ioctl::ioctl(fd, Updater::<UFFDIO_REGISTER, _>::new(&mut reg)) }.map_err(raw)?;
    Ok(reg.ioctls)
}

fn range_ioctl<const OP: Opcode>(fd: &Fd, start: usize, len: usize) -> SysResult<()> {
    let mut range = uapi::uffdio_range {
        start: start as u64,
        len: len as u64,
    };
    // SAFETY: UNREGISTER and WAKE read a `uffdio_range`.
    unsafe { ioctl::ioctl(fd, Updater::<OP, _>::new(&mut range)) }.map_err(raw)
}

pub(crate) fn uffd_unregister(fd: &Fd, start: usize, len: usize) -> SysResult<()> {
    range_ioctl::<UFFDIO_UNREGISTER>(fd, start, len)
}

pub(crate) fn uffd_wake(fd: &Fd, start: usize, len: usize) -> SysResult<()> {
    range_ioctl::<UFFDIO_WAKE>(fd, start, len)
}

/// The bytes an ioctl placed, from its progress field, and its result.
fn progress(field: i64, result: rustix::io::Result<()>) -> (usize, SysResult<()>) {
    (usize::try_from(field).unwrap_or(0), result.map_err(raw))
}

/// # Safety
/// The pages at `src` are taken from their owner; see `Userfaultfd::move_pages`.
pub(crate) unsafe fn uffd_move(
    fd: &Fd,
    dst: usize,
    src: usize,
    len: usize,
    mode: u64,
) -> (usize, SysResult<()>) {
    let mut mv = uapi::uffdio_move {
        dst: dst as u64,
        src: src as u64,
        len: len as u64,
        mode,
        move_: 0,
    };
    // SAFETY: UFFDIO_MOVE reads and writes a `uffdio_move`; the caller owns both ranges.
    let r = unsafe { ioctl::ioctl(fd, Updater::<UFFDIO_MOVE, _>::new(&mut mv)) };
    progress(mv.move_, r)
}

/// # Safety
/// `src..src + len` must be readable; see `Userfaultfd::copy_pages`.
pub(crate) unsafe fn uffd_copy(
    fd: &Fd,
    dst: usize,
    src: usize,
    len: usize,
    mode: u64,
) -> (usize, SysResult<()>) {
    let mut cp = uapi::uffdio_copy {
        dst: dst as u64,
        src: src as u64,
        len: len as u64,
        mode,
        copy: 0,
    };
    // SAFETY: UFFDIO_COPY reads and writes a `uffdio_copy`; the caller owns both ranges.
    let r = unsafe { ioctl::ioctl(fd, Updater::<UFFDIO_COPY, _>::new(&mut cp)) };
    progress(cp.copy, r)
}

/// # Safety
/// See `Userfaultfd::zero_pages`.
pub(crate) unsafe fn uffd_zeropage(
    fd: &Fd,
    dst: usize,
    len: usize,
    mode: u64,
) -> (usize, SysResult<()>) {
    let mut zp = uapi::uffdio_zeropage {
        range: uapi::uffdio_range {
            start: dst as u64,
            len: len as u64,
        },
        mode,
        zeropage: 0,
    };
    // SAFETY: UFFDIO_ZEROPAGE reads and writes a `uffdio_zeropage`.
    let r = unsafe { ioctl::ioctl(fd, Updater::<UFFDIO_ZEROPAGE, _>::new(&mut zp)) };
    progress(zp.zeropage, r)
}

// ---------------------------------------------------------------- SIGBUS

/// The SIGBUS disposition that was in force before ours; set before ours is
/// installed and never freed, so the handler may read it at any time.
static PREVIOUS: AtomicPtr<libc::sigaction> = AtomicPtr::new(ptr::null_mut());
static INSTALLED: Mutex<bool> = Mutex::new(false);

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL)
}

/// Installs the process-wide SIGBUS handler once; later calls do nothing.
pub(crate) fn install_sigbus_handler() -> SysResult<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
    if *installed {
        return Ok(());
    }
    // SAFETY: an all-zero `sigaction` is a valid value to be filled in.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: querying the current disposition writes only `old`.
    if unsafe { libc::sigaction(libc::SIGBUS, ptr::null(), &mut old) } != 0 {
        return Err(last_errno());
    }
    PREVIOUS.store(Box::into_raw(Box::new(old)), Ordering::Release);

    // SAFETY: as above.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    new.sa_sigaction = on_sigbus as *const () as usize;
    // SA_NODEFER: a handler that touches another missing page may fault again and
    // must be served, not killed. No SA_ONSTACK: page building runs on the
    // faulting thread's own (large) stack, not a small alternate one.
    new.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
    // SAFETY: `new.sa_mask` is a valid signal set to initialise.
    unsafe { libc::sigemptyset(&mut new.sa_mask) };
    // SAFETY: as above.
    let mut replaced: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `on_sigbus` has the SA_SIGINFO signature and is async-signal-safe.
    if unsafe { libc::sigaction(libc::SIGBUS, &new, &mut replaced) } != 0 {
        return Err(last_errno());
    }
    if replaced.sa_sigaction != old.sa_sigaction || replaced.sa_flags != old.sa_flags {
        // Someone changed the disposition between our two calls: chain to theirs.
        // The first copy is leaked, as a handler may be reading it.
        PREVIOUS.store(Box::into_raw(Box::new(replaced)), Ordering::Release);
    }
    *installed = true;
    Ok(())
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    // The handler makes system calls (ioctl); the interrupted code must find errno
    // as it left it.
    // SAFETY: `__errno_location` returns this thread's errno slot.
    let errno = unsafe { libc::__errno_location() };
    // SAFETY: as above.
    let saved = unsafe { *errno };
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let handled = crate::sigbus::dispatch(addr);
    // SAFETY: as above.
    unsafe { *errno = saved };
    if !handled {
        forward(sig, info, ctx);
    }
}

fn set_default(sig: libc::c_int) {
    // SAFETY: as in `install_sigbus_handler`; sigaction is async-signal-safe.
    unsafe {
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut dfl.sa_mask);
        libc::sigaction(sig, &dfl, ptr::null_mut());
    }
}

/// Hands a SIGBUS that no registered range claimed to the disposition that was
/// there before ours, so that a real bus error still ends the program as it would have.
fn forward(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
    // SAFETY: PREVIOUS is set before our handler is installed and never freed.
    let prev = unsafe { &*PREVIOUS.load(Ordering::Acquire) };
    // SAFETY: `info` is the kernel's siginfo.
    let sent_by_user = unsafe { (*info).si_code } <= 0;
    match prev.sa_sigaction {
        libc::SIG_IGN if sent_by_user => {}
        libc::SIG_DFL | libc::SIG_IGN => {
            set_default(sig);
            if sent_by_user {
                // SAFETY: raise is async-signal-safe; the default action now applies.
                unsafe { libc::raise(sig) };
            }
            // A fault re-executes the instruction on return and meets the default action.
        }
        handler => {
            if prev.sa_flags & libc::SA_RESETHAND != 0 {
                set_default(sig);
            }
            if prev.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: with SA_SIGINFO the handler has the three-argument signature.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) =
                    unsafe { std::mem::transmute(handler) };
                f(sig, info, ctx);
            } else {
                // SAFETY: without SA_SIGINFO the handler has the one-argument signature.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
                f(sig);
            }
        }
    }
}
