//! Address-space reservations: the heap's range and its shadow.

use std::ops::Range;

use crate::error::{Error, ErrorKind, Op, Result};
use crate::sys::{self, Advice};

/// A range of virtual address space, readable and writable, with no memory
/// behind it until a page is first touched (or [committed](Self::commit)).
///
/// The range is private anonymous memory mapped with `MAP_NORESERVE`, so a
/// reservation of many gibibytes costs nothing until used. It is unmapped when
/// the `Reservation` is dropped.
///
/// A `Reservation` hands out addresses, never references: the memory's contents
/// may change under the methods here (a decommit zeroes pages, a remap empties
/// them, userfaultfd ioctls fill them), so code that reads or writes it does so
/// through raw pointers and its own synchronisation.
#[derive(Debug)]
pub struct Reservation {
    start: usize,
    size: usize,
    align: usize,
}

// SAFETY: a reservation is a range of addresses; it holds no thread-bound state,
// and every access to the memory goes through raw pointers the user synchronises.
unsafe impl Send for Reservation {}
// SAFETY: as above; the methods taking `&self` are system calls the kernel serialises.
unsafe impl Sync for Reservation {}

const RESERVE_HINT: &str = "the address space is exhausted or `ulimit -v` is too low: \
     reserve less or raise the limit";

impl Reservation {
    /// Reserves `size` bytes starting at a multiple of `align`.
    ///
    /// `size` must be a non-zero multiple of the page size and `align` a power
    /// of two no smaller than the page size. Align a heap and its shadow to
    /// 1 GiB and `mremap` moves whole upper page-table entries: the remap then
    /// costs tens of microseconds whatever the heap's size.
    pub fn new(size: usize, align: usize) -> Result<Self> {
        let page = crate::page_size();
        if size == 0 || size % page != 0 {
            return Err(Error::new(
                Op::Reserve,
                ErrorKind::InvalidInput,
                "the size must be a non-zero multiple of the page size",
            ));
        }
        if !align.is_power_of_two() || align < page {
            return Err(Error::new(
                Op::Reserve,
                ErrorKind::InvalidInput,
                "the alignment must be a power of two no smaller than the page size",
            ));
        }
        let start =
            sys::map_aligned(size, align).map_err(|e| Error::os(Op::Reserve, e, RESERVE_HINT))?;
        Ok(Reservation { start, size, align })
    }

    /// The first address.
    pub fn start(&self) -> usize {
        self.start
    }

    /// The first address as a pointer.
    pub fn as_ptr(&self) -> *mut u8 {
        self.start as *mut u8
    }

    /// The size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The alignment the reservation was made with.
    pub fn align(&self) -> usize {
        self.align
    }

    /// The addresses covered.
    pub fn range(&self) -> Range<usize> {
        self.start..self.start + self.size
    }

    /// Whether `addr` lies inside the reservation.
    pub fn contains(&self, addr: usize) -> bool {
        self.range().contains(&addr)
    }

