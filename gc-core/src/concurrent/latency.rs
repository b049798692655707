//! A lock-free histogram of durations, recorded from SIGBUS handlers, and
//! the distributions read from it, which add up over compactions.

use std::time::Duration;

use crate::stats::Latency;
use crate::sync::{AtomicU64, Ordering};

/// Sub-buckets per power of two: a percentile is reported to within 1/16.
const SUB_BITS: u32 = 4;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// Nanosecond durations in log-linear buckets, plus their sum and maximum.
pub(crate) struct Histogram {
    buckets: Box<[AtomicU64]>,
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
            total: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }

    /// Records one duration: three relaxed atomic updates, async-signal-safe.
    pub(crate) fn record(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.buckets[bucket(ns)].fetch_add(1, Ordering::Relaxed);
        self.total.fetch_add(ns, Ordering::Relaxed);
        self.max.fetch_max(ns, Ordering::Relaxed);
    }

    /// The sum of every duration recorded.
    pub(crate) fn total(&self) -> Duration {
        Duration::from_nanos(self.total.load(Ordering::Relaxed))
    }

    /// What was recorded, bucket by bucket.
    pub(crate) fn distribution(&self) -> Distribution {
        let mut counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        trim(&mut counts);
        Distribution { counts }
    }

    /// Median, 99th percentile and maximum of what was recorded.
    pub(crate) fn summary(&self) -> Latency {
        let d = self.distribution();
        let count = d.count();
        let max = Duration::from_nanos(self.max.load(Ordering::Relaxed));
        Latency {
            count,
            median: d.at(count / 2).min(max),
            p99: d.at(count * 99 / 100).min(max),
            max,
        }
    }
}

/// Durations counted in log-linear buckets, sixteen to each power of two
/// of nanoseconds: a percentile read from it is within 1/16 of the true
/// one. Unlike percentiles, distributions add up (a heap's statistics sum
/// its compactions') and subtract (what happened between two readings).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distribution {
    /// Per bucket, without the empty buckets at the end.
    counts: Vec<u64>,
}

impl Distribution {
    /// How many durations it counts.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The `q`th quantile (0.5: the median), as the upper bound of its
    /// bucket; zero for an empty distribution.
    pub fn quantile(&self, q: f64) -> Duration {
        let count = self.count();
        if count == 0 {
            return Duration::ZERO;
        }
        // `as` saturates: a `q` outside 0..=1 reads the first or the last.
        self.at(((count as f64 * q) as u64).min(count - 1))
    }

    /// The fraction of the durations no longer than `d` (to within its
    /// bucket); zero for an empty distribution.
    pub fn fraction_within(&self, d: Duration) -> f64 {
        let count = self.count();
        if count == 0 {
            return 0.0;
        }
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let within: u64 = self.counts.iter().take(bucket(ns) + 1).sum();
        within as f64 / count as f64
    }

    /// Counts `other`'s durations too.
    pub fn add(&mut self, other: &Distribution) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (c, o) in self.counts.iter_mut().zip(&other.counts) {
            *c += o;
        }
    }

    /// The durations counted since `earlier`, a reading of the same
    /// distribution before this one.
    pub fn since(&self, earlier: &Distribution) -> Distribution {
        let mut counts = self.counts.clone();
        for (c, e) in counts.iter_mut().zip(&earlier.counts) {
            *c = c.saturating_sub(*e);
        }
        trim(&mut counts);
        Distribution { counts }
    }

    /// The duration of rank `rank` (from zero) in order: its bucket's upper
    /// bound, or the largest bucket's past the count.
    fn at(&self, rank: u64) -> Duration {
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen > rank {
                return Duration::from_nanos(upper_bound(i));
            }
        }
        Duration::from_nanos(self.counts.len().checked_sub(1).map_or(0, upper_bound))
    }
}

/// Drops the empty buckets at the end, so that equal distributions compare
/// equal.
fn trim(counts: &mut Vec<u64>) {
    let len = counts.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
    counts.truncate(len);
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

    #[test]
    fn distributions_add_and_subtract_as_their_durations() {
        let (a, b) = (Histogram::new(), Histogram::new());
        for us in 1..=100u64 {
            a.record(Duration::from_micros(us));
        }
        for us in 1..=300u64 {
            b.record(Duration::from_micros(1000 + us));
        }
        let (a, b) = (a.distribution(), b.distribution());
        let mut sum = a.clone();
        sum.add(&b);
        assert_eq!(sum.count(), 400);
        let near = |d: Duration, us: f64| (d.as_secs_f64() * 1e6 - us).abs() <= us / 16.0;
        // Ranks 0..100 are `a`'s, 100..400 `b`'s.
        assert!(near(sum.quantile(0.5), 1100.0), "{:?}", sum.quantile(0.5));
        assert!(near(sum.quantile(0.1), 41.0), "{:?}", sum.quantile(0.1));
        assert!(near(sum.quantile(1.0), 1300.0), "{:?}", sum.quantile(1.0));
        assert_eq!(sum.fraction_within(Duration::from_micros(500)), 0.25);
        assert_eq!(sum.since(&a), b);
        assert_eq!(sum.since(&b), a);
        assert_eq!(sum.since(&sum), Distribution::default());
        assert_eq!(Distribution::default().quantile(0.5), Duration::ZERO);
        assert_eq!(Distribution::default().fraction_within(Duration::MAX), 0.0);
    }
}
