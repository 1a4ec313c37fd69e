//! Server time. Binance rejects (-1021, not executed) a timestamp more than
//! 1000 ms ahead of its clock or older than recvWindow, and drift of the
//! local clock is the most common failure of Binance clients, so the client
//! signs with local time plus a measured offset.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

/// After a failed automatic sync, the next automatic one waits this long, so
/// a server without a time endpoint does not cost a round trip per call.
const AUTO_SYNC_BACKOFF_MS: i64 = 30_000;

/// Local wall-clock time in Unix milliseconds.
pub fn local_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Debug, Default)]
pub struct Clock {
    /// Server time minus local time.
    offset_ms: AtomicI64,
    synced: AtomicBool,
    /// Local time of the last failed sync; 0 when none.
    failed_at_ms: AtomicI64,
}

impl Clock {
    /// The timestamp to sign with: the server's time as best known.
    pub fn now_ms(&self) -> i64 {
        local_ms().saturating_add(self.offset_ms.load(Relaxed))
    }

    /// The measured offset (server minus local), once a sync succeeded.
    pub fn offset_ms(&self) -> Option<i64> {
        self.synced.load(Relaxed).then(|| self.offset_ms.load(Relaxed))
    }

    /// Records a server time read between local times `sent` and `received`:
    /// the server stamped it about half a round trip after sending.
    pub fn record(&self, server_ms: i64, sent_ms: i64, received_ms: i64) -> i64 {
        let midpoint = sent_ms + (received_ms - sent_ms) / 2;
        let offset = server_ms.saturating_sub(midpoint);
        self.offset_ms.store(offset, Relaxed);
        self.synced.store(true, Relaxed);
        offset
    }

    pub fn record_failure(&self) {
        self.failed_at_ms.store(local_ms(), Relaxed);
    }

    /// Whether a call should sync before signing: never synced, and no
    /// failed attempt in the last AUTO_SYNC_BACKOFF_MS.
    pub fn wants_sync(&self) -> bool {
        let failed_at = self.failed_at_ms.load(Relaxed);
        !self.synced.load(Relaxed) && (failed_at == 0 || local_ms() - failed_at >= AUTO_SYNC_BACKOFF_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_accounts_for_half_the_round_trip() {
        let clock = Clock::default();
        assert_eq!(clock.offset_ms(), None);
        assert!(clock.wants_sync());
        // Sent at 1000, answered at 1100: the server read 11_050 at ~1050.
        assert_eq!(clock.record(11_050, 1_000, 1_100), 10_000);
        assert_eq!(clock.offset_ms(), Some(10_000));
        assert!(!clock.wants_sync());
        let now = clock.now_ms();
        assert!((now - local_ms() - 10_000).abs() < 1_000, "{now}");
        assert_eq!(clock.record(-2_000 + 5_000, 5_000, 5_000), -2_000);
    }

    #[test]
    fn a_failure_delays_the_next_automatic_sync() {
        let clock = Clock::default();
        clock.record_failure();
        assert!(!clock.wants_sync());
    }
}
