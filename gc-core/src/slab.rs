//! A table whose entries keep their index while they live, and whose freed
//! indices are reused: what a handle to a collector-owned slot names.

/// Entries of `T`, each at a stable index until removed.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    entries: Vec<Option<T>>,
    free: Vec<usize>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value`; returns its index.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.entries[i] = Some(value);
                i
            }
            None => {
                self.entries.push(Some(value));
                self.entries.len() - 1
            }
        }
    }

    /// Removes the entry at `index`, if there is one.
    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        let value = self.entries.get_mut(index)?.take()?;
        self.free.push(index);
        Some(value)
    }

    /// The entry at `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.entries.get(index)?.as_ref()
    }

    /// Every entry, mutably.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.entries.iter_mut().flatten()
    }

    /// Every entry.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn indices_are_stable_and_reused_once_freed() {
        let mut s = Slab::default();
        let a = s.insert(10);
        let b = s.insert(20);
        assert_eq!(s.remove(a), Some(10));
        assert_eq!(s.remove(a), None, "an index is freed once");
        assert_eq!(s.get(b), Some(&20));
        let c = s.insert(30);
        assert_eq!(c, a, "a freed index is reused");
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), vec![30, 20]);
    }
}
