//! What the kernel memory layer costs on this machine: the capability probe,
//! then one `name: value` line per figure.
//!
//! `cargo run --release -p movegc-benches --bin uffd-costs` (add `--quick` for a
//! smoke run with small sizes and no timing value).

use movegc_benches::line;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use gc_uffd::sigbus::{self, Fault, FaultAction};
use gc_uffd::{
    Capabilities, Capability, Features, MoveMode, Outcome, Placement, Reservation, Userfaultfd,
    Wake,
};

const MIB: usize = 1 << 20;
const GIB: usize = 1 << 30;

struct Config {
    pages: usize,
    rounds: usize,
    remap_sizes: &'static [usize],
}

fn page() -> usize {
    gc_uffd::page_size()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("uffd-costs: {what}: {e}");
    std::process::exit(1);
}

/// A reservation of `pages` pages, every page present and written.
fn populated(pages: usize) -> Reservation {
    let r = Reservation::new(pages * page(), 2 * MIB).unwrap_or_else(|e| fail("reserve", e));
    r.disable_huge_pages()
        .unwrap_or_else(|e| fail("madvise", e));
    r.commit(0, r.size())
        .unwrap_or_else(|e| fail("populate", e));
    for i in 0..pages {
        // SAFETY: the page is ours and mapped.
        unsafe { (r.as_ptr().add(i * page()) as *mut u64).write_volatile(i as u64 + 1) };
    }
    r
}

/// A reservation of `pages` pages registered with `uffd`, all missing.
fn registered(uffd: &Userfaultfd, pages: usize) -> Reservation {
    let r = Reservation::new(pages * page(), 2 * MIB).unwrap_or_else(|e| fail("reserve", e));
    r.disable_huge_pages()
        .unwrap_or_else(|e| fail("madvise", e));
    uffd.register(r.range())
        .unwrap_or_else(|e| fail("register", e));
    r
}

/// Places `len` bytes with `place(offset, len)`, retrying `EAGAIN`.
fn place_all(len: usize, mut place: impl FnMut(usize, usize) -> Placement) {
    let mut done = 0;
    while done < len {
        let p = place(done, len - done);
        match p.outcome {
            Outcome::Complete | Outcome::Again => done += p.placed,
            other => fail("placing pages", format!("{other:?}")),
        }
    }
}

/// Median nanoseconds per page over the rounds; each round places
/// `cfg.pages` pages in calls of `batch` pages.
fn per_page(cfg: &Config, batch: usize, mut round: impl FnMut(usize) -> Duration) -> f64 {
    let ns = (0..cfg.rounds)
        .map(|_| round(batch).as_nanos() as f64 / cfg.pages as f64)
        .collect();
    median(ns)
}

fn memcpy_per_page(cfg: &Config) -> f64 {
    let (src, dst) = (populated(cfg.pages), populated(cfg.pages));
    per_page(cfg, 1, |_| {
        let t = Instant::now();
        for i in 0..cfg.pages {
            // SAFETY: both buffers are ours, mapped, and `cfg.pages` pages long.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    src.as_ptr().add(i * page()),
                    dst.as_ptr().add(i * page()),
                    page(),
                )
            };
        }
        black_box(dst.as_ptr());
        t.elapsed()
    })
}

fn move_per_page(cfg: &Config, uffd: &Userfaultfd, batch: usize) -> f64 {
    per_page(cfg, batch, |batch| {
        let src = populated(cfg.pages);
        let dst = registered(uffd, cfg.pages);
        let t = Instant::now();
        for run in (0..cfg.pages).step_by(batch) {
            let base = run * page();
            place_all(batch * page(), |off, len| {
                // SAFETY: both reservations are this function's own and unreferenced.
                unsafe {
                    uffd.move_pages(
                        dst.start() + base + off,
                        src.start() + base + off,
                        len,
                        MoveMode::empty(),
                    )
                }
            });
        }
        t.elapsed()
    })
}

/// Median nanoseconds per page placing one page per call into a fresh
/// registered range with `place(dst, offset, len)`.
fn single_pages(
    cfg: &Config,
    uffd: &Userfaultfd,
    mut place: impl FnMut(usize, usize, usize) -> Placement,
) -> f64 {
    per_page(cfg, 1, |_| {
        let dst = registered(uffd, cfg.pages);
        let t = Instant::now();
        for i in 0..cfg.pages {
            let off = i * page();
            place_all(page(), |o, len| place(dst.start() + off + o, off + o, len));
        }
        t.elapsed()
    })
}

fn copy_per_page(cfg: &Config, uffd: &Userfaultfd) -> f64 {
    let src = populated(cfg.pages);
    single_pages(cfg, uffd, |dst, off, len| {
        uffd.copy_pages(dst, src.start() + off, len, Wake::Yes)
    })
}

fn zeropage_per_page(cfg: &Config, uffd: &Userfaultfd) -> f64 {
    single_pages(cfg, uffd, |dst, _, len| {
        uffd.zero_pages(dst, len, Wake::Yes)
    })
}

