"""Tests of bindings/python/binance_algo against the bundled simulator (see
conftest.py for the open ids and scripted faults; each test uses its own ids)."""

import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import binance_algo
from binance_algo import Status, _native
from conftest import ED25519_PRIVATE, KEY, ROOT, SECRET

HEADER = (ROOT / "include" / "binance_algo.h").read_text()


def header_declarations():
    """{name: (return type, [parameter types])} for every function in the header."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", HEADER, flags=re.S)
    decls = {}
    for ret, name, params in re.findall(r"^([A-Za-z][\w\s\*]*?)\s*\b(binance_\w+)\(([^)]*)\);", code, re.M):
        types = [re.sub(r"\s*\b\w+$", "", p.strip()) for p in params.split(",") if p.strip() != "void"]
        decls[name] = (ret.strip(), [re.sub(r"\s+", " ", t) for t in types if t])
    return decls


def ctype_of(c_type):
    """The ctypes type _native must declare for a C type of the header."""
    exact = {
        "void": None,
        "int": ctypes.c_int,
        "enum binance_status": ctypes.c_int,  # repr(C)
        "enum binance_log_kind": ctypes.c_int,
        "void *": ctypes.c_void_p,  # user_data
        "binance_sign_fn": _native.SIGN_FN,
        "binance_log_fn": _native.LOG_FN,
        "int32_t": ctypes.c_int32,
        "int64_t": ctypes.c_int64,
        "int64_t *": ctypes.POINTER(ctypes.c_int64),
        "const char *": ctypes.c_char_p,  # borrowed or static: ctypes copies it
        "char *": ctypes.c_void_p,  # owned: goes back to binance_string_free
    }
    if c_type in exact:
        return exact[c_type]
    if c_type.endswith("**"):  # out-parameter for a handle or an owned string
        return ctypes.POINTER(ctypes.c_void_p)
    if re.fullmatch(r"(const )?struct binance_\w+ \*", c_type):  # handles
        return ctypes.c_void_p
    raise AssertionError(f"new kind of C type {c_type!r}: decide how _native declares it")


def test_signatures_match_header_exactly():
    decls = header_declarations()
    assert len(decls) >= 25
    assert set(_native._SIGNATURES) == set(decls)
    for name, (ret, params) in decls.items():
        restype, argtypes = _native._SIGNATURES[name]
        assert restype == ctype_of(ret), name
        assert argtypes == [ctype_of(p) for p in params], name
        fn = getattr(_native.lib, name)
        assert (fn.restype, fn.argtypes) == (restype, argtypes), name


def header_enums():
    """{enum name: {member: value}} for every enum of the header."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", HEADER, flags=re.S)
    return {
        name: {m: int(v) for m, v in re.findall(r"(\w+) = (\d+)", body)}
        for name, body in re.findall(r"typedef enum (\w+) \{(.*?)\} \1;", code, re.S)
    }


def test_enums_and_log_event_match_header():
    enums = header_enums()
    assert enums.keys() == {"binance_status", "binance_log_kind"}
    # Each ends with a range marker that is not a value (BINANCE_STATUS_MAX_ENUM).
    assert enums["binance_status"].pop("BINANCE_STATUS_MAX_ENUM") == 0x7FFFFFFF
    assert enums["binance_log_kind"].pop("BINANCE_LOG_KIND_MAX_ENUM") == 0x7FFFFFFF
    assert enums["binance_status"] == {m.name: m.value for m in Status}
    assert enums["binance_log_kind"] == {m.name: m.value for m in binance_algo.LogKind}
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", HEADER, flags=re.S)
    (body,) = re.findall(r"typedef struct binance_log_event \{(.*?)\} binance_log_event;", code, re.S)
    members = [re.match(r"(.*?)\s*\b(\w+)$", m.strip()).groups() for m in body.split(";") if m.strip()]
    assert [(name, ctype_of(re.sub(r"\s+", " ", t))) for t, name in members] == _native.LogEventC._fields_


