//! What building a to-space page costs per reference rewritten, on pages full
//! of references to random targets across a large heap (issue 15: a mutator
//! faulting on such a page waits for the whole build). One `name: value` line
//! per figure.
//!
//! `cargo run --release -p movegc-benches --bin page-build [--quick]`
//!
//! The heap, built with `gc-heap` directly (no collector, no userfaultfd): a
//! moving space of small nodes, a random half of them marked live (so every
//! chunk of the live bitmap is mixed and every node slides), then reference
//! arrays one page long each, whose elements point to random live nodes. The
//! plan is computed, and the arrays' to-space pages are built with
//! [`Spaces::build_page`] as concurrent compaction builds them (old bytes read
//! from the heap, written to a buffer page), each build timed.
//!
//! The figures, in ns per reference rewritten (511 per page), medians over the
//! pages:
//! - `build_cold`: each page built once, after the caches were swept with a
//!   buffer larger than the metadata (chunk table and live bitmap), in groups of
//!   [`GROUP`] pages: the pages a mutator faults on right after the pause;
//! - `build_warm`: the same [`GROUP`] pages built again and again: the build's
//!   own work, with every miss already served;
//! - `forward_cold`: for comparison, the plain loop `*slot = plan.forward(value)`
//!   over the same slots (cold, as `build_cold`), one slot after another.
//!
//! Every built page is checked against `Plan::forward` of the old values.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gc_heap::compact::Shadow;
use gc_heap::{Header, Plan, SlotKind, Spaces, TypeDescriptor, TypeTable, WORD};
use movegc_benches::line;

const MIB: usize = 1 << 20;
/// Bytes of a target node: a header and three words.
const NODE: usize = 4 * WORD;
/// Pages built between two cache sweeps.
const GROUP: usize = 16;

/// One configuration.
struct Config {
    /// Bytes of nodes (half of them live).
    nodes: usize,
    /// Reference arrays, one page each.
    pages: usize,
    /// Rounds of `build_warm`.
    warm_rounds: usize,
    /// Bytes swept to evict the caches.
    sweep: usize,
}

fn fail(what: &str) -> ! {
    eprintln!("page-build: {what}");
    std::process::exit(1);
}

/// A splitmix64 step: the next pseudo-random word.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Evicts the caches: reads and writes every line of `buf`.
fn sweep(buf: &mut [u64]) {
    for w in buf.iter_mut().step_by(8) {
        // SAFETY: `w` is a valid, aligned word of `buf`.
        unsafe { std::ptr::write_volatile(w, std::ptr::read_volatile(w).wrapping_add(1)) };
    }
}

/// A page-aligned, page-sized scratch buffer.
struct PageBuf(Vec<u64>);

impl PageBuf {
    fn new(page: usize) -> Self {
        PageBuf(vec![0; 2 * page / WORD])
    }

    fn addr(&mut self, page: usize) -> usize {
        (self.0.as_mut_ptr() as usize).next_multiple_of(page)
    }
}

/// Checks that the page built at `dst` for to-space `page_start` holds the
/// old array elements forwarded.
fn check(plan: &Plan<'_>, page_start: usize, dst: usize, old_array: usize, page: usize) {
    for i in 1..page / WORD {
        // SAFETY: word `i` of the built page and of the old array, both mapped.
        let (built, old) = unsafe {
            (
                ((dst + i * WORD) as *const usize).read(),
                ((old_array + i * WORD) as *const usize).read(),
            )
        };
        if built != plan.forward(old) {
            fail(&format!(
                "the page built for {page_start:#x} holds {built:#x} in slot {i}, not the \
                 forwarded {:#x}",
                plan.forward(old)
            ));
        }
    }
}

/// The median of `xs` (upper median); a median per page, not a mean, so that
/// a page whose build another process interrupted does not count.
fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort_unstable();
    xs.get(xs.len() / 2).copied().unwrap_or_default()
}

