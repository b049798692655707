//! Shared by the kernel tests: the gate for tests that need userfaultfd, and
//! page helpers.

#![allow(dead_code, reason = "each test binary uses its own subset")]

use gc_uffd::{Capabilities, Capability, Reservation};

/// Whether a test needing `caps` can run here. On CI (`CI=true`) a missing
/// capability fails the test; elsewhere the test is skipped with the reason.
pub(crate) fn require(caps: &[Capability]) -> bool {
    let probe = Capabilities::get();
    for &cap in caps {
        if let Err(no) = probe.check(cap) {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but {cap:?} is unavailable: {no}");
            }
            eprintln!("skipped: {cap:?} is unavailable here: {no}");
            return false;
        }
    }
    true
}

pub(crate) fn page() -> usize {
    gc_uffd::page_size()
}

/// A word that identifies page `index` of test `tag`.
pub(crate) fn marker(tag: u64, index: usize) -> u64 {
    (tag << 32) | index as u64 | 0x8000_0000
}

/// Writes the marker at the first and last word of the page at `addr`.
pub(crate) fn stamp(addr: usize, value: u64) {
    let words = page() / 8;
    // SAFETY: tests pass the start of a mapped page they own.
    unsafe {
        let p = addr as *mut u64;
        p.write_volatile(value);
        p.add(words - 1).write_volatile(!value);
    }
}

/// Reads the page at `addr` back: `Some(marker)` if both words agree.
pub(crate) fn read_stamp(addr: usize) -> Option<u64> {
    let words = page() / 8;
    // SAFETY: tests pass the start of a mapped page they own.
    let (first, last) = unsafe {
        let p = addr as *const u64;
        (p.read_volatile(), p.add(words - 1).read_volatile())
    };
    (first == !last).then_some(first)
}

/// Whether the page at `addr` reads as all zeroes.
pub(crate) fn is_zero(addr: usize) -> bool {
    // SAFETY: tests pass the start of a mapped page they own.
    let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, page()) };
    bytes.iter().all(|&b| b == 0)
}

/// A reservation of `pages` pages, each stamped with its marker.
pub(crate) fn stamped(pages: usize, tag: u64) -> Reservation {
    let r = empty(pages);
    for i in 0..pages {
        stamp(r.start() + i * page(), marker(tag, i));
    }
    r
}

/// A reservation of `pages` pages, touched by nobody.
///
/// Tests run on parallel threads and some of them fork: a page present during
/// a fork becomes shared and MOVE of it fails with `EBUSY`. So test memory is
/// kept out of children, as the collector keeps its heap (`MADV_DONTFORK`).
pub(crate) fn empty(pages: usize) -> Reservation {
    let r = Reservation::new(pages * page(), page()).unwrap();
    r.exclude_from_fork().unwrap();
    r
}

/// `read(2)` from a pipe holding data into `addr`: the errno, or `None` on success.
pub(crate) fn kernel_write_into(addr: usize) -> Option<i32> {
    let (r, w) = rustix::pipe::pipe().unwrap();
    rustix::io::write(&w, b"movegc").unwrap();
    // SAFETY: `addr` is a mapped page the test owns; the kernel checks the access.
    let n = unsafe {
        libc::read(
            std::os::fd::AsRawFd::as_raw_fd(&r),
            addr as *mut libc::c_void,
            6,
        )
    };
    (n < 0).then(|| std::io::Error::last_os_error().raw_os_error().unwrap())
}