def test_version_and_status_names():
    macros = dict(re.findall(r"#define BINANCE_ALGO_VERSION_(MAJOR|MINOR|PATCH) (\d+)", HEADER))
    assert binance_algo.version() == "{MAJOR}.{MINOR}.{PATCH}".format(**macros)
    assert _native.ABI_MAJOR == int(macros["MAJOR"])
    assert _native.SONAME == f"libbinance_algo.so.{macros['MAJOR']}"
    for status in Status:
        assert _native.lib.binance_status_str(status).decode() == status.name
    assert _native.lib.binance_status_str(99) == b"unknown status"


def test_ok(client):
    r = client.cancel(14511)
    assert r.ok and r.status is Status.BINANCE_OK
    assert r.body == '{"algoId":14511,"success":true,"code":0,"msg":"OK"}'
    assert (r.http_status, r.code, r.msg, r.retry_after_s) == (200, 0, "OK", None)
    assert r.weight_ip_1m >= 1 and r.weight_uid_1m >= 1 and r.message and r.attempts == 1


def test_rejected(client, sim_url):
    assert client.cancel(3001).ok
    with pytest.raises(binance_algo.Rejected) as e:
        client.cancel(3001)
    assert (e.value.status, e.value.http_status, e.value.code) == (Status.BINANCE_ERR_REJECTED, 400, -20124)
    assert e.value.msg == "Invalid algo id or it has been completed."
    assert "-20124" in e.value.body and str(e.value).startswith("BINANCE_ERR_REJECTED: ")

    with binance_algo.Client("not-the-key", "not-the-secret", base_url=sim_url) as wrong:
        with pytest.raises(binance_algo.Rejected) as e:
            wrong.cancel(2000)
    assert (e.value.http_status, e.value.code) == (401, -2015)
    assert "not-the" not in str(e.value) and "not-the" not in repr(e.value.result)


@pytest.mark.parametrize("algo_id, http, retry_after", [(4290, 429, 30), (4180, 418, 120)])
def test_rate_limited(client, algo_id, http, retry_after):
    with pytest.raises(binance_algo.RateLimited) as e:
        client.cancel(algo_id)
    assert (e.value.http_status, e.value.retry_after_s) == (http, retry_after)


@pytest.mark.parametrize("algo_id, http, code", [(5000, 500, -1001), (5030, 503, -1007), (6000, 0, 0)])
def test_unknown_outcome(client, algo_id, http, code):
    with pytest.raises(binance_algo.UnknownOutcome) as e:
        client.cancel(algo_id)
    assert (e.value.http_status, e.value.code) == (http, code)
    assert "may have been" in e.value.message


def test_transport():
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    with binance_algo.Client(KEY, SECRET, base_url=dead, clock_sync=False, max_retries=0) as c:
        with pytest.raises(binance_algo.TransportError) as e:
            c.cancel(14511)
        with pytest.raises(binance_algo.TransportError):
            c.sync_clock()
    assert e.value.http_status == 0 and e.value.body is None and "safe to retry" in e.value.message
    assert e.value.attempts == 1  # max_retries reached the library


def test_clock(client):
    r = client.sync_clock()
    assert r.ok and r.http_status == 200 and r.body is None
    assert isinstance(client.clock_offset_ms, int) and abs(client.clock_offset_ms) < 60000
    client.close()
    with pytest.raises(binance_algo.InvalidArgument):
        client.clock_offset_ms
    with pytest.raises(binance_algo.InvalidArgument):
        client.sync_clock()


@pytest.mark.parametrize("algo_id", [0, -1, -(2**63), 2**63, 2**64 + 2000, -(2**63) - 1])
def test_invalid_ids_send_nothing(client, algo_id):
    with pytest.raises(binance_algo.InvalidArgument) as e:
        client.cancel(algo_id)
    assert e.value.status is Status.BINANCE_ERR_INVALID_ARGUMENT and e.value.http_status == 0
    assert e.value.attempts == 0