fn per_ref(total: Duration, refs: usize) -> String {
    format!("{:.1}", total.as_secs_f64() * 1e9 / refs as f64)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let cfg = if quick {
        Config {
            nodes: 256 * MIB,
            pages: 256,
            warm_rounds: 20,
            sweep: 64 * MIB,
        }
    } else {
        Config {
            nodes: 1024 * MIB,
            pages: 4096,
            warm_rounds: 200,
            sweep: 256 * MIB,
        }
    };
    let page = gc_uffd::page_size();
    let types = TypeTable::new();
    let node_ty = types
        .register(TypeDescriptor::fixed("node", NODE, &[], &[]))
        .unwrap_or_else(|_| fail("register the node type"));
    let array_ty = types
        .register(TypeDescriptor::array("refs", SlotKind::Ref))
        .unwrap_or_else(|_| fail("register the array type"));
    let spaces = Spaces::new(cfg.nodes + (cfg.pages + 1) * page, Arc::new(types))
        .unwrap_or_else(|e| fail(&format!("reserve the heap: {e}")));
    let mut rng = 0x5eed_u64;

    let count = cfg.nodes / NODE;
    let base = spaces
        .claim(count * NODE, |_| {})
        .unwrap_or_else(|| fail("claim the nodes"));
    let mut live = Vec::with_capacity(count / 2 + 1);
    for i in 0..count {
        let at = base + i * NODE;
        // SAFETY: freshly claimed memory of ours.
        unsafe { (at as *mut u64).write(Header::new(node_ty.0, 0).0) };
        if next(&mut rng) & 1 == 0 {
            spaces.mark(at, NODE);
            live.push(at);
        }
    }
    // A live filler so that the arrays land on page boundaries.
    let live_bytes = live.len() * NODE;
    let pad = live_bytes.next_multiple_of(page) - live_bytes;
    if pad > 0 {
        let gap = spaces
            .claim(pad, |_| {})
            .unwrap_or_else(|| fail("claim the filler"));
        // SAFETY: freshly claimed memory of ours.
        unsafe { Header::write_filler(gap, gap + pad) };
        spaces.mark(gap, pad);
    }
    let elements = page / WORD - 1;
    let arrays = spaces
        .claim(cfg.pages * page, |_| {})
        .unwrap_or_else(|| fail("claim the arrays"));
    for a in 0..cfg.pages {
        let at = arrays + a * page;
        // SAFETY: freshly claimed memory of ours, one page per array.
        unsafe {
            (at as *mut u64).write(Header::new(array_ty.0, elements as u32).0);
            for i in 1..=elements {
                let target = live[next(&mut rng) as usize % live.len()];
                ((at + i * WORD) as *mut usize).write(target);
            }
        }
        spaces.mark(at, page);
    }
    let plan = spaces.plan(spaces.moving().start(), spaces.moving().top());
    // Every array is live and as long as a page: they land end to end, each
    // on the page after the last.
    let first_new = plan.forward(arrays);
    if first_new % page != 0 {
        fail("the arrays do not land on page boundaries");
    }
    let src = Shadow { delta: 0 };
    let mut dst = PageBuf::new(page);
    let dst = dst.addr(page);
    let mut evict = vec![0u64; cfg.sweep / 8];

    let mut cold = Vec::with_capacity(cfg.pages);
    let mut forward = Vec::with_capacity(cfg.pages);
    for group in (0..cfg.pages).step_by(GROUP) {
        let group = group..(group + GROUP).min(cfg.pages);
        sweep(&mut evict);
        for a in group.clone() {
            let to = first_new + a * page;
            let t = Instant::now();
            // SAFETY: marking and planning are done, nothing else runs, and
            // `dst` is a page of ours that the old bytes do not overlap.
            unsafe { spaces.build_page(&plan, to, &src, dst) };
            cold.push(t.elapsed());
            check(&plan, to, dst, arrays + a * page, page);
        }
        sweep(&mut evict);
        for a in group {
            let old = arrays + a * page;
            let t = Instant::now();
            for i in 1..=elements {
                // SAFETY: word `i` of the old array and of our buffer page.
                unsafe {
                    let value = ((old + i * WORD) as *const usize).read();
                    ((dst + i * WORD) as *mut usize).write(plan.forward(value));
                }
            }
            forward.push(t.elapsed());
            std::hint::black_box(dst);
        }
    }

    let warm_pages = GROUP.min(cfg.pages);
    let mut warm = Vec::with_capacity(cfg.warm_rounds * warm_pages);
    for _ in 0..cfg.warm_rounds {
        for a in 0..warm_pages {
            let to = first_new + a * page;
            let t = Instant::now();
            // SAFETY: as above.
            unsafe { spaces.build_page(&plan, to, &src, dst) };
            warm.push(t.elapsed());
        }
    }
    check(
        &plan,
        first_new + (warm_pages - 1) * page,
        dst,
        arrays + (warm_pages - 1) * page,
        page,
    );

    line("heap_mib", (cfg.nodes + cfg.pages * page) / MIB);
    line("pages", cfg.pages);
    line("refs_per_page", elements);
    let cold = median(cold);
    line("build_cold_ns_per_ref", per_ref(cold, elements));
    line("build_warm_ns_per_ref", per_ref(median(warm), elements));
    line(
        "forward_cold_ns_per_ref",
        per_ref(median(forward), elements),
    );
    line(
        "build_cold_us_per_page",
        format!("{:.1}", cold.as_secs_f64() * 1e6),
    );
}
