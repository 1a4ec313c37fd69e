//! The TCP socket under ureq (and under its rustls layer), made for one short
//! request per call on a kept-alive connection.
//!
//! ureq's own TCP transport spends eight syscalls per call besides the one
//! write and one read: it probes the connection (non-blocking toggle, read,
//! toggle back) both when the pool takes it back and when it hands it out,
//! and it sets both socket timeouts again on every call because the remaining
//! budget shrinks by microseconds. This one probes once, with one syscall,
//! when the connection is handed out, and sets a timeout only when its
//! whole-millisecond value changes. Unlike a plain socket timeout, which
//! Linux fires up to an eighth late, every read and write ends by its
//! deadline to the millisecond.

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use socket2::SockRef;
use std::io::{self, Read};
use std::mem::MaybeUninit;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use std::{cmp, fmt};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, LazyBuffers, NextTimeout, ShutdownHandle, Transport};

/// The least time one address gets when several share the connect budget.
const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);

/// Linux fires a socket timeout late by up to an eighth of it plus a tick or
/// two (its timer wheel rounds up): 240 ms on a 10 s timeout. So a socket
/// timeout is only ever 3/4 of the time left (firing early, it just goes
/// round again), and the last of it is waited for with ppoll, whose timer
/// is exact (one more syscall per read in that stretch).
const PRECISE_BELOW: Duration = Duration::from_millis(200);

fn socket_timeout(left: Duration) -> Duration {
    left * 3 / 4
}