/// Median microseconds to remap a populated `size`-byte heap into its shadow.
/// The heap starts `offsets.0` and the shadow `offsets.1` bytes past a 1 GiB
/// boundary: the kernel moves a whole page-table level only where the two
/// addresses are equally aligned to it, so unequal offsets show the cost of
/// the weaker alignment.
fn remap_us(size: usize, offsets: (usize, usize), rounds: usize) -> f64 {
    let reserve = |what| Reservation::new(size + GIB, GIB).unwrap_or_else(|e| fail(what, e));
    let (heap, shadow) = (reserve("reserve heap"), reserve("reserve shadow"));
    heap.disable_huge_pages()
        .unwrap_or_else(|e| fail("madvise", e));
    heap.commit(offsets.0, size)
        .unwrap_or_else(|e| fail("populate", e));
    let mut us = Vec::new();
    let (mut from, mut to) = ((&heap, offsets.0), (&shadow, offsets.1));
    for _ in 0..rounds {
        let t = Instant::now();
        from.0
            .remap_into(from.1, size, to.0, to.1)
            .unwrap_or_else(|e| fail("mremap", e));
        us.push(t.elapsed().as_nanos() as f64 / 1e3);
        std::mem::swap(&mut from, &mut to);
    }
    median(us)
}

/// Per-access latency of a mutator touching missing pages, each fault resolved
/// in the mutator's own SIGBUS handler by one UFFDIO_MOVE from the shadow.
fn sigbus_fault_ns(cfg: &Config) -> (f64, f64, f64) {
    let uffd = Arc::new(
        Userfaultfd::open(Features::SIGBUS | Features::MOVE).unwrap_or_else(|e| fail("open", e)),
    );
    let shadow = Arc::new(populated(cfg.pages));
    let heap = registered(&uffd, cfg.pages);
    let misses = Arc::new(AtomicUsize::new(0));
    let (u, s, h, m) = (uffd.clone(), shadow.clone(), heap.start(), misses.clone());
    let handler = move |f: &Fault| {
        let at = f.addr() & !(gc_uffd::page_size() - 1);
        // SAFETY: the shadow page is ours and referenced by nobody.
        let p = unsafe {
            u.move_pages(
                at,
                s.start() + (at - h),
                gc_uffd::page_size(),
                MoveMode::empty(),
            )
        };
        match p.outcome {
            Outcome::Complete => FaultAction::Resolved,
            _ => {
                m.fetch_add(1, Ordering::Relaxed);
                FaultAction::Forward
            }
        }
    };
    // SAFETY: the handler makes one ioctl and, on failure, one atomic add.
    let _range = unsafe { sigbus::register_range(heap.range(), handler) }
        .unwrap_or_else(|e| fail("sigbus", e));
    let mut ns = Vec::with_capacity(cfg.pages);
    for i in 0..cfg.pages {
        let t = Instant::now();
        // SAFETY: the page is in the registered heap; the fault places it.
        black_box(unsafe { (heap.as_ptr().add(i * page()) as *const u64).read_volatile() });
        ns.push(t.elapsed().as_nanos() as f64);
    }
    ns.sort_by(f64::total_cmp);
    let at = |q: f64| ns[((ns.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99), at(1.0))
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let cfg = if quick {
        Config {
            pages: 256,
            rounds: 1,
            remap_sizes: &[16 * MIB],
        }
    } else {
        Config {
            pages: 16384,
            rounds: 5,
            remap_sizes: &[256 * MIB, GIB, 4 * GIB],
        }
    };
    let caps = Capabilities::get();
    line("kernel", caps.kernel());
    for c in Capability::ALL {
        match caps.check(c) {
            Ok(()) => line(&format!("probe {c:?}"), "yes"),
            Err(no) => line(&format!("probe {c:?}"), format!("no: {no}")),
        }
    }
    if let Err((c, no)) = caps.concurrent_compaction() {
        fail(&format!("cannot measure without {c:?}"), no);
    }
    let uffd = Userfaultfd::open(Features::MOVE).unwrap_or_else(|e| fail("open", e));
    let kib = page() / 1024;

    let memcpy = memcpy_per_page(&cfg);
    line(&format!("memcpy {kib} KiB page ns"), format!("{memcpy:.0}"));
    let move1 = move_per_page(&cfg, &uffd, 1);
    line(
        "UFFDIO_MOVE 1 page per call, ns per page",
        format!("{move1:.0}"),
    );
    let move64 = move_per_page(&cfg, &uffd, 64);
    line(
        "UFFDIO_MOVE 64-page runs, ns per page",
        format!("{move64:.0}"),
    );
    line(
        "UFFDIO_MOVE 64-page runs / memcpy",
        format!("{:.2}", move64 / memcpy),
    );
    let copy = copy_per_page(&cfg, &uffd);
    line(
        "UFFDIO_COPY 1 page per call, ns per page",
        format!("{copy:.0}"),
    );
    let zero = zeropage_per_page(&cfg, &uffd);
    line(
        "UFFDIO_ZEROPAGE 1 page per call, ns per page",
        format!("{zero:.0}"),
    );

    for &size in cfg.remap_sizes {
        let classes = [
            ("4 KiB", (page(), 2 * page())),
            ("2 MiB", (2 * MIB, 4 * MIB)),
            ("1 GiB", (0, 0)),
        ];
        for (align, offsets) in classes {
            let us = remap_us(size, offsets, cfg.rounds.max(3));
            line(
                &format!("mremap DONTUNMAP {} MiB, {align}-aligned, us", size / MIB),
                format!("{us:.0}"),
            );
        }
    }

    let (p50, p99, max) = sigbus_fault_ns(&cfg);
    line(
        "SIGBUS fault resolved by MOVE in own handler, median ns",
        format!("{p50:.0}"),
    );
    line(
        "SIGBUS fault resolved by MOVE in own handler, p99 ns",
        format!("{p99:.0}"),
    );
    line(
        "SIGBUS fault resolved by MOVE in own handler, max ns",
        format!("{max:.0}"),
    );
}