    /// The absolute address range of `offset..offset + len`, checked to be
    /// page-aligned and inside the reservation.
    fn subrange(&self, offset: usize, len: usize, op: Op) -> Result<Range<usize>> {
        let page = crate::page_size();
        if offset % page != 0 || len % page != 0 {
            return Err(Error::new(
                op,
                ErrorKind::InvalidInput,
                "offset and length must be multiples of the page size",
            ));
        }
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(self.start + offset..self.start + end),
            _ => Err(Error::new(
                op,
                ErrorKind::InvalidInput,
                "the range extends past the end of the reservation",
            )),
        }
    }

    /// Backs `offset..offset + len` with memory now (`MADV_POPULATE_WRITE`), so
    /// that later first touches take no page fault.
    ///
    /// Fails with [`ErrorKind::OutOfMemory`] when the kernel cannot supply the
    /// pages. In a range registered with a userfaultfd the missing pages are not
    /// populated but fail with `EFAULT`: place them with the userfaultfd instead.
    pub fn commit(&self, offset: usize, len: usize) -> Result<()> {
        let r = self.subrange(offset, len, Op::Commit)?;
        // SAFETY: the range lies inside this reservation; populating keeps its contents.
        unsafe { sys::advise(r.start, len, Advice::PopulateWrite) }.map_err(|e| {
            Error::os(
                Op::Commit,
                e,
                "the kernel could not supply the pages (MADV_POPULATE_WRITE needs Linux 5.14)",
            )
        })
    }

    /// Calls `f` with each run of pages of `offset..offset + len` (at most
    /// 64 pages, a multiple of the page size) that is not resident (`mincore`),
    /// as offsets into the reservation: what [`commit`](Self::commit) would
    /// have to populate, found without walking the resident pages' faults.
    pub fn missing_runs(
        &self,
        offset: usize,
        len: usize,
        mut f: impl FnMut(Range<usize>),
    ) -> Result<()> {
        const PAGES: usize = 64;
        let r = self.subrange(offset, len, Op::Resident)?;
        let page = crate::page_size();
        let mut at = r.start;
        while at < r.end {
            let n = ((r.end - at) / page).min(PAGES);
            let mut resident = [0u8; PAGES];
            sys::mincore(at, n * page, &mut resident[..n])
                .map_err(|e| Error::os(Op::Resident, e, ""))?;
            let mut i = 0;
            while i < n {
                if resident[i] & 1 != 0 {
                    i += 1;
                    continue;
                }
                let first = i;
                while i < n && resident[i] & 1 == 0 {
                    i += 1;
                }
                let start = at - self.start + first * page;
                f(start..start + (i - first) * page);
            }
            at += n * page;
        }
        Ok(())
    }

    /// Returns the pages of `offset..offset + len` to the kernel
    /// (`MADV_DONTNEED`): the memory is freed at once and reads as zero again.
    pub fn decommit(&self, offset: usize, len: usize) -> Result<()> {
        let r = self.subrange(offset, len, Op::Decommit)?;
        // SAFETY: the range lies inside this reservation, which hands out no references.
        unsafe { sys::advise(r.start, len, Advice::DontNeed) }
            .map_err(|e| Error::os(Op::Decommit, e, ""))
    }

    /// Keeps transparent huge pages out of the whole range (`MADV_NOHUGEPAGE`):
    /// a moving space is placed page by page, and a huge page there would make
    /// `UFFDIO_MOVE` split it or fail with `EEXIST`.
    pub fn disable_huge_pages(&self) -> Result<()> {
        self.advise_all(Advice::NoHugePage)
    }

    /// Asks for transparent huge pages over the whole range (`MADV_HUGEPAGE`),
    /// where the system leaves them to `madvise` (a common default): for
    /// metadata read at random across a large heap, where a miss in the TLB
    /// for every 4 KiB page costs more than the cache miss itself. Only the
    /// 2 MiB-aligned parts of the range can get them; a kernel without
    /// transparent huge pages refuses the advice (`EINVAL`).
    pub fn enable_huge_pages(&self) -> Result<()> {
        self.advise_all(Advice::HugePage)
    }

    /// Leaves the whole range out of child processes (`MADV_DONTFORK`): after a
    /// `fork` the parent's pages stay exclusive, so `UFFDIO_MOVE` keeps working;
    /// the child has no memory there (right for fork + exec).
    pub fn exclude_from_fork(&self) -> Result<()> {
        self.advise_all(Advice::DontFork)
    }

    /// Undoes [`exclude_from_fork`](Self::exclude_from_fork) (`MADV_DOFORK`):
    /// a child forked from now on inherits the range, sharing its pages
    /// copy-on-write. Until a page is written again, `UFFDIO_MOVE` cannot take
    /// it (`EBUSY`), in either process, even after the child exits.
    pub fn include_in_fork(&self) -> Result<()> {
        self.advise_all(Advice::DoFork)
    }

    /// [`include_in_fork`](Self::include_in_fork) if `inherit`, else
    /// [`exclude_from_fork`](Self::exclude_from_fork).
    pub fn inherit_in_fork(&self, inherit: bool) -> Result<()> {
        if inherit {
            self.include_in_fork()
        } else {
            self.exclude_from_fork()
        }
    }

    fn advise_all(&self, advice: Advice) -> Result<()> {
        // SAFETY: the range is this reservation; neither advice changes its contents.
        unsafe { sys::advise(self.start, self.size, advice) }
            .map_err(|e| Error::os(Op::Advise, e, ""))
    }

    /// Moves the pages of `offset..offset + len` to `shadow_offset` in `shadow`
    /// (`mremap` with `MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED`).
    ///
    /// Only page-table entries move: no page is copied. Afterwards the source
    /// range is still mapped but empty: registered with a userfaultfd (before
    /// or after the remap), every access to it is a missing fault; otherwise it
    /// reads as fresh zero pages. The destination range receives the pages and
    /// the source range's memory settings. Register *after* the remap where
    /// you can: a registered source's page tables move one page at a time
    /// (milliseconds per GiB, against microseconds).
    pub fn remap_into(
        &self,
        offset: usize,
        len: usize,
        shadow: &Reservation,
        shadow_offset: usize,
    ) -> Result<()> {
        let src = self.subrange(offset, len, Op::Remap)?;
        let dst = shadow.subrange(shadow_offset, len, Op::Remap)?;
        if len == 0 {
            return Ok(());
        }
        // SAFETY: both ranges lie inside reservations the caller owns, which hand out
        // no references; the destination's old (empty or stale) pages are replaced.
        unsafe { sys::remap_dontunmap(src.start, len, dst.start) }.map_err(|e| {
            Error::os(
                Op::Remap,
                e,
                "MREMAP_DONTUNMAP needs Linux 5.7 (5.13 for non-anonymous memory) and \
                 both ranges private anonymous",
            )
        })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // SAFETY: the range was mapped by `Reservation::new` and is given up here.
        // Unmapping a range we mapped cannot fail for a reason the caller could act on.
        let _ = unsafe { sys::unmap_aligned(self.start, self.size, self.align) };
    }
}