@pytest.mark.parametrize("algo_id", [1.0, True, "2001", None])
def test_non_int_ids(client, algo_id):
    with pytest.raises(TypeError):
        client.cancel(algo_id)


def test_every_status_class():
    assert set(binance_algo._ERRORS) == set(Status) - {Status.BINANCE_OK}
    assert binance_algo._ERRORS[Status.BINANCE_ERR_SIGNER] is binance_algo.SignerError
    for status, cls in binance_algo._ERRORS.items():
        err = binance_algo._error(status, "x")
        assert type(err) is cls and isinstance(err, binance_algo.BinanceError) and err.status is status
    assert type(binance_algo._error(Status.BINANCE_ERR_INTERNAL, "x")) is binance_algo.InternalError
    future = binance_algo._error(99, "x")  # a status newer than this package
    assert type(future) is binance_algo.BinanceError and future.status == 99


def test_try_cancel_reports_without_raising(client):
    assert client.try_cancel(2002).ok
    r = client.try_cancel(2002)
    assert (r.ok, r.status, r.code) == (False, Status.BINANCE_ERR_REJECTED, -20124)
    assert client.try_cancel(0).status is Status.BINANCE_ERR_INVALID_ARGUMENT


@pytest.mark.parametrize("algo_id", [2**53 + 1, 2**63 - 1])
def test_big_ids(client, algo_id):
    assert f'"algoId":{algo_id},' in client.cancel(algo_id).body


def test_threads_share_one_client(client):
    def run(first):  # ten open ids, then the first again (already cancelled)
        results = [client.try_cancel(first + i) for i in range(10)] + [client.try_cancel(first)]
        return [r.status for r in results], results[-1].code

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(run, range(1000, 1080, 10)))
    for statuses, last_code in outcomes:
        assert statuses == [Status.BINANCE_OK] * 10 + [Status.BINANCE_ERR_REJECTED] and last_code == -20124


def test_close_waits_for_calls_in_flight(sim_url):
    client = binance_algo.Client(KEY, SECRET, base_url=sim_url)
    seen = []
    worker = threading.Thread(target=lambda: seen.append(client.try_cancel(7000)))
    worker.start()
    deadline = time.monotonic() + 10
    while not client._in_flight and time.monotonic() < deadline:  # the call is in flight (a 500 ms answer)
        time.sleep(0.005)
    time.sleep(0.1)  # past counting it, into C (a call counted but not yet in C may find the client closed)
    client.close()
    # close() returns once the C call has; the worker appends just after it.
    worker.join()
    assert seen and seen[0].http_status == 400  # a real answer, not a freed client
    client.close()  # idempotent
    with pytest.raises(binance_algo.InvalidArgument):
        client.cancel(2003)  # the C library refuses the NULL client


