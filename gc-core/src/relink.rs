//! Large objects moving by relinking in a stop-the-world pause.
//!
//! The concurrent modes move a full cycle's relinked large objects after the
//! pause, through the per-page protocol (`concurrent/large.rs`). Stop-the-
//! world, the pause moves them itself: the slots of those with references
//! are rewritten at their old addresses first, then every object's pages are
//! moved with `UFFDIO_MOVE` from the old address to the new one, unread (a
//! swapped-out page keeps its swap entry). `UFFDIO_MOVE` needs its
//! destination registered with a userfaultfd: a stop-the-world heap opens
//! one for this where the kernel can move pages, and registers the span the
//! objects land in for the moves' duration only (no mutator runs, so no
//! access faults there meanwhile). Where it cannot, large objects stay where
//! they are.

use std::sync::atomic::{AtomicBool, Ordering};

use allocator::Relink;
use gc_uffd::{Capabilities, Capability, Features, MoveMode, Userfaultfd};

use crate::error::GcError;

/// What [`Relinker::relink`] did.
#[derive(Default)]
pub(crate) struct Relinked {
    /// Pages moved with `UFFDIO_MOVE`, unread.
    pub(crate) pages: usize,
    /// Pages never touched, placed as the zero page.
    pub(crate) holes: usize,
    /// Pages copied (`UFFDIO_COPY`, or in user space once the moves failed).
    pub(crate) copied: usize,
}

/// A stop-the-world heap's means of moving pages.
pub(crate) struct Relinker {
    uffd: Userfaultfd,
    /// A forked child could not open a userfaultfd of its own.
    unusable: AtomicBool,
}

impl Relinker {
    /// A relinker, where this kernel lets a userfaultfd move pages.
    pub(crate) fn new() -> Option<Relinker> {
        let caps = Capabilities::get();
        caps.check(Capability::Userfaultfd).ok()?;
        caps.check(Capability::Move).ok()?;
        match Userfaultfd::open(Features::MOVE) {
            Ok(uffd) => Some(Relinker {
                uffd,
                unusable: AtomicBool::new(false),
            }),
            Err(e) => {
                log::info!("movegc: large objects will not move: {e}");
                None
            }
        }
    }

    /// Whether it can move pages (in a forked child, only with a userfaultfd
    /// of its own).
    pub(crate) fn usable(&self) -> bool {
        !self.unusable.load(Ordering::Relaxed)
    }

    /// In a forked child (no cycle live, no other thread): opens a
    /// userfaultfd for this process in place of the inherited one, which
    /// serves the parent's address space; if that fails, large objects stay
    /// where they are from now on.
    pub(crate) fn reopen_in_child(&self) {
        if let Err(e) = self.uffd.reopen() {
            self.unusable.store(true, Ordering::Relaxed);
            log::warn!("movegc: a forked child cannot open a userfaultfd of its own ({e})");
        }
    }

    /// In the pause: moves the pages of every object `relinks` moves, from
    /// its old address to its new one. The span the objects land in is
    /// registered meanwhile; should it not be, or a move fail, the rest is
    /// copied in user space (bytes read, swapped-out pages swapped in: the
    /// documented fallback).
    ///
    /// # Safety
    /// Every mutator is stopped; each move's source is a live block whose
    /// references were forwarded, and its destination a hole reserved for it.
    pub(crate) unsafe fn relink(&self, relinks: &[Relink]) -> Result<Relinked, GcError> {
        let mut done = Relinked::default();
        let span = match (
            relinks.iter().map(|r| r.to).min(),
            relinks.iter().map(|r| r.destination().end).max(),
        ) {
            (Some(start), Some(end)) => start..end,
            _ => return Ok(done),
        };
        let registered = self.usable() && self.uffd.register(span.clone()).is_ok();
        let mut failed = None;
        for (i, r) in relinks.iter().enumerate() {
            let moved = if registered {
                self.move_object(r, &mut done)
            } else {
                0
            };
            let pages = r.destination().len() / gc_uffd::page_size();
            if moved < pages {
                failed = Some((i, moved));
                break;
            }
        }
        if registered && let Err(e) = self.uffd.unregister(span.clone()) {
            log::error!("movegc: relinking large objects: {e}");
        }
        if let Some((i, moved)) = failed {
            // SAFETY: as the caller guarantees, and the span is unregistered:
            // the copies' writes fault in fresh pages.
            unsafe { copy_rest(&relinks[i..], moved, &mut done) };
            if registered {
                log::warn!("movegc: large objects' pages could not all be moved: copied");
            }
        }
        Ok(done)
    }

    /// Moves `r`'s pages; returns how many of them are in place, from the
    /// first.
    fn move_object(&self, r: &Relink, done: &mut Relinked) -> usize {
        let (dst, src) = (r.destination(), r.source());
        let placed = self
            .uffd
            .relink(dst.start, src.start, dst.len(), |d, s, len| {
                // SAFETY: the pages of a block that moves, referenced by no one
                // any more (forwarded), in the pause: this thread alone moves them.
                unsafe { self.uffd.move_owned_pages(d, s, len, MoveMode::empty()) }
            });
        done.pages += placed.moved;
        done.holes += placed.holes;
        done.copied += placed.copied;
        placed.placed
    }
}

/// Copies in user space the objects of `relinks`, the first from its page
/// `from_page` on (the pages before are in place).
///
/// # Safety
/// As for [`Relinker::relink`], with the destinations unregistered.
unsafe fn copy_rest(relinks: &[Relink], from_page: usize, done: &mut Relinked) {
    let page = gc_uffd::page_size();
    for (i, r) in relinks.iter().enumerate() {
        let skip = if i == 0 { from_page * page } else { 0 };
        let len = r.size.saturating_sub(skip);
        // SAFETY: a live block and the hole reserved for it, which do not
        // overlap; no mutator runs.
        unsafe {
            std::ptr::copy_nonoverlapping(
                (r.from + skip) as *const u8,
                (r.to + skip) as *mut u8,
                len,
            )
        };
        done.copied += len.div_ceil(page);
    }
}
