//! Identity hashes for objects that move: a table the collector keeps by
//! address, as it keeps weak handles (`references.rs` drops the entries of
//! dead objects and rewrites the others when they move). The header has no
//! room for the hash that HotSpot and ART keep there.

use gc_heap::ObjRef;

use crate::mutator::Mutator;

impl Mutator {
    /// The identity hash of `obj`: the same number for the object's whole
    /// life, whatever moves it, from any thread's mutator; 31 bits, spread
    /// over their range (a `splitmix64` of a counter), as Java's
    /// `System.identityHashCode` gives.
    ///
    /// An object that is never hashed pays nothing. A hashed one has an entry
    /// in a table the collector keeps by address (as it keeps weak handles):
    /// a lock and a lookup per call, an entry dropped when a cycle finds the
    /// object dead, and a rewrite per entry after each compaction: in its
    /// pause while the reference tables are small, after it past 16,384
    /// entries, when a call made before the cycle has rewritten them waits for
    /// that (HotSpot and ART keep the hash in the header, which this header
    /// has no room for).
    ///
    /// # Safety
    /// `obj` must be a live object's current address.
    pub unsafe fn identity_hash(&self, obj: ObjRef) -> u32 {
        let heap = &self.heap().0;
        let mut tables = heap.references.current(&heap.spaces);
        if let Some(&hash) = tables.hashes.get(&obj.addr()) {
            return hash;
        }
        tables.hash_seed = tables.hash_seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = tables.hash_seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let hash = ((z ^ (z >> 31)) >> 33) as u32;
        tables.hashes.insert(obj.addr(), hash);
        hash
    }
}