/// Waits with ppoll until `stream` is ready (to read: data, end or error)
/// or `left` is over (TimedOut); false when a signal cut the wait short.
fn ready_within(stream: &TcpStream, read: bool, left: Duration) -> io::Result<bool> {
    let mut fds = [PollFd::new(stream, if read { PollFlags::IN } else { PollFlags::OUT })];
    let timeout = Timespec { tv_sec: left.as_secs() as _, tv_nsec: left.subsec_nanos().into() };
    match poll(&mut fds, Some(&timeout)) {
        Ok(0) => Err(io::ErrorKind::TimedOut.into()),
        Ok(_) => Ok(true),
        Err(Errno::INTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// One read (`read`) or write on `stream`, ending by `deadline` to the
/// millisecond (see PRECISE_BELOW). In the last stretch a read waits for
/// data with ppoll first, and a write goes out without blocking (`op` is told
/// so), waiting with ppoll only for room. Linux does not restart a socket
/// call that has a timeout: EINTR goes round, as does a socket timeout that
/// fired early (EAGAIN; not ETIMEDOUT, which is TCP giving up).
fn within_deadline(
    stream: &TcpStream,
    deadline: Option<Instant>,
    now_set: &mut Option<u64>,
    read: bool,
    mut op: impl FnMut(&TcpStream, bool) -> io::Result<usize>,
) -> io::Result<usize> {
    let set: fn(&TcpStream, Option<Duration>) -> io::Result<()> =
        if read { TcpStream::set_read_timeout } else { TcpStream::set_write_timeout };
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Err(io::ErrorKind::TimedOut.into());
        }
        let last_stretch = left.filter(|l| *l < PRECISE_BELOW);
        if let Some(left) = last_stretch.filter(|_| read) {
            if !ready_within(stream, true, left)? {
                continue;
            }
        }
        // In the last stretch the call does not block: no socket timeout.
        let nonblocking = last_stretch.is_some();
        if !nonblocking {
            update(stream, now_set, left.map(socket_timeout), set)?;
        }
        match op(stream, nonblocking) {
            // Room for the write, or the deadline; then round again.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && nonblocking && !read => {
                ready_within(stream, false, last_stretch.unwrap_or_default())?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && deadline.is_some() => {}
            done => return done,
        }
    }
}

/// Shared by a pool's connections: `retire_all` has the pool close every
/// connection opened so far instead of reusing it.
#[derive(Debug, Clone, Default)]
pub struct Generations(Arc<AtomicU64>);

impl Generations {
    pub fn retire_all(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn current(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub struct Tcp {
    /// Shared weakly with the ureq Agent, which may shut it down.
    stream: Arc<TcpStream>,
    generations: Generations,
    born: u64,
    buffers: LazyBuffers,
    /// The timeouts now set on the socket, in whole milliseconds.
    read_ms: Option<u64>,
    write_ms: Option<u64>,
    /// Bytes moved since the last `is_open`.
    used: bool,
}

impl Tcp {
    fn new(stream: TcpStream, buffers: LazyBuffers, generations: &Generations) -> Self {
        let (generations, born) = (generations.clone(), generations.current());
        Tcp { stream: Arc::new(stream), generations, born, buffers, read_ms: None, write_ms: None, used: false }
    }
}

impl fmt::Debug for Tcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tcp").field("peer", &self.stream.peer_addr().ok()).finish()
    }
}

/// Connects to the first resolved address that answers, sharing the connect
/// budget among the addresses still to try.
pub fn connect(details: &ConnectionDetails, generations: &Generations) -> Result<Tcp, ureq::Error> {
    let stream = first_answering(&details.addrs, details.timeout)?;
    if details.config.no_delay() {
        stream.set_nodelay(true)?;
    }
    let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
    let tcp = Tcp::new(stream, buffers, generations);
    (details.register_shutdown)(Arc::downgrade(&tcp.stream) as Weak<dyn ShutdownHandle>)?;
    Ok(tcp)
}

/// A budget already spent fails here: ureq's own rounding would give a zero
/// budget a fresh second.
fn first_answering(addrs: &[SocketAddr], budget: NextTimeout) -> Result<TcpStream, ureq::Error> {
    let budget_left = remaining(budget)?;
    let started = Instant::now();
    let mut last = None;
    for (i, addr) in addrs.iter().enumerate() {
        let left = budget_left.map(|t| t.saturating_sub(started.elapsed()));
        if left.is_some_and(|l| l.is_zero()) {
            return Err(ureq::Error::Timeout(budget.reason));
        }
        let share = left.map(|l| cmp::min(l, cmp::max(l / (addrs.len() - i) as u32, MIN_PER_ADDRESS)));
        match connect_one(addr, share) {
            Ok(stream) => return Ok(stream),
            Err(e) if is_timeout(&e) => last = Some(ureq::Error::Timeout(budget.reason)),
            Err(e) => last = Some(e.into()),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address to connect to").into()))
}

fn connect_one(addr: &SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    match timeout {
        Some(t) => TcpStream::connect_timeout(addr, t),
        None => TcpStream::connect(addr),
    }
}

/// A socket timeout expiring shows as EAGAIN on Linux, ETIMEDOUT elsewhere.
fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// The budget left for one read or write; an expired one fails here, since a
/// socket cannot be given a zero timeout.
fn remaining(timeout: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
    if timeout.after.is_zero() {
        return Err(ureq::Error::Timeout(timeout.reason));
    }
    Ok(timeout.not_zero().map(|t| *t))
}

/// Sets a socket timeout unless it already has this value in whole
/// milliseconds. Rounding down keeps every deadline (it can fire up to 1 ms
/// early, finer than the kernel's own tick) and lets consecutive calls, whose
/// budgets differ by microseconds, skip the syscall.
fn update(
    stream: &TcpStream,
    now_set: &mut Option<u64>,
    timeout: Option<Duration>,
    set: fn(&TcpStream, Option<Duration>) -> io::Result<()>,
) -> io::Result<()> {
    let ms = timeout.map(|t| cmp::max(t.as_millis(), 1) as u64);
    if ms != *now_set {
        set(stream, ms.map(Duration::from_millis))?;
        *now_set = ms;
    }
    Ok(())
}

fn io_error(e: io::Error, reason: ureq::Timeout) -> ureq::Error {
    if is_timeout(&e) {
        ureq::Error::Timeout(reason)
    } else {
        e.into()
    }
}

impl Transport for Tcp {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let timeout = timeout.for_write();
        let deadline = remaining(timeout)?.map(|budget| Instant::now() + budget);
        self.used = true;
        let mut output = &self.buffers.output()[..amount];
        while !output.is_empty() {
            // MSG_NOSIGNAL, as std's own write: a peer's close must not raise
            // SIGPIPE in a C host that has not ignored it.
            let write = |s: &TcpStream, nonblocking: bool| {
                let flags = libc::MSG_NOSIGNAL | if nonblocking { libc::MSG_DONTWAIT } else { 0 };
                SockRef::from(s).send_with_flags(output, flags)
            };
            match within_deadline(&self.stream, deadline, &mut self.write_ms, false, write) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => output = &output[n..],
                Err(e) => return Err(io_error(e, timeout.reason)),
            }
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let timeout = timeout.for_read();
        let deadline = remaining(timeout)?.map(|budget| Instant::now() + budget);
        self.used = true;
        let input = self.buffers.input_append_buf();
        let read = within_deadline(&self.stream, deadline, &mut self.read_ms, true, |mut s, _| s.read(input))
            .map_err(|e| io_error(e, timeout.reason))?;
        self.buffers.input_appended(read);
        Ok(read > 0)
    }

    /// ureq asks this when its pool takes the connection back, right after the
    /// answer was read, and again when it hands the connection out. Only the
    /// second can see anything new (the server closed it, or sent bytes nobody
    /// asked for, while it sat idle), and it would see all the first could.
    /// A retired connection is never open.
    fn is_open(&mut self) -> bool {
        self.generations.current() == self.born && (std::mem::take(&mut self.used) || idle_and_open(&self.stream))
    }
}

/// Open, with nothing waiting to be read: one non-blocking peek (std alone
/// would need the socket switched to non-blocking and back, three syscalls).
fn idle_and_open(stream: &TcpStream) -> bool {
    let peeked =
        SockRef::from(stream).recv_with_flags(&mut [MaybeUninit::uninit()], libc::MSG_PEEK | libc::MSG_DONTWAIT);
    matches!(peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn pair() -> (Tcp, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Tcp::new(client, LazyBuffers::new(1024, 1024), &Generations::default()), server)
    }

    #[test]
    fn a_timeout_is_set_again_only_when_its_whole_milliseconds_change() {
        let (tcp, _server) = pair();
        let mut now_set = None;
        let mut set_to = |micros: Option<u64>| {
            update(&tcp.stream, &mut now_set, micros.map(Duration::from_micros), TcpStream::set_read_timeout).unwrap();
            tcp.stream.read_timeout().unwrap()
        };
        // The kernel keeps timeouts in ticks: read back, they are near, not equal.
        let near = |got: Option<Duration>, ms: u64| {
            got.is_some_and(|d| d.abs_diff(Duration::from_millis(ms)).as_millis() < 20)
        };
        assert!(near(set_to(Some(9_000_900)), 9_000));
        // Behind its back: an update that is skipped leaves this in place.
        tcp.stream.set_read_timeout(Some(Duration::from_secs(77))).unwrap();
        assert_eq!(set_to(Some(9_000_100)), Some(Duration::from_secs(77)), "same whole ms: no syscall");
        assert!(near(set_to(Some(7_000_100)), 7_000));
        let tiny = set_to(Some(300)).unwrap();
        assert!(!tiny.is_zero() && tiny < Duration::from_millis(20), "never zero: {tiny:?}");
        assert_eq!(set_to(None), None);
    }

    #[test]
    fn a_socket_timeout_cannot_fire_past_the_deadline() {
        // The timer wheel's worst: an eighth late, plus two ticks of 10 ms (HZ=100).
        for ms in [200, 250, 1_000, 10_000, 600_000] {
            let timer = socket_timeout(Duration::from_millis(ms));
            assert!(timer + timer / 8 + Duration::from_millis(20) < Duration::from_millis(ms), "{ms} ms");
        }
    }

    #[test]
    fn a_socket_timeout_that_fires_early_goes_round_for_the_rest() {
        let (mut tcp, mut server) = pair();
        // Past the socket's 1.5 s (even an eighth late), well before 2 s.
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1800));
            server.write_all(b"late").unwrap();
            server
        });
        let budget = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::Exact(Duration::from_secs(2)),
            reason: ureq::Timeout::RecvResponse,
            per_read: None,
            per_write: None,
        };
        assert!(tcp.await_input(budget).unwrap());
        assert_eq!(tcp.buffers.input(), b"late");
        late.join().unwrap();
    }

    #[test]
    fn a_spent_budget_connects_nowhere() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let spent = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::Exact(Duration::ZERO),
            reason: ureq::Timeout::Connect,
            per_read: None,
            per_write: None,
        };
        let got = first_answering(&[listener.local_addr().unwrap()], spent);
        assert!(matches!(got, Err(ureq::Error::Timeout(ureq::Timeout::Connect))), "{got:?}");
        assert!(listener.accept().is_err(), "no connection was made");
    }

    #[test]
    fn only_an_idle_quiet_connection_is_open() {
        let (mut tcp, mut server) = pair();
        assert!(tcp.is_open());
        server.write_all(b"x").unwrap();
        // Right after I/O (the pool taking the connection back) it is not probed...
        tcp.used = true;
        tcp.stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(tcp.stream.peek(&mut [0]).unwrap(), 1, "the byte has arrived");
        assert!(tcp.is_open());
        // ...but before reuse it is, and the stray byte condemns it.
        assert!(!tcp.is_open());
        let (mut tcp, server) = pair();
        drop(server);
        tcp.stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(tcp.stream.peek(&mut [0]).unwrap(), 0, "the close has arrived");
        assert!(!tcp.is_open(), "closed by the peer");
    }
}
