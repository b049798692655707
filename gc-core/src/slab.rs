//! A table whose entries keep their index while they live, and whose freed
//! indices are reused: what a handle to a collector-owned slot names.
//!
//! Entries are plain words (a free entry holds the default, zero, as a
//! cleared one does), so that the collector's passes over a table read one
//! dense array, in parallel chunks.

/// Entries of `T`, each at a stable index until removed.
#[derive(Debug, Default)]
pub(crate) struct Slab<T> {
    entries: Vec<T>,
    free: Vec<usize>,
}

impl<T: Copy + Default> Slab<T> {
    /// Stores `value`; returns its index.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.entries[i] = value;
                i
            }
            None => {
                self.entries.push(value);
                self.entries.len() - 1
            }
        }
    }

    /// Frees the entry at `index`, which its one owner no longer uses.
    pub(crate) fn remove(&mut self, index: usize) {
        if let Some(entry) = self.entries.get_mut(index) {
            *entry = T::default();
            self.free.push(index);
        }
    }

    /// The entry at `index`.
    pub(crate) fn get(&self, index: usize) -> Option<T> {
        self.entries.get(index).copied()
    }

    /// Every entry, free ones (the default) included.
    pub(crate) fn entries(&self) -> &[T] {
        &self.entries
    }

    /// Every entry, mutably, free ones (the default) included.
    pub(crate) fn entries_mut(&mut self) -> &mut [T] {
        &mut self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn indices_are_stable_and_reused_once_freed() {
        let mut s = Slab::default();
        let a = s.insert(10usize);
        let b = s.insert(20);
        s.remove(a);
        assert_eq!(s.get(a), Some(0), "a freed entry holds the default");
        assert_eq!(s.get(b), Some(20));
        let c = s.insert(30);
        assert_eq!(c, a, "a freed index is reused");
        assert_eq!(s.entries(), &[30, 20]);
        s.remove(7);
        assert_eq!(s.insert(40), 2, "an index never handed out is not freed");
    }
}
