//! A lock-free histogram of durations, recorded from SIGBUS handlers.

use std::time::Duration;

use crate::stats::Latency;
use crate::sync::{AtomicU64, Ordering};

/// Sub-buckets per power of two: a percentile is reported to within 1/16.
const SUB_BITS: u32 = 4;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// Nanosecond durations in log-linear buckets, plus their count, sum and maximum.
pub(crate) struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    total: AtomicU64,
    max: AtomicU64,
}

fn bucket(ns: u64) -> usize {
    if ns < SUB {
        return ns as usize;
    }
    let exp = 63 - ns.leading_zeros();
    let mantissa = (ns >> (exp - SUB_BITS)) & (SUB - 1);
    ((exp - SUB_BITS + 1) as u64 * SUB + mantissa) as usize
}

/// The largest duration bucket `i` holds.
fn upper_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let shift = i / SUB - 1;
    let low = (SUB + i % SUB) << shift;
    low + ((1 << shift) - 1)
}

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            total: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    /// Records one duration: four relaxed atomic updates, async-signal-safe.
    pub(crate) fn record(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.buckets[bucket(ns)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.total.fetch_add(ns, Ordering::Relaxed);
        self.max.fetch_max(ns, Ordering::Relaxed);
    }

    /// The sum of every duration recorded.
    pub(crate) fn total(&self) -> Duration {
        Duration::from_nanos(self.total.load(Ordering::Relaxed))
    }

    /// Median, 99th percentile and maximum of what was recorded.
    pub(crate) fn summary(&self) -> Latency {
        let count = self.count.load(Ordering::Relaxed);
        let max = self.max.load(Ordering::Relaxed);
        let at = |rank: u64| {
            let mut seen = 0;
            for (i, b) in self.buckets.iter().enumerate() {
                seen += b.load(Ordering::Relaxed);
                if seen > rank {
                    return Duration::from_nanos(upper_bound(i).min(max));
                }
            }
            Duration::from_nanos(max)
        };
        Latency {
            count,
            median: if count == 0 {
                Duration::ZERO
            } else {
                at(count / 2)
            },
            p99: if count == 0 {
                Duration::ZERO
            } else {
                at(count * 99 / 100)
            },
            max: Duration::from_nanos(max),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order_within_a_sixteenth() {
        let mut last = 0;
        for ns in (0..100_000u64).chain([1 << 40, u64::MAX]) {
            let b = bucket(ns);
            assert!(b >= last && b < BUCKETS, "bucket of {ns}");
            last = b;
            let hi = upper_bound(b);
            assert!(
                hi >= ns && hi - ns <= ns / SUB,
                "{ns} in a bucket up to {hi}"
            );
        }
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let h = Histogram::new();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert_eq!(s.max, Duration::from_micros(1000));
        let near = |d: Duration, us: f64| (d.as_secs_f64() * 1e6 - us).abs() <= us / 16.0;
        assert!(near(s.median, 501.0), "median {:?}", s.median);
        assert!(near(s.p99, 991.0), "p99 {:?}", s.p99);
        assert_eq!(h.total(), Duration::from_micros(500_500));
        assert_eq!(Histogram::new().summary(), Latency::default());
    }
}
