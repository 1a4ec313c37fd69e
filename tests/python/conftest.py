"""pytest fixtures: fresh simulators on free loopback ports, and the binding.

Each simulator is target/release/binance-algo-sim (or $BINANCE_SIM), started
once per session with --port 0 --port-file and the simulator's own test keys;
it exits by itself after --lifetime-s even if this process is killed."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bindings" / "python"))

KEY, SECRET = "sim-api-key", "sim-secret-key"
OPEN_IDS = "14511,3001,3002,1000-1079,2000-2099,9007199254740993,9223372036854775807"
CLIENT_IDS = "py-order-1,py-order-2"
# 7000 answers after 500 ms (calls that wait for it), 7001 after 10 s (calls
# that must time out first; the simulator's stop cuts the wait short).
FAULTS = ["4290=429:30", "4180=418:120", "5000=500", "5030=503", "6000=close", "7000=slow:500", "7001=slow:10000"]

# An Ed25519 key pair (PKCS#8 and SPKI PEM), as in tests/features.rs.
ED25519_PRIVATE = (
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n"
)
ED25519_PUBLIC = (
    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n"
)


@contextlib.contextmanager
def simulator(*flags):
    """Runs a simulator with `flags`; yields its base URL."""
    sim = os.environ.get("BINANCE_SIM", str(ROOT / "target" / "release" / "binance-algo-sim"))
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        args = [sim, "--quiet", "--port", "0", "--port-file", str(port_file), "--lifetime-s", "300", *flags]
        env = dict(os.environ, BINANCE_API_KEY=KEY, BINANCE_SECRET_KEY=SECRET)
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, cwd=tmp)
        try:
            deadline = time.monotonic() + 10
            while not port_file.exists():  # written atomically once listening
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{sim} {' '.join(flags)} did not start")
                time.sleep(0.02)
            yield f"http://127.0.0.1:{port_file.read_text().strip()}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def sim_url():
    faults = [a for f in FAULTS for a in ("--fault", f)]
    with simulator("--open-ids", OPEN_IDS, "--open-client-ids", CLIENT_IDS, *faults) as url:
        yield url


@pytest.fixture(scope="session")
def ed25519_sim_url(tmp_path_factory):
    """A simulator that verifies Ed25519 signatures instead of HMAC ones."""
    public = tmp_path_factory.mktemp("keys") / "public.pem"
    public.write_text(ED25519_PUBLIC)
    with simulator("--open-ids", "1-9", "--public-key-file", str(public)) as url:
        yield url


@pytest.fixture
def client(sim_url):
    import binance_algo

    with binance_algo.Client(KEY, SECRET, base_url=sim_url) as c:
        yield c
