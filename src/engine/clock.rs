//! Server time. Binance rejects (-1021, not executed) a timestamp more than
//! 1000 ms ahead of its clock or older than recvWindow, and drift of the
//! local clock is the most common failure of Binance clients, so the client
//! signs with local time plus a measured offset.

use super::outcome::{Kind, Outcome};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

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

/// Clock syncs, one at a time. A thread that finds one running waits for it,
/// but only until its own deadline, and then takes its result: the clock is
/// not measured twice over, and a slow sync cannot hold another call past
/// its total timeout.
#[derive(Debug, Default)]
pub struct SyncGate {
    state: Mutex<GateState>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    running: bool,
    /// Syncs finished so far, and the last one's result.
    finished: u64,
    last: Option<Result<i64, Box<Outcome>>>,
}

/// What `SyncGate::enter` leaves a thread to do.
pub enum Turn<'a> {
    /// Sync now; the others wait until the turn is finished or dropped.
    Mine(SyncTurn<'a>),
    /// Another thread's sync finished while this one waited: its result.
    Shared(Result<i64, Box<Outcome>>),
    /// The deadline passed while another thread's sync ran.
    TimedOut,
}

impl SyncGate {
    pub fn enter(&self, deadline: Instant) -> Turn<'_> {
        let mut state = self.lock();
        let arrived = state.finished;
        while state.running {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Turn::TimedOut;
            }
            state = self.done.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        if state.finished != arrived {
            return Turn::Shared(state.last.clone().unwrap_or_else(|| Err(sync_panicked())));
        }
        state.running = true;
        Turn::Mine(SyncTurn { gate: self, result: None })
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The right to sync; dropping it (even in a panic) lets the others go on.
pub struct SyncTurn<'a> {
    gate: &'a SyncGate,
    result: Option<Result<i64, Box<Outcome>>>,
}

impl SyncTurn<'_> {
    /// Hands `result` to the threads waiting for this sync.
    pub fn finish(mut self, result: Result<i64, Box<Outcome>>) {
        self.result = Some(result);
    }
}

impl Drop for SyncTurn<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.running = false;
        state.finished += 1;
        state.last = Some(self.result.take().unwrap_or_else(|| Err(sync_panicked())));
        self.gate.done.notify_all();
    }
}

fn sync_panicked() -> Box<Outcome> {
    Box::new(Outcome::without_answer(Kind::Internal, "internal error: a clock sync panicked"))
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