def test_exit_leaves_a_client_in_use_alone(sim_url):
    # A daemon thread is inside a slow cancel when the interpreter exits: the
    # client must not be freed under it (the exit handlers run while it waits).
    script = f"""
import threading, time, binance_algo
binance_algo._lib.binance_client_free = lambda handle: print("freed", flush=True)
client = binance_algo.Client({KEY!r}, {SECRET!r}, base_url={sim_url!r})
threading.Thread(target=client.try_cancel, args=(7001,), daemon=True).start()
deadline = time.monotonic() + 10
while not client._in_flight and time.monotonic() < deadline:
    time.sleep(0.005)
print("in flight" if client._in_flight else "never started", flush=True)
"""
    r = _run(["-c", script], PYTHONPATH=str(ROOT / "bindings" / "python"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["in", "flight"]


def test_close_from_inside_a_call_is_refused_not_a_deadlock(sim_url):
    refused = []

    def log(event):
        try:
            client.close()
        except RuntimeError as e:
            refused.append(str(e))

    client = binance_algo.Client(KEY, SECRET, base_url=sim_url, logger=log)
    assert client.cancel(2050).ok
    assert refused and "wait for itself" in refused[0]
    client.close()  # outside any call: fine
    with pytest.raises(binance_algo.InvalidArgument) as e:
        client.presign_cancel(2051)
    assert "closed" in e.value.message


def test_context_manager_and_collection(sim_url):
    with binance_algo.Client(KEY, SECRET, base_url=sim_url) as c:
        assert c.cancel(2004).ok
    assert not c._free.alive
    c = binance_algo.Client(KEY, SECRET, base_url=sim_url)
    free = c._free
    del c  # never closed: freed when collected
    assert not free.alive


def test_every_owned_string_is_freed(client, monkeypatch):
    real, freed = _native.lib.binance_string_free, []
    monkeypatch.setattr(_native.lib, "binance_string_free", lambda p: (freed.append(p.value), real(p)))
    bodies = [client.try_cancel(i).body for i in (2005, 2005, 5000, 6000, 0)]
    assert [b is not None for b in bodies] == [True, True, True, False, False]
    assert len([p for p in freed if p]) == 3 and len(freed) == 5


def test_settings(sim_url):
    ok = dict(base_url=sim_url)
    key, secret = KEY.encode(), bytearray(SECRET.encode())  # bytes-like keys work too
    settings = dict(recv_window_ms=60000, timeouts_ms=(500, 2000), clock_sync=True, max_retries=10)
    with binance_algo.Client(key, secret, **settings, **ok) as c:
        assert c.cancel(2006).ok
    bad = [
        ("", SECRET, ok),
        (KEY + "\0x", SECRET, ok),
        (KEY, "with space", ok),
        (KEY, SECRET, dict(base_url="ftp://127.0.0.1")),
        (KEY, SECRET, dict(ok, recv_window_ms=0)),
        (KEY, SECRET, dict(ok, recv_window_ms=2**64 + 5000)),  # ctypes would wrap it to 5000
        (KEY, SECRET, dict(ok, timeouts_ms=(0, 1000))),
        (KEY, SECRET, dict(ok, ca_file="/nonexistent/ca.pem")),
        (KEY, SECRET, dict(ok, max_retries=11)),
        (KEY, SECRET, dict(ok, max_retries=2**32 + 1)),  # ctypes would wrap it to 1
        (KEY, None, ok),  # no way to sign
        (KEY, None, dict(ok, private_key="not a key")),
        (KEY, None, dict(ok, private_key=ED25519_PRIVATE + "\0")),
        (KEY, None, dict(ok, private_key_file="/nonexistent/key.pem")),
    ]
    for key, secret, kwargs in bad:
        with pytest.raises(binance_algo.InvalidArgument) as e:
            binance_algo.Client(key, secret, **kwargs)
        assert SECRET not in str(e.value) and "with space" not in str(e.value) and e.value.message
    with pytest.raises(binance_algo.InvalidArgument, match="recv_window_ms: .*60000"):
        binance_algo.Client(KEY, SECRET, recv_window_ms=0, **ok)


def test_secret_copies_are_wiped(sim_url, monkeypatch):
    real, seen = _native.lib.binance_config_set_secret_key, []

    def spy(cfg, buf):
        seen.append((buf, buf.value))
        return real(cfg, buf)

    monkeypatch.setattr(_native.lib, "binance_config_set_secret_key", spy)
    binance_algo.Client(KEY, SECRET, base_url=sim_url).close()
    (buf, value), = seen
    assert value == SECRET.encode() and bytes(buf) == bytes(len(buf))


def _run(args, **env):
    return subprocess.run(
        [sys.executable, *args], env=dict(os.environ, **env), capture_output=True, text=True, timeout=60
    )


def test_no_proxy_is_taken_from_the_environment(sim_url):
    # README: "No proxy is taken from the environment": a dead proxy in every
    # variable a client might read changes nothing.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    proxies = {name: dead for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")}
    script = f"""
import binance_algo
with binance_algo.Client({KEY!r}, {SECRET!r}, base_url={sim_url!r}) as c:
    print(c.try_cancel(2053).status.name)
"""
    r = _run(["-c", script], PYTHONPATH=str(ROOT / "bindings" / "python"), NO_PROXY="", no_proxy="", **proxies)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["BINANCE_OK"]


def test_a_copy_of_the_package_never_looks_in_an_unrelated_target_dir(tmp_path):
    # Copied to tmp/site/binance_algo: tmp/target/release is not ours to load.
    import shutil

    copy = tmp_path / "site" / "binance_algo"
    shutil.copytree(ROOT / "bindings" / "python" / "binance_algo", copy)
    script = "from binance_algo import _native; print(*_native.candidates(), sep=chr(10))"
    # Importing the package loads the library: the dynamic loader finds ours.
    lib_dir = str(ROOT / "target" / "release")
    r = _run(["-c", script], PYTHONPATH=str(copy.parent), BINANCE_ALGO_LIB="", LD_LIBRARY_PATH=lib_dir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(copy / _native.SONAME), _native.SONAME]
    assert str(ROOT / "target") in " ".join(_native.candidates())  # the tree's own package does look there


def test_example(sim_url):
    env = dict(BINANCE_API_KEY=KEY, BINANCE_SECRET_KEY=SECRET, BINANCE_BASE_URL=sim_url)
    example = str(ROOT / "examples" / "cancel.py")
    first, again, usage = _run([example, "3002"], **env), _run([example, "3002"], **env), _run([example, "x"], **env)
    assert first.returncode == 0 and "BINANCE_OK" in first.stdout
    assert again.returncode == 1 and "-20124" in again.stdout
    assert usage.returncode == 2
    assert SECRET not in first.stdout + again.stdout + first.stderr


@pytest.mark.parametrize("path, why", [("/nonexistent/libbinance_algo.so.0", "not found"), (__file__, "invalid ELF")])
def test_library_not_loadable(path, why):
    code = "import binance_algo"
    r = _run(["-c", code], BINANCE_ALGO_LIB=path, PYTHONPATH=str(ROOT / "bindings" / "python"))
    assert r.returncode != 0 and "OSError" in r.stderr and why in r.stderr and path in r.stderr


def test_private_keys(ed25519_sim_url, tmp_path):
    key_file = tmp_path / "key.pem"
    key_file.write_text(ED25519_PRIVATE)
    for algo_id, kwargs in ((1, dict(private_key=ED25519_PRIVATE)), (2, dict(private_key_file=str(key_file)))):
        with binance_algo.Client(KEY, base_url=ed25519_sim_url, **kwargs) as c:
            assert c.cancel(algo_id).ok
    with binance_algo.Client(KEY, SECRET, base_url=ed25519_sim_url) as hmac_client:
        with pytest.raises(binance_algo.Rejected) as e:
            hmac_client.cancel(4)
    assert e.value.code == -1022


def _hmac(payload: bytes) -> str:
    return hmac.new(SECRET.encode(), payload, hashlib.sha256).hexdigest()


def test_signer(sim_url):
    payloads = []

    def sign(payload):
        payloads.append(payload)
        return _hmac(payload)

    with binance_algo.Client(KEY, signer=sign, base_url=sim_url) as c:
        assert c.cancel(2010).ok
    assert payloads and payloads[-1].startswith(b"algoId=2010&")

    def broken(_payload):
        raise RuntimeError("hsm down")

    for bad in (broken, lambda p: None, lambda p: "a" * 5000, lambda p: "ab\0cd"):
        with binance_algo.Client(KEY, signer=bad, base_url=sim_url) as c:
            with pytest.raises(binance_algo.SignerError) as e:
                c.cancel(2011)
        assert e.value.http_status == 0 and e.value.status is Status.BINANCE_ERR_SIGNER
    with binance_algo.Client(KEY, signer=lambda p: _hmac(p).encode(), base_url=sim_url) as c:
        assert c.cancel(2011).ok  # bytes are fine too; the failures above sent nothing


def test_signer_from_many_threads(sim_url):
    with binance_algo.Client(KEY, signer=_hmac, base_url=sim_url) as c:
        with ThreadPoolExecutor(4) as pool:
            assert all(r.ok for r in pool.map(c.try_cancel, range(2020, 2040)))


def test_logger(sim_url):
    events = []

    def broken(_event):
        raise RuntimeError("log full")

    with binance_algo.Client(KEY, SECRET, base_url=sim_url, logger=events.append) as c:
        assert c.cancel(2012).ok
    kinds = [e.kind for e in events]
    assert binance_algo.LogKind.BINANCE_LOG_REQUEST in kinds and binance_algo.LogKind.BINANCE_LOG_ANSWER in kinds
    answer = next(e for e in events if e.kind == binance_algo.LogKind.BINANCE_LOG_ANSWER)
    assert (answer.algo_id, answer.http_status, answer.status) == (2012, 200, Status.BINANCE_OK)
    assert answer.message and all(SECRET not in e.message for e in events)
    with binance_algo.Client(KEY, SECRET, base_url=sim_url, logger=broken) as c:
        assert c.cancel(2013).ok  # a failing logger changes nothing


def test_client_algo_id(client):
    assert client.cancel(client_algo_id="py-order-1").ok
    with pytest.raises(binance_algo.Rejected) as e:
        client.cancel(client_algo_id="py-order-1")
    assert e.value.code == -20124
    with pytest.raises(binance_algo.InvalidArgument):
        client.cancel(client_algo_id="py-order-2\0")
    with pytest.raises(binance_algo.InvalidArgument) as e:
        client.cancel(client_algo_id="no spaces allowed")
    assert e.value.attempts == 0
    for args, kwargs in (((), {}), ((2014,), {"client_algo_id": "py-order-2"})):
        with pytest.raises(TypeError):
            client.cancel(*args, **kwargs)


def test_call_options(client):
    client.sync_clock()  # so that the whole timeout below is the cancel's
    with pytest.raises(binance_algo.UnknownOutcome) as e:
        client.cancel(7001, timeout_ms=1000)  # a 10 s answer: this call's own timeout ends it
    assert "timed out" in e.value.message
    assert client.cancel(2014, recv_window_ms=60000).ok
    for kwargs in ({"recv_window_ms": 0}, {"timeout_ms": 0}, {"timeout_ms": 2**64 + 100}):
        with pytest.raises(binance_algo.InvalidArgument):
            client.cancel(2015, **kwargs)
    assert client.cancel(2015).ok  # nothing was sent above


def test_presign(client):
    request = json.loads(client.presign_cancel(2016, recv_window_ms=6000))
    assert request["method"] == "DELETE"
    assert "algoId=2016&recvWindow=6000&timestamp=" in request["url"] and "&signature=" in request["url"]
    assert KEY not in json.dumps(request) and SECRET not in json.dumps(request)
    by_client_id = json.loads(client.presign_cancel(client_algo_id="py-order-2"))
    assert "clientAlgoId=py-order-2" in by_client_id["url"]
    with pytest.raises(binance_algo.InvalidArgument):
        client.presign_cancel(0)
    assert client.cancel(2016).ok  # the dry run sent nothing


def test_errors_pickle_and_surrogates_are_refused(client):
    import pickle

    assert client.cancel(2052).ok
    with pytest.raises(binance_algo.Rejected) as e:
        client.cancel(2052)  # cancelled just now: -20124
    copy = pickle.loads(pickle.dumps(e.value))
    assert (type(copy), copy.code, copy.result, str(copy)) == (binance_algo.Rejected, -20124, e.value.result, str(e.value))
    with pytest.raises(binance_algo.InvalidArgument) as e:
        binance_algo.Client(KEY, "qz7\udc80xw9")
    assert "not valid Unicode" in e.value.message and "qz7" not in str(e.value)


def test_warm(client):
    r = client.warm(2)
    assert r.ok and r.body is None and r.message
    for n in (0, 65, 2**31):
        with pytest.raises(binance_algo.InvalidArgument):
            client.warm(n)


def test_a_client_cannot_be_copied(client):
    # A copy would share the C client but not the count of calls in flight,
    # so closing one could free it under a call on the other.
    import copy

    for copy_ in (copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="cannot be copied"):
            copy_(client)


def test_a_client_whose_logger_refers_back_to_it_is_freed_when_collected(sim_url):
    import gc

    class Strategy:
        def __init__(self):
            self.client = binance_algo.Client(KEY, SECRET, base_url=sim_url, logger=self.on_log)

        def on_log(self, event):
            pass

    strategy = Strategy()
    assert strategy.client.cancel(2060).ok
    free = strategy.client._free
    del strategy
    gc.collect()
    assert not free.alive, "the reference cycle through the logger kept the C client"


def test_a_forked_child_can_close_a_client_busy_in_the_parent(sim_url):
    c = binance_algo.Client(KEY, SECRET, base_url=sim_url)
    busy = threading.Thread(target=c.try_cancel, args=(7000,))  # answered after 500 ms
    busy.start()
    deadline = time.monotonic() + 5
    while not c._in_flight and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(c._in_flight) == 1
    pid = os.fork()
    if pid == 0:  # the busy thread does not exist here: close() must not wait for it
        closer = threading.Thread(target=c.close, daemon=True)
        closer.start()
        closer.join(5)
        os._exit(1 if closer.is_alive() else 0)
    _, status = os.waitpid(pid, 0)
    busy.join()
    c.close()
    assert os.waitstatus_to_exitcode(status) == 0, "close() in the child waited for the parent's call"


def test_an_interrupt_in_a_logger_comes_after_the_call_with_its_result(sim_url):
    answers = []

    def log(event):
        if event.kind == binance_algo.LogKind.BINANCE_LOG_ANSWER:
            answers.append(event)
            if len(answers) == 1:
                raise KeyboardInterrupt

    with binance_algo.Client(KEY, SECRET, base_url=sim_url, logger=log) as c:
        with pytest.raises(KeyboardInterrupt) as e:
            c.cancel(2061)
        assert e.value.binance_result.ok, "the cancel's success went with the interrupt"
        assert c.try_cancel(2061).code == -20124  # it was cancelled


@contextlib.contextmanager
def _interrupted_after(seconds):
    """A KeyboardInterrupt from a signal handler `seconds` from now."""

    def interrupt(*_):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_an_interrupt_during_a_call_carries_its_result(client):
    with _interrupted_after(0.1), pytest.raises(KeyboardInterrupt) as e:
        client.try_cancel(7000)  # answered after 500 ms: not an open order
    assert e.value.binance_result.code == -20124


def test_arguments_of_the_wrong_type_are_refused_up_front(sim_url):
    cases = [
        dict(logger="not callable"),
        dict(signer=42),
        dict(secret_key=memoryview(b"sim-secret-key\0zz")),  # would be cut at the NUL
        dict(timeouts_ms=1000),
        dict(timeouts_ms=(100,)),
        dict(clock_sync="no"),
    ]
    for case in cases:
        kwargs = dict(dict(secret_key=SECRET, base_url=sim_url), **case)
        with pytest.raises(TypeError):
            binance_algo.Client(KEY, **kwargs)
    with binance_algo.Client(KEY, SECRET, base_url=sim_url, clock_sync=0, timeouts_ms=[1000, 2000]) as c:
        assert c.cancel(2062).ok
    with pytest.raises(TypeError):
        c.try_cancel(client_algo_id=memoryview(b"py-order-1"))


def test_a_closed_client_says_so(sim_url):
    c = binance_algo.Client(KEY, SECRET, base_url=sim_url)
    c.close()
    r = c.try_cancel(2063)
    assert (r.status, r.message) == (Status.BINANCE_ERR_INVALID_ARGUMENT, "the client is closed; nothing was sent")
    for call in (c.sync_clock, lambda: c.warm(1)):
        with pytest.raises(binance_algo.InvalidArgument, match="closed"):
            call()


def test_an_interrupt_as_a_logger_is_entered_comes_after_the_call_with_its_result(sim_url):
    # The signal lands while C waits for the answer; its handler then raises
    # as the logger is entered, before the logger's own `try`.
    with binance_algo.Client(KEY, SECRET, base_url=sim_url, logger=lambda event: None) as c:
        with _interrupted_after(0.1), pytest.raises(KeyboardInterrupt) as e:
            c.try_cancel(7000)  # answered after 500 ms: not an open order
        assert e.value.binance_result.code == -20124


def test_an_error_reading_a_result_is_raised_not_retried_for_ever(sim_url):
    # Near the recursion limit, reading the result fails every time.
    script = f"""
import sys, binance_algo
client = binance_algo.Client({KEY!r}, {SECRET!r}, base_url={sim_url!r}, clock_sync=False)
def at_depth(n):
    if n:
        return at_depth(n - 1)
    try:
        client.try_cancel(2065)
    except Exception:  # RecursionError, or ctypes's ArgumentError around one
        pass
sys.setrecursionlimit(120)
for depth in range(60, 120):
    try:
        at_depth(depth)
    except RecursionError:
        pass
print("done", flush=True)
"""
    r = _run(["-c", script], PYTHONPATH=str(ROOT / "bindings" / "python"))
    assert (r.returncode, r.stdout.strip()) == (0, "done"), r.stderr[-2000:]


def test_interrupts_anywhere_in_a_call_leave_close_working(sim_url):
    # A storm of interrupts, each raised only while the binding runs, then
    # close() from another thread: no call may stay counted for ever.
    script = f"""
import signal, sys, threading, binance_algo
client = binance_algo.Client({KEY!r}, {SECRET!r}, base_url={sim_url!r})
def interrupt(_signum, frame):
    while frame:
        if frame.f_code.co_filename == binance_algo.__file__:
            raise KeyboardInterrupt
        frame = frame.f_back
signal.signal(signal.SIGALRM, interrupt)
signal.setitimer(signal.ITIMER_REAL, 0.0003, 0.0003)
interrupted = 0
for _ in range(5000):
    try:
        client.presign_cancel(1)
    except KeyboardInterrupt:
        interrupted += 1
signal.setitimer(signal.ITIMER_REAL, 0)
closer = threading.Thread(target=client.close)
closer.start()
closer.join(10)
print(interrupted > 0, closer.is_alive(), len(client._in_flight), flush=True)
"""
    r = _run(["-c", script], PYTHONPATH=str(ROOT / "bindings" / "python"))
    assert (r.returncode, r.stdout.split()) == (0, ["True", "False", "0"]), r.stderr[-2000:]


def test_close_returns_while_other_threads_keep_calling(sim_url):
    # close() waits for the calls that may hold the handle, not for a set
    # that threads calling on and on never let empty.
    c = binance_algo.Client(KEY, SECRET, base_url=sim_url)
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            c.try_cancel(2070)

    workers = [threading.Thread(target=hammer) for _ in range(16)]
    for w in workers:
        w.start()
    time.sleep(0.05)
    closer = threading.Thread(target=c.close)
    closer.start()
    closer.join(10)
    closing = closer.is_alive()
    stop.set()
    for w in workers + [closer]:
        w.join()
    assert not closing, "close() kept waiting while other threads called"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_another_callbacks_exception_is_not_taken_for_a_hooks(client):
    # A mock answers any attribute: only our own functions may be held.
    from unittest import mock

    ctypes.CFUNCTYPE(None)(mock.Mock(side_effect=KeyboardInterrupt))()  # reported, dropped
    assert client.try_cancel(2071).ok
