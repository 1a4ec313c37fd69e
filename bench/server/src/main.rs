//! Canned Binance for the benchmark: answers every
//! `DELETE /sapi/v1/algo/futures/order?algoId=N&...` with the exchange's real
//! success body and weight headers, over HTTP/1.1 keep-alive and over TLS,
//! and `GET /api/v3/time` (which the library asks before its first cancel).
//! It checks nothing (the bundled simulator verifies signatures; this one
//! only has to be cheaper than any client it serves).
//!
//! bench-server --cert PEM --key PEM [--cpu N] [--lifetime-s S]
//! Prints `http PORT` and `https PORT` on stdout, then serves until its
//! parent dies or the lifetime ends.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use std::{env, process, thread};

fn main() {
    let mut args = env::args().skip(1);
    let (mut cert, mut key, mut cpu, mut lifetime_s) = (None, None, None, 900u64);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| die(&format!("{a} needs a value")));
        match a.as_str() {
            "--cert" => cert = Some(value()),
            "--key" => key = Some(value()),
            "--cpu" => cpu = Some(value().parse().unwrap_or_else(|_| die("--cpu N"))),
            "--lifetime-s" => lifetime_s = value().parse().unwrap_or_else(|_| die("--lifetime-s S")),
            _ => die(&format!("unknown argument {a}")),
        }
    }
    let (cert, key) = (cert.unwrap_or_else(|| die("--cert")), key.unwrap_or_else(|| die("--key")));
    stop_by_itself(lifetime_s);
    if let Some(cpu) = cpu {
        // Every thread spawned later inherits this mask: the whole server
        // stays on its core and the clients keep the other one.
        pin_to(cpu);
    }

    let certs: Vec<_> = CertificateDer::pem_file_iter(&cert)
        .and_then(|it| it.collect::<Result<_, _>>())
        .unwrap_or_else(|e| die(&format!("{cert}: {e}")));
    let key = PrivateKeyDer::from_pem_file(&key).unwrap_or_else(|e| die(&format!("{key}: {e}")));
    let tls = Arc::new(
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
            .unwrap_or_else(|e| die(&format!("TLS config: {e}"))),
    );

    let http = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| die(&e.to_string()));
    let https = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| die(&e.to_string()));
    println!("http {}", http.local_addr().unwrap().port());
    println!("https {}", https.local_addr().unwrap().port());
    io::stdout().flush().ok();

    thread::spawn(move || accept(http, None));
    accept(https, Some(tls));
}

/// One thread per connection: the benchmark opens few of them, and a
/// blocking read/write pair is the cheapest server loop there is.
fn accept(listener: TcpListener, tls: Option<Arc<ServerConfig>>) {
    for stream in listener.incoming().flatten() {
        let tls = tls.clone();
        stream.set_nodelay(true).ok();
        thread::spawn(move || {
            let _ = match tls {
                None => serve(stream),
                Some(cfg) => match ServerConnection::new(cfg) {
                    Ok(conn) => serve(StreamOwned::new(conn, stream)),
                    Err(_) => Ok(()),
                },
            };
        });
    }
}

/// Reads requests until the peer closes; answers each with one write (one
/// TLS record, one TCP segment), as an exchange's front end does.
fn serve<S: Read + Write>(mut s: S) -> io::Result<()> {
    let mut buf = vec![0u8; 16 << 10];
    let (mut have, mut out) = (0usize, Vec::with_capacity(512));
    loop {
        while let Some(end) = find(&buf[..have], b"\r\n\r\n") {
            out.clear();
            respond(&buf[..end], &mut out);
            s.write_all(&out)?;
            s.flush()?;
            buf.copy_within(end + 4..have, 0);
            have -= end + 4;
        }
        if have == buf.len() {
            return Ok(()); // a head this large is not a cancel: drop it
        }
        match s.read(&mut buf[have..])? {
            0 => return Ok(()),
            n => have += n,
        }
    }
}

fn respond(head: &[u8], out: &mut Vec<u8>) {
    const CANCEL: &[u8] = b"DELETE /sapi/v1/algo/futures/order?";
    const TIME: &[u8] = b"GET /api/v3/time ";
    let id = head.strip_prefix(CANCEL).and_then(|q| {
        let q = &q[..q.iter().position(|&b| b == b' ').unwrap_or(q.len())];
        q.split(|&b| b == b'&').find_map(|kv| kv.strip_prefix(b"algoId="))
    });
    let (status, body) = match id {
        Some(id) if !id.is_empty() && id.iter().all(u8::is_ascii_digit) => (
            "200 OK",
            format!(r#"{{"algoId":{},"success":true,"code":0,"msg":"OK"}}"#, String::from_utf8_lossy(id)),
        ),
        _ if head.starts_with(TIME) => {
            let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
            ("200 OK", format!(r#"{{"serverTime":{ms}}}"#))
        }
        _ => ("404 Not Found", r#"{"code":-1,"msg":"not a cancel"}"#.to_owned()),
    };
    // Binance's headers for this endpoint, weights included (1 per cancel).
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\n\
         X-SAPI-USED-IP-WEIGHT-1M: 1\r\nX-SAPI-USED-UID-WEIGHT-1M: 1\r\n\r\n{body}",
        body.len()
    )
    .ok();
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) != 0 {
            eprintln!("bench-server: cannot pin to CPU {cpu}: {}", io::Error::last_os_error());
        }
    }
}

/// The server must never outlive the benchmark: it dies with its parent
/// (PR_SET_PDEATHSIG) or after `lifetime_s`, whichever comes first.
fn stop_by_itself(lifetime_s: u64) {
    // SAFETY: plain prctl with an integer argument.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
    thread::spawn(move || {
        thread::sleep(Duration::from_secs(lifetime_s));
        process::exit(0);
    });
}

fn die(msg: &str) -> ! {
    eprintln!("bench-server: {msg}");
    process::exit(2);
}
