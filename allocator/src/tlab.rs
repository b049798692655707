//! Thread-local allocation buffers.

use std::ops::Range;

/// A thread-local allocation buffer: bytes `cursor..limit` are this thread's to
/// hand out. `#[repr(C)]` with the cursor first, so a JIT can inline the fast
/// path as a load, an add, a compare and a store.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Tlab {
    cursor: usize,
    limit: usize,
    start: usize,
}

impl Tlab {
    /// Byte offset of the bump cursor in a `Tlab`: the next free byte, where
    /// an inlined allocation writes its object and which it advances.
    pub const CURSOR_OFFSET: usize = std::mem::offset_of!(Tlab, cursor);
    /// Byte offset of the limit in a `Tlab`: an allocation fits if the
    /// cursor plus its size is at most this.
    pub const LIMIT_OFFSET: usize = std::mem::offset_of!(Tlab, limit);

    /// An empty buffer: every allocation takes the slow path.
    pub const fn empty() -> Self {
        Tlab {
            cursor: 0,
            limit: 0,
            start: 0,
        }
    }

    /// Allocates `size` bytes (a multiple of 8), or `None` when the buffer is
    /// exhausted. The memory is whatever the buffer held: zeroed if it came
    /// fresh from the kernel or from [`Tlab::refill`] with zeroed memory.
    #[inline(always)]
    pub fn alloc(&mut self, size: usize) -> Option<usize> {
        let start = self.cursor;
        let end = start.wrapping_add(size);
        if end <= self.limit && end >= start {
            self.cursor = end;
            Some(start)
        } else {
            None
        }
    }

    /// Starts handing out `range`, abandoning what was left.
    pub fn refill(&mut self, range: Range<usize>) {
        self.cursor = range.start;
        self.limit = range.end;
        self.start = range.start;
    }

    /// The whole range the buffer was last refilled with.
    pub fn range(&self) -> Range<usize> {
        self.start..self.limit
    }

    /// Empties the buffer and returns the bytes it had not handed out, which
    /// the caller must make parseable (a filler) or reclaim.
    pub fn revoke(&mut self) -> Range<usize> {
        let rest = self.cursor..self.limit;
        *self = Tlab::empty();
        rest
    }

    /// Bytes still available.
    pub fn remaining(&self) -> usize {
        self.limit - self.cursor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_until_the_limit_then_refuses() {
        let mut t = Tlab::empty();
        assert_eq!(t.alloc(8), None);
        t.refill(0x1000..0x1020);
        assert_eq!(t.alloc(16), Some(0x1000));
        assert_eq!(t.alloc(16), Some(0x1010));
        assert_eq!(t.alloc(8), None);
        assert_eq!(t.range(), 0x1000..0x1020);
        assert_eq!(t.revoke(), 0x1020..0x1020);
        t.refill(0x2000..0x2010);
        assert_eq!(
            t.alloc(usize::MAX - 7),
            None,
            "overflow is refused, not wrapped"
        );
        assert_eq!(t.revoke(), 0x2000..0x2010);
        assert_eq!(t.remaining(), 0);
    }
}
