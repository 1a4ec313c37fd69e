//! HTTPS: the client trusts exactly the roots it is given, checks the
//! certificate always, and a failed handshake is TRANSPORT (nothing sent).
//! Certificates are made at test time with the openssl command.

use binance_algo::engine::client::Client;
use binance_algo::engine::config::Config;
use binance_algo::engine::outcome::Kind;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const BODY: &str = r#"{"algoId":1,"success":true,"code":0,"msg":"OK"}"#;

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the openssl command is needed to make test certificates");
    assert!(status.success(), "openssl {args:?} failed");
}

/// A CA and a localhost leaf it signed, plus an unrelated CA.
fn certificates(name: &str) -> PathBuf {
    certificates_for(name, "DNS:localhost,IP:127.0.0.1")
}

/// The same, with the leaf's subjectAltName `san`.
fn certificates_for(name: &str, san: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("binance_algo_tls_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"];
    for ca in ["ca", "other-ca"] {
        let (key, pem) = (format!("{ca}.key"), format!("{ca}.pem"));
        let mut args = vec!["req", "-x509", "-keyout", &key, "-out", &pem, "-subj", "/CN=binance_algo test CA"];
        args.extend(ec);
        args.extend(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
        openssl(&dir, &args);
    }
    let mut args = vec!["req", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"];
    args.extend(ec);
    openssl(&dir, &args);
    std::fs::write(dir.join("leaf.ext"), format!("subjectAltName={san}\nextendedKeyUsage=serverAuth\n")).unwrap();
    openssl(
        &dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
        ],
    );
    dir
}

/// An HTTPS server answering every request with the success body; counts
/// TCP connections. Its thread ends when the listener is idle for 5 s.
fn serve(dir: &Path) -> (u16, Arc<AtomicUsize>) {
    let certs = CertificateDer::pem_file_iter(dir.join("leaf.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut idle = 0;
        while idle < 500 {
            let Ok((tcp, _)) = listener.accept() else {
                idle += 1;
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            idle = 0;
            count.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            std::thread::spawn(move || {
                tcp.set_nonblocking(false).unwrap();
                tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), tcp);
                let mut reader = BufReader::new(tls);
                loop {
                    let (mut first, mut line) = (String::new(), String::new());
                    // Request head: read to the blank line (a DELETE has no body).
                    loop {
                        line.clear();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" => break,
                            Ok(_) if first.is_empty() => first = line.clone(),
                            Ok(_) => {}
                        }
                    }
                    let body = if first.starts_with("GET /api/v3/time ") {
                        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
                        format!("{{\"serverTime\":{}}}", now.as_millis())
                    } else {
                        BODY.to_owned()
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if reader.get_mut().write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, accepted)
}

fn config(url: &str) -> Config {
    let mut cfg = Config::default();
    cfg.set_api_key("key").unwrap();
    cfg.set_secret_key("secret").unwrap();
    cfg.set_base_url(url).unwrap();
    cfg
}

#[test]
fn trusted_ca_file_gives_a_kept_alive_https_connection() {
    let dir = certificates("ok");
    let (port, accepted) = serve(&dir);
    for host in ["localhost", "127.0.0.1"] {
        let mut cfg = config(&format!("https://{host}:{port}"));
        cfg.set_ca_file(dir.join("ca.pem").to_str().unwrap()).unwrap();
        let client = Client::new(&cfg).unwrap();
        for _ in 0..3 {
            let out = client.cancel(1);
            assert_eq!(out.kind, Kind::Ok, "{host}: {}", out.message);
            assert_eq!(out.body.as_deref(), Some(BODY));
        }
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "one TLS connection per client, reused");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_untrusted_certificate_is_refused_before_sending() {
    let dir = certificates("bad");
    let (port, _) = serve(&dir);
    let url = format!("https://localhost:{port}");
    // Mozilla's roots (the default) do not include the test CA.
    let out = Client::new(&config(&url)).unwrap().cancel(1);
    assert_eq!((out.kind, out.http_status), (Kind::Transport, 0), "{}", out.message);
    assert!(out.message.contains("not sent") && out.message.to_lowercase().contains("certificate"), "{}", out.message);
    // Nor does a CA file holding another CA.
    let mut cfg = config(&url);
    cfg.set_ca_file(dir.join("other-ca.pem").to_str().unwrap()).unwrap();
    assert_eq!(Client::new(&cfg).unwrap().cancel(1).kind, Kind::Transport);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_trusted_certificate_for_another_name_is_refused_before_sending() {
    let dir = certificates_for("name", "DNS:other.example");
    let (port, _) = serve(&dir);
    for host in ["localhost", "127.0.0.1"] {
        let mut cfg = config(&format!("https://{host}:{port}"));
        cfg.set_ca_file(dir.join("ca.pem").to_str().unwrap()).unwrap();
        let out = Client::new(&cfg).unwrap().cancel(1);
        assert_eq!((out.kind, out.http_status), (Kind::Transport, 0), "{host}: {}", out.message);
        assert!(
            out.message.contains("not sent") && out.message.to_lowercase().contains("certificate"),
            "{}",
            out.message
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
