//! `binance-algo-sim`: the local Binance exchange simulator as a program,
//! for shells, demos and C tests. See `binance_algo::sim`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::thread;
use std::time::Duration;

use binance_algo::sim::{Fault, Sim, SimConfig};

const USAGE: &str = "\
Usage: binance-algo-sim [OPTIONS]

Local Binance exchange simulator on 127.0.0.1: DELETE /sapi/v1/algo/futures/order
(signed: HMAC-SHA256, Ed25519 or RSA), GET /api/v3/time, GET /sim/stats.

Options:
  --port N             port to listen on (default 0: any free port)
  --api-key K          API key to accept (default: $BINANCE_API_KEY, else sim-api-key)
  --secret-key S       HMAC secret (default: $BINANCE_SECRET_KEY, else sim-secret-key)
  --public-key-file P  check signatures against this Ed25519 or RSA public key instead
                       (SPKI PEM, as `openssl pkey -pubout` writes); not with --secret-key
  --open-ids LIST      open algo ids, comma-separated, ranges allowed: 1,2,100-199
                       (repeatable)
  --open-client-ids L  open client algo ids (clientAlgoId), comma-separated (repeatable);
                       they get algo ids 8000000000, 8000000001, ... in order, for --fault
  --fault ID=SPEC      fault for every cancel of algo id ID (repeatable); SPEC is one of
                       429[:S] 418[:S] 500 503 502html 404html slow:MS close
                       html200 truncated short huge stray
  --clock-offset-ms N  server clock = local clock + N (may be negative)
  --idle-timeout-ms N  close keep-alive connections idle for N ms, and requests
                       not whole N ms after their first byte (default 30000, 0 = never)
  --port-file PATH     once listening, write the port and a newline to PATH (atomically)
  --lifetime-s N       exit after N seconds (default 0: run until killed)
  --quiet              no per-request log on stderr
  --help               print this help

Prints one line on stdout once listening:
  binance-algo-sim listening on http://127.0.0.1:PORT
";

/// Largest id range one `--open-ids` item may expand to.
const MAX_RANGE: i64 = 1_000_000;

struct Options {
    cfg: SimConfig,
    port_file: Option<PathBuf>,
    lifetime: Option<Duration>,
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(opts)) => opts,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("binance-algo-sim: {e} (see --help)");
            return ExitCode::from(2);
        }
    };
    let sim = match Sim::start(opts.cfg) {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("binance-algo-sim: cannot start: {e}");
            // An unusable key is the caller's mistake, like a bad flag.
            return ExitCode::from(if e.kind() == io::ErrorKind::InvalidInput { 2 } else { 1 });
        }
    };
    if let Some(path) = &opts.port_file {
        if let Err(e) = write_port_file(path, sim.port()) {
            eprintln!("binance-algo-sim: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!("binance-algo-sim listening on {}", sim.base_url());
    let _ = io::stdout().flush();
    match opts.lifetime {
        Some(lifetime) => thread::sleep(lifetime),
        None => loop {
            thread::park();
        },
    }
    sim.stop();
    ExitCode::SUCCESS
}

/// `Ok(None)` means `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut cfg = SimConfig { log: true, ..SimConfig::default() };
    let (mut api_key, mut secret_key) = (None, None);
    let (mut port_file, mut lifetime) = (None, None);
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
            _ => (arg, None),
        };
        let takes_value = !matches!(flag.as_str(), "--help" | "-h" | "--quiet");
        if !takes_value && inline.is_some() {
            return Err(format!("{flag} takes no value"));
        }
        let value = if takes_value {
            inline.or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"))?
        } else {
            String::new()
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--quiet" => cfg.log = false,
            "--port" => cfg.port = number(&flag, &value)?,
            "--api-key" => api_key = Some(value),
            "--secret-key" => secret_key = Some(value),
            "--public-key-file" => {
                let pem = std::fs::read_to_string(&value).map_err(|e| format!("{flag}: cannot read {value}: {e}"))?;
                cfg.public_key_pem = Some(pem);
            }
            "--open-ids" => parse_ids(&value, &mut cfg.open_ids)?,
            "--open-client-ids" => {
                for id in value.split(',').map(str::trim) {
                    if id.is_empty() {
                        return Err(format!("{flag}: empty client algo id in {value:?}"));
                    }
                    cfg.open_client_ids.push(id.to_owned());
                }
            }
            "--fault" => cfg.faults.push(parse_fault(&value)?),
            "--clock-offset-ms" => cfg.clock_offset_ms = number(&flag, &value)?,
            "--idle-timeout-ms" => cfg.idle_timeout_ms = number(&flag, &value)?,
            "--port-file" => port_file = Some(PathBuf::from(value)),
            "--lifetime-s" => {
                let secs: u64 = number(&flag, &value)?;
                lifetime = (secs > 0).then(|| Duration::from_secs(secs));
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if secret_key.is_some() && cfg.public_key_pem.is_some() {
        return Err("--secret-key and --public-key-file are mutually exclusive".into());
    }
    let from_env = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    if let Some(key) = api_key.or_else(|| from_env("BINANCE_API_KEY")) {
        cfg.api_key = key;
    }
    if let Some(key) = secret_key.or_else(|| from_env("BINANCE_SECRET_KEY")) {
        cfg.secret_key = key;
    }
    Ok(Some(Options { cfg, port_file, lifetime }))
}

fn number<T: FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{flag}: bad number {value:?}"))
}

/// `1,2,100-199` appended to `ids`.
fn parse_ids(list: &str, ids: &mut Vec<i64>) -> Result<(), String> {
    let id = |s: &str| match s.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!("--open-ids: bad algo id {s:?} (positive integers only)")),
    };
    for item in list.split(',') {
        match item.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (id(first)?, id(last)?);
                if first > last || last - first >= MAX_RANGE {
                    return Err(format!("--open-ids: bad range {item:?}"));
                }
                ids.extend(first..=last);
            }
            None => ids.push(id(item)?),
        }
    }
    Ok(())
}

/// `ID=SPEC`.
fn parse_fault(value: &str) -> Result<(i64, Fault), String> {
    let (id, spec) = value.split_once('=').ok_or("--fault: expected ID=SPEC")?;
    let id = id.trim().parse().map_err(|_| format!("--fault: bad algo id {id:?}"))?;
    Ok((id, spec.parse::<Fault>().map_err(|e| format!("--fault: {e}"))?))
}

/// Written to a temporary name and renamed, so a reader never sees a
/// partial number.
fn write_port_file(path: &Path, port: u16) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    std::fs::write(&tmp, format!("{port}\n"))?;
    std::fs::rename(&tmp, path)
}
