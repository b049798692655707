//! Building a to-space page: the one piece of compaction every mode shares.
//!
//! A page is built from the live objects whose post-compact copies overlap it,
//! found with [`Plan::first_object`] and the mark bitmap: the part of each that
//! lands in the page is copied, and the references in that part are rewritten
//! to post-compact addresses. Where the old bytes are read from, and where the
//! page is written, is the caller's choice ([`PageSource`]): in place for the
//! stop-the-world slide, from the shadow mapping into a buffer page for
//! concurrent compaction.

use crate::object::Header;
use crate::spaces::{Plan, Spaces};

/// Where the page builder reads an object's old bytes.
pub trait PageSource {
    /// The address holding the byte that was at old address `old`.
    fn old_bytes(&self, old: usize) -> usize;

    /// The header of the object that was at `old` and goes to `new`, when
    /// building the page that starts at `page_start`.
    fn header(&self, old: usize, new: usize, page_start: usize) -> Header;
}

/// The stop-the-world slide: pages are built in place, in address order.
///
/// Objects only slide down, so the old bytes a page needs lie at or after the
/// page, untouched yet; only the header of an object that starts on the
/// previous page may already be overwritten at its old address, and is read at
/// its new one, which that page's build wrote.
#[derive(Clone, Copy, Debug)]
pub struct InPlace;

impl PageSource for InPlace {
    #[inline(always)]
    fn old_bytes(&self, old: usize) -> usize {
        old
    }

    #[inline(always)]
    fn header(&self, old: usize, new: usize, page_start: usize) -> Header {
        let at = if new < page_start { new } else { old };
        // SAFETY: `at` holds this object's header: see the type's comment.
        Header(unsafe { (at as *const u64).read() })
    }
}

/// Concurrent compaction: the old bytes are in a shadow mapping `delta` bytes
/// from the heap, where every header stays intact until the cycle ends.
#[derive(Clone, Copy, Debug)]
pub struct Shadow {
    /// Shadow address minus heap address, wrapping (the shadow may lie below).
    pub delta: usize,
}

impl PageSource for Shadow {
    #[inline(always)]
    fn old_bytes(&self, old: usize) -> usize {
        old.wrapping_add(self.delta)
    }

    #[inline(always)]
    fn header(&self, old: usize, _new: usize, _page_start: usize) -> Header {
        // SAFETY: the shadow holds the object's old bytes, header included.
        Header(unsafe { (old.wrapping_add(self.delta) as *const u64).read() })
    }
}

/// What building one page did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageWork {
    /// Objects that start on the page.
    pub objects: usize,
    /// Objects that start on the page at a new address.
    pub moved: usize,
    /// Bytes copied to a different address.
    pub bytes_moved: usize,
}

impl Spaces {
    /// Rewrites the references held in the slots from the plan's base up to
    /// `end` (a page boundary at or below [`Plan::dense_end`]), where nothing
    /// moves: objects are walked by their headers, and only references to
    /// objects that move are rewritten. Their starts are recorded as old
    /// objects'. Pages from `end` up are then built with
    /// [`build_page`](Self::build_page), which finishes any object straddling `end`.
    ///
    /// Long-lived data settles at the bottom of the heap, so this is where most
    /// of a mature heap's objects are handled: a header read and a compare per slot.
    ///
    /// # Safety
    /// As for [`build_page`](Self::build_page).
    pub unsafe fn update_dense_prefix(&self, plan: &Plan<'_>, end: usize) -> usize {
        debug_assert!(end <= plan.dense_end());
        let types = self.types();
        let mut at = plan.base();
        let mut objects = 0;
        while at < end {
            self.starts().set(at);
            // SAFETY: the dense prefix is a run of live objects; `at` is the start of one.
            let header = Header(unsafe { (at as *const u64).read() });
            let Some(size) = types.size_of(header) else {
                debug_assert!(false, "unknown type {} at {at:#x}", header.type_id());
                return objects;
            };
            types.for_each_slot_in(header, 0, end - at, |offset, kind| {
                // SAFETY: the slot lies inside this live object, below `end`.
                let value = unsafe { plan.rewrite_slot((at + offset) as *mut usize, kind) };
                plan.remember_placed(at + offset, value, kind);
            });
            objects += 1;
            at += size;
        }
        objects
    }

    /// Builds the to-space page starting at `page_start` into the page at
    /// `dst`, reading old bytes through `src`, and records the start of each
    /// object placed (they are old from now on).
    ///
    /// # Safety
    /// Marking and [`Spaces::plan`] must be complete and no mutator running on the
    /// moving space; `dst` must be a writable page that `src` does not read
    /// except where [`InPlace`]'s rules make that sound.
    pub unsafe fn build_page(
        &self,
        plan: &Plan<'_>,
        page_start: usize,
        src: &impl PageSource,
        dst: usize,
    ) -> PageWork {
        let page = gc_uffd::page_size();
        let page_end = (page_start + page).min(plan.new_top());
        let types = self.types();
        let mut work = PageWork::default();
        if page_start < plan.base() {
            // The base's page begins with old objects, which stay as they are.
            let from = src.old_bytes(page_start);
            if from != dst {
                // SAFETY: both are mapped pages; the old part is below the base.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        from as *const u8,
                        dst as *mut u8,
                        plan.base() - page_start,
                    )
                };
            }
        }
        let Some(mut old) = plan.first_object(page_start) else {
            return work;
        };
        let mut new = plan.forward(old);
        while new < page_end {
            let header = src.header(old, new, page_start);
            let Some(size) = types.size_of(header) else {
                debug_assert!(false, "unknown type {} at {old:#x}", header.type_id());
                return work;
            };
            let piece_start = new.max(page_start);
            let piece_end = (new + size).min(page_end);
            let at = dst + (piece_start - page_start);
            let from = src.old_bytes(old) + (piece_start - new);
            if new >= page_start {
                self.starts().set(new);
                work.objects += 1;
                if new != old {
                    work.moved += 1;
                }
            }
            if from != at {
                // SAFETY: both ranges are mapped heap memory; they may overlap when
                // sliding in place, which `copy` allows.
                unsafe {
                    std::ptr::copy(from as *const u8, at as *mut u8, piece_end - piece_start)
                };
                work.bytes_moved += piece_end - piece_start;
            }
            types.for_each_slot_in(
                header,
                piece_start - new,
                piece_end - new,
                |offset, kind| {
                    let slot = (dst + (new + offset - page_start)) as *mut usize;
                    // SAFETY: the slot lies in the piece just written to `dst`.
                    let value = unsafe { plan.rewrite_slot(slot, kind) };
                    plan.remember_placed(new + offset, value, kind);
                },
            );
            new += size;
            if new >= page_end {
                // Past the last live object the next one may lie megabytes of
                // bitmap away: do not search for it.
                break;
            }
            match plan.next_live(old + size, new) {
                Some(next) => old = next,
                None => break,
            }
        }
        work
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::object::ObjRef;
    use crate::types::{TypeDescriptor, TypeTable};

    /// Slides every third object out of a chain and checks the survivors are
    /// packed in order with their references rewritten, across many pages.
    #[test]
    fn sliding_in_place_packs_survivors_and_rewrites_references() {
        let mut types = TypeTable::new();
        let node = types
            .register(TypeDescriptor::fixed("node", 40, &[8], &[16]))
            .unwrap();
        let spaces = Spaces::new(64 << 20, Arc::new(types)).unwrap();
        const N: usize = 5000;
        let objs: Vec<usize> = (0..N)
            .map(|i| {
                // Alternate sizes with a filler so objects straddle pages at varied offsets.
                if i % 7 == 0 {
                    let gap = spaces.moving().claim(24).unwrap();
                    // SAFETY: fresh memory of ours.
                    unsafe { Header::write_filler(gap, gap + 24) };
                }
                let a = spaces.moving().claim(40).unwrap();
                // SAFETY: fresh memory of ours, 40 bytes.
                unsafe {
                    (a as *mut u64).write(Header::new(node.0, 0).0);
                    ((a + 24) as *mut usize).write(i);
                    ((a + 32) as *mut usize).write(!i);
                }
                a
            })
            .collect();
        let live: Vec<usize> = (0..N).filter(|i| i % 3 != 1).collect();
        for w in live.windows(2) {
            let obj = ObjRef::from_addr(objs[w[0]]).unwrap();
            // SAFETY: both are our objects.
            unsafe {
                obj.write_word(8, objs[w[1]]);
                obj.write_word(16, objs[w[1]] | 1);
            }
        }
        spaces.clear_marks(
            spaces.moving().start()..spaces.moving().top(),
            spaces.moving().top(),
        );
        for &i in &live {
            assert!(spaces.mark(objs[i], 40));
        }
        let plan = spaces.plan(spaces.moving().start(), spaces.moving().top());
        assert_eq!(plan.live_bytes(), live.len() * 40);
        let page = gc_uffd::page_size();
        let mut moved = 0;
        for p in (spaces.moving().start()..plan.new_top()).step_by(page) {
            // SAFETY: marking and planning are done, and nothing else runs.
            moved += unsafe { spaces.build_page(&plan, p, &InPlace, p) }.moved;
        }
        assert!(moved > live.len() / 2);
        let base = spaces.moving().start();
        for (k, &i) in live.iter().enumerate() {
            let obj = ObjRef::from_addr(base + k * 40).unwrap();
            // SAFETY: compacted objects of ours.
            unsafe {
                assert_eq!(obj.header().type_id(), node.0);
                assert_eq!(
                    (obj.read_word(24), obj.read_word(32)),
                    (i, !i),
                    "object {k}"
                );
                if k + 1 < live.len() {
                    assert_eq!(obj.read_word(8), base + (k + 1) * 40, "next of {k}");
                    let untouched = objs[live[k + 1]] | 1;
                    assert_eq!(
                        obj.read_word(16),
                        untouched,
                        "a tagged non-reference is left alone"
                    );
                }
            }
        }
    }

    /// Objects allocated black (above the black line, marked by walking
    /// them) follow the marked survivors in order, with references from both
    /// sides rewritten, while garbage below the line is squeezed out.
    #[test]
    fn black_objects_slide_as_one_block_behind_the_marked_ones() {
        let mut types = TypeTable::new();
        let node = types
            .register(TypeDescriptor::fixed("node", 32, &[8], &[]))
            .unwrap();
        let spaces = Spaces::new(16 << 20, Arc::new(types)).unwrap();
        let alloc = |value: usize| {
            let a = spaces.moving().claim(32).unwrap();
            // SAFETY: fresh memory of ours, 32 bytes.
            unsafe {
                (a as *mut u64).write(Header::new(node.0, 0).0);
                ((a + 16) as *mut usize).write(value);
            }
            a
        };
        // Below the line: every other object is garbage.
        let old: Vec<usize> = (0..3000).map(alloc).collect();
        let black = spaces.moving().top();
        let young: Vec<usize> = (0..2000).map(|i| alloc(10_000 + i)).collect();
        // A filler at the end, as a retired TLAB leaves.
        let gap = spaces.moving().claim(48).unwrap();
        // SAFETY: fresh memory of ours.
        unsafe { Header::write_filler(gap, gap + 48) };
        let top = spaces.moving().top();
        let link = |from: usize, to: usize| {
            // SAFETY: both are our objects; slot 8 is a reference.
            unsafe { ObjRef::from_addr(from).unwrap().write_word(8, to) };
        };
        for (i, &o) in old.iter().enumerate().step_by(2) {
            link(o, young[i % young.len()]);
        }
        for (i, &y) in young.iter().enumerate() {
            link(y, old[(i * 2) % old.len()]);
        }
        spaces.clear_marks(spaces.moving().start()..top, top);
        for &o in old.iter().step_by(2) {
            assert!(spaces.mark(o, 32));
        }
        let plan = spaces.plan(spaces.moving().start(), black);
        // SAFETY: the young objects and the filler lie end to end from `black`.
        unsafe { spaces.mark_black(black..top) };
        // SAFETY: every object from the black line to the top is marked.
        let plan = unsafe { plan.with_top(top) };
        let base = spaces.moving().start();
        assert_eq!(plan.new_top(), base + 1500 * 32 + (top - black));
        let page = gc_uffd::page_size();
        for p in (base..plan.new_top()).step_by(page) {
            // SAFETY: marking and planning are done, and nothing else runs.
            unsafe { spaces.build_page(&plan, p, &InPlace, p) };
        }
        let young_at = |i: usize| base + 1500 * 32 + i * 32;
        for k in 0..1500 {
            let obj = ObjRef::from_addr(base + k * 32).unwrap();
            // SAFETY: compacted objects of ours.
            unsafe {
                assert_eq!(obj.read_word(16), 2 * k, "survivor {k}");
                assert_eq!(
                    obj.read_word(8),
                    young_at((2 * k) % 2000),
                    "survivor {k}'s reference"
                );
            }
        }
        for i in 0..2000 {
            let obj = ObjRef::from_addr(young_at(i)).unwrap();
            // SAFETY: as above.
            unsafe {
                assert_eq!(obj.read_word(16), 10_000 + i, "young {i}");
                assert_eq!(
                    obj.read_word(8),
                    base + ((i * 2) % 3000) / 2 * 32,
                    "young {i}'s reference"
                );
            }
        }
    }
}
