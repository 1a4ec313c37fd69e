"""Cancel Binance algo orders through libbinance_algo (pure Python, ctypes).

    from binance_algo import Client, Rejected
    with Client(api_key, secret_key) as client:
        result = client.cancel(14511)      # raises a BinanceError subclass on failure
        result = client.try_cancel(14511)  # never raises for an exchange outcome

Every status of the C library maps to one exception class, each carrying the
call's detail (HTTP status, exchange code and msg, Retry-After, weights). A
Client may be shared by any number of threads: ctypes releases the GIL during
each C call, and the C client is thread-safe.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import operator
import os
import sys
import threading
import time
import types
import weakref
from ctypes import byref, c_int64, c_void_p
from dataclasses import dataclass, fields
from typing import Callable, Iterator, Optional, TypeVar, Union

from . import _native
from ._native import lib as _lib

__all__ = [
    "BinanceError",
    "Client",
    "InternalError",
    "InvalidArgument",
    "LogEvent",
    "LogKind",
    "RateLimited",
    "Rejected",
    "Result",
    "SignerError",
    "Status",
    "TransportError",
    "UnknownOutcome",
    "version",
]

Text = Union[str, bytes, bytearray]


class Status(enum.IntEnum):
    """enum binance_status; the names are those of binance_status_str."""

    BINANCE_OK = 0
    BINANCE_ERR_INVALID_ARGUMENT = 1
    BINANCE_ERR_REJECTED = 2
    BINANCE_ERR_RATE_LIMITED = 3
    BINANCE_ERR_UNKNOWN_OUTCOME = 4
    BINANCE_ERR_TRANSPORT = 5
    BINANCE_ERR_INTERNAL = 6
    BINANCE_ERR_SIGNER = 7


class LogKind(enum.IntEnum):
    """enum binance_log_kind."""

    BINANCE_LOG_REQUEST = 0
    BINANCE_LOG_ANSWER = 1
    BINANCE_LOG_RETRY = 2
    BINANCE_LOG_CLOCK_SYNC = 3


def version() -> str:
    """The loaded library's version, e.g. "0.1.0"."""
    return _lib.binance_version().decode()


def _text(raw: Optional[bytes]) -> str:
    return raw.decode("utf-8", "replace") if raw else ""


def _absent(value: int) -> Optional[int]:
    return None if value == -1 else value


def _enum(cls, value: int):
    """The enum member, or the int itself for a value newer than this package."""
    try:
        return cls(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class Result:
    """What one call did. -1 ("absent") in C is None here."""

    status: Union[Status, int]  # an int only for a status newer than this package
    # A cancel: on success the exchange's body, on failure its JSON body if any.
    # A presign: the request that would be sent. sync_clock, warm: None.
    body: Optional[str]
    http_status: int  # 0: no answer arrived
    code: int  # the exchange's error code; 0: none
    msg: str  # the exchange's msg; "" when none
    message: str  # a sentence for logs; the library puts no key or secret in it
    retry_after_s: Optional[int]
    weight_ip_1m: Optional[int]  # X-SAPI-USED-IP-WEIGHT-1M
    weight_uid_1m: Optional[int]  # X-SAPI-USED-UID-WEIGHT-1M
    attempts: int  # requests tried, each signed afresh, all but the last not executed; 0: none

    @property
    def ok(self) -> bool:
        return self.status == Status.BINANCE_OK


@dataclass(frozen=True)
class LogEvent:
    """struct binance_log_event, copied; the library puts no key, secret or
    signature in it (an answer's msg is quoted as the server wrote it)."""

    kind: Union[LogKind, int]
    algo_id: int  # 0 when cancelling by clientAlgoId, or for a clock sync
    attempt: int
    http_status: int
    status: Union[Status, int]
    elapsed_us: int
    message: str


class BinanceError(Exception):
    """Base of every error; carries the Result's fields as attributes."""

    status: Union[Status, int]
    body: Optional[str]
    http_status: int
    code: int
    msg: str
    message: str
    retry_after_s: Optional[int]
    weight_ip_1m: Optional[int]
    weight_uid_1m: Optional[int]
    attempts: int

    def __init__(self, result: Result):
        super().__init__(f"{_lib.binance_status_str(result.status).decode()}: {result.message}")
        self.result = result
        for f in fields(result):
            setattr(self, f.name, getattr(result, f.name))

    def __reduce__(self):
        # Rebuilt from its Result (pickle, multiprocessing), not from args.
        return type(self), (self.result,)


class InvalidArgument(BinanceError):
    """Bad input or settings; nothing was sent."""


class Rejected(BinanceError):
    """The exchange said no; not cancelled by this call (code -20124: already gone)."""


class RateLimited(BinanceError):
    """HTTP 429 or 418 (or -1003 under another 4XX); not executed. Wait retry_after_s seconds."""


class UnknownOutcome(BinanceError):
    """The order may have been cancelled: query its state before acting."""


class TransportError(BinanceError):
    """Not sent (connection refused, DNS, TLS handshake); safe to retry."""


class InternalError(BinanceError):
    """A bug caught inside the library; treat the order as unknown."""


class SignerError(BinanceError):
    """The signer callback failed; nothing was sent."""


_ERRORS = {
    Status.BINANCE_ERR_INVALID_ARGUMENT: InvalidArgument,
    Status.BINANCE_ERR_REJECTED: Rejected,
    Status.BINANCE_ERR_RATE_LIMITED: RateLimited,
    Status.BINANCE_ERR_UNKNOWN_OUTCOME: UnknownOutcome,
    Status.BINANCE_ERR_TRANSPORT: TransportError,
    Status.BINANCE_ERR_INTERNAL: InternalError,
    Status.BINANCE_ERR_SIGNER: SignerError,
}


def _error(status: int, message: str) -> BinanceError:
    """An error with no call detail: settings, or what Python refuses before C."""
    result = Result(_enum(Status, status), None, 0, 0, "", message, None, None, None, 0)
    return _ERRORS.get(result.status, BinanceError)(result)


_T = TypeVar("_T")


@contextlib.contextmanager
def _options(recv_window_ms: Optional[int], timeout_ms: Optional[int]) -> Iterator[Optional[int]]:
    """binance_call_options for one call, or None (NULL) when nothing is set."""
    if recv_window_ms is None and timeout_ms is None:
        yield None
        return
    opts = _lib.binance_call_options_new()
    try:
        for value, setter, name in (
            (recv_window_ms, _lib.binance_call_options_set_recv_window, "recv_window_ms"),
            (timeout_ms, _lib.binance_call_options_set_timeout, "timeout_ms"),
        ):
            if value is not None and setter(opts, _int(value, name)) != Status.BINANCE_OK:
                raise _error(Status.BINANCE_ERR_INVALID_ARGUMENT, f"{name} {value} is out of range")
        yield opts
    finally:
        _lib.binance_call_options_free(opts)


def _closed() -> Result:
    """What a call on a closed client returns."""
    return _error(Status.BINANCE_ERR_INVALID_ARGUMENT, "the client is closed; nothing was sent").result


def _raise_unless_ok(result: Result) -> Result:
    if not result.ok:
        raise _ERRORS.get(result.status, BinanceError)(result)
    return result


def _int(value: int, name: str, bits: int = 64) -> int:
    """An exact intN, or an error before anything is sent: ctypes would
    silently wrap a larger int, and a float or bool is not an id."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    value = operator.index(value)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise _error(Status.BINANCE_ERR_INVALID_ARGUMENT, f"{name} {value} is outside int{bits}; nothing was sent")
    return value


def _path(value) -> Optional[Text]:
    """A file name: str, bytes or any os.PathLike."""
    return None if value is None else os.fspath(value)


@contextlib.contextmanager
def _c_string(value: Optional[Text], name: str) -> Iterator[Optional[ctypes.Array]]:
    """A NUL-terminated copy for C (None for None), wiped afterwards since it
    may be a key or secret. Immutable objects are beyond reach: the caller's
    str or bytes, and the bytes that str.encode makes; a bytearray is copied
    only here. An embedded NUL is refused: C would silently stop there."""
    if value is None:
        yield None
        return
    if not isinstance(value, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be str, bytes or bytearray, not {type(value).__name__}")
    try:
        data = value.encode() if isinstance(value, str) else value
    except UnicodeEncodeError:  # a lone surrogate; its text could be part of a secret
        raise _error(Status.BINANCE_ERR_INVALID_ARGUMENT, f"{name} is not valid Unicode; nothing was sent") from None
    if b"\0" in data:
        raise _error(Status.BINANCE_ERR_INVALID_ARGUMENT, f"{name} contains a NUL byte; nothing was sent")
    buf = ctypes.create_string_buffer(len(data) + 1)
    memoryview(buf).cast("B")[: len(data)] = data
    try:
        yield buf
    finally:
        ctypes.memset(buf, 0, len(buf))


def _read(status: int, detail: int, body: Optional[str]) -> Result:
    """What a call left in its binance_result (NULL gives the defaults)."""
    return Result(
        status=_enum(Status, status),
        body=body,
        http_status=_lib.binance_result_http_status(detail),
        code=_lib.binance_result_exchange_code(detail),
        msg=_text(_lib.binance_result_exchange_msg(detail)),
        message=_text(_lib.binance_result_message(detail)),
        retry_after_s=_absent(_lib.binance_result_retry_after_s(detail)),
        weight_ip_1m=_absent(_lib.binance_result_used_weight_ip_1m(detail)),
        weight_uid_1m=_absent(_lib.binance_result_used_weight_uid_1m(detail)),
        attempts=_lib.binance_result_attempts(detail),
    )


# Per thread: a KeyboardInterrupt, SystemExit or the like that a signer or
# logger caught (nothing may cross into C), raised once the C call returns.
_held = threading.local()


def _hold(exc: BaseException) -> None:
    if getattr(_held, "exc", None) is None:
        _held.exc = exc


def _unraisable(hook_args) -> None:
    """A signal handler can raise as a signer or logger is entered, before
    its `try`: ctypes then reports the exception here and drops it. Ours are
    held like the ones caught inside; anything else goes to the hook before."""
    hook, exc = hook_args.object, hook_args.exc_value
    # Only our own functions, asked without running anyone's __getattr__;
    # and, as inside them, only what is not an Exception.
    ours = isinstance(hook, types.FunctionType) and hook.__dict__.get("_binance_algo_hook", False)
    if ours and exc is not None and not isinstance(exc, Exception):
        _hold(exc)
    else:
        _previous_unraisable(hook_args)


_previous_unraisable, sys.unraisablehook = sys.unraisablehook, _unraisable


def _hook(trampoline):
    trampoline._binance_algo_hook = True
    return trampoline


def _signer(sign: Callable[[bytes], Text]):
    """A binance_sign_fn calling `sign(payload) -> signature text`. Any
    exception (which must not cross into C) or a signature that does not fit
    fails the call with BINANCE_ERR_SIGNER; one that is not an Exception
    (KeyboardInterrupt) is raised again once the call returns."""

    def trampoline(_user_data, payload, length, out, cap):
        try:
            sig = sign(ctypes.string_at(payload, length))
            data = sig.encode() if isinstance(sig, str) else bytes(sig)
            if len(data) >= cap or b"\0" in data:
                return 1
            ctypes.memmove(out, data, len(data))
            ctypes.memset(out + len(data), 0, 1)
            return 0
        except Exception:
            return 1
        except BaseException as exc:
            _hold(exc)
            return 1

    return _native.SIGN_FN(_hook(trampoline))


def _logger(log: Callable[[LogEvent], None]):
    """A binance_log_fn handing `log` a copied LogEvent. Its exceptions are
    dropped, but one that is not an Exception (KeyboardInterrupt) is raised
    again once the call returns."""

    def trampoline(_user_data, event):
        try:
            e = event.contents
            kind, status = _enum(LogKind, e.kind), _enum(Status, e.status)
            log(LogEvent(kind, e.algo_id, e.attempt, e.http_status, status, e.elapsed_us, _text(e.message)))
        except Exception:
            pass
        except BaseException as exc:
            _hold(exc)

    return _native.LOG_FN(_hook(trampoline))


def _outcome(fn, args: tuple, detail: int, out: Optional[c_void_p] = None) -> Result:
    """Calls `fn(*args)`, one C call that fills `detail` (and `*out`, freed
    here), and reads what it did. A KeyboardInterrupt (or any exception a
    signal handler raises) during the call is raised once it returns, with
    the call's Result in its `binance_result` attribute: the order's fate does
    not go with it. (Python can run a signal handler after any call; one at
    an unlucky instant here may still come without it.)"""
    status = interrupt = result = None
    try:
        try:
            status = fn(*args)
        except BaseException as exc:  # raised as the call returned
            interrupt = exc
        for _ in range(3):  # a signal handler may raise again in here; not for ever
            try:
                if status is None:
                    status = _lib.binance_result_status(detail)
                body = ctypes.string_at(out.value).decode("utf-8", "replace") if out and out.value else None
                result = _read(status, detail, body)
                break
            except BaseException as exc:
                interrupt = interrupt or exc
    finally:
        held = _held.__dict__.pop("exc", None)
        if out is not None:
            _lib.binance_string_free(out)  # ours: never libc free
    interrupt = interrupt or held
    if interrupt is not None:
        if result is not None:
            interrupt.binance_result = result
        raise interrupt
    return result


# (by algoId, by clientAlgoId) for Client._order; the dry runs take no detail.
_CANCEL = (_lib.binance_cancel_algo_order_opts, _lib.binance_cancel_by_client_algo_id)
_PRESIGN = (
    lambda ctx, algo_id, opts, _detail, out: _lib.binance_presign_cancel(ctx, algo_id, opts, out),
    lambda ctx, client_id, opts, _detail, out: _lib.binance_presign_cancel_by_client_algo_id(ctx, client_id, opts, out),
)


# Live clients, for fork: the child has none of the parent's other threads,
# nor their calls in flight.
_clients: "weakref.WeakSet[Client]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    me = threading.get_ident()
    for client in list(_clients):
        client._in_flight = {call for call in client._in_flight if call[0] == me}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Client:
    """A thread-safe client (binance_client). close() waits for calls in flight."""

    def __init__(
        self,
        api_key: Text,
        secret_key: Optional[Text] = None,
        *,
        private_key: Optional[Text] = None,
        private_key_file: Optional[str] = None,
        signer: Optional[Callable[[bytes], Text]] = None,
        base_url: Optional[str] = None,
        recv_window_ms: Optional[int] = None,
        timeouts_ms: Optional[tuple[int, int]] = None,
        ca_file: Optional[str] = None,
        clock_sync: Optional[bool] = None,
        max_retries: Optional[int] = None,
        logger: Optional[Callable[[LogEvent], None]] = None,
    ):
        """Signs with one of `secret_key` (HMAC), `private_key` (Ed25519 or
        RSA, PKCS#8 PEM text) or the PEM in `private_key_file`, or through
        `signer(payload: bytes) -> str`, which may run on several threads at
        once. `timeouts_ms` is (connect, total). `logger(event)` receives a
        LogEvent on the calling thread. Settings left at None keep the
        library's defaults (see binance_config_* in binance_algo.h)."""
        for hook, name in ((signer, "signer"), (logger, "logger")):
            if hook is not None and not callable(hook):
                raise TypeError(f"{name} must be callable, not {type(hook).__name__}")
        callbacks = (_signer(signer) if signer else None, _logger(logger) if logger else None)
        cfg = _lib.binance_config_new()
        if not cfg:
            raise _error(Status.BINANCE_ERR_INTERNAL, "binance_config_new failed")

        def check(status: int, name: str) -> None:
            if status != Status.BINANCE_OK:  # the library's reason never holds the value
                raise _error(status, f"{name}: {_text(_lib.binance_config_last_error(cfg))}")

        def set_text(setter, name: str, value: Optional[Text], *more) -> None:
            if value is not None:
                with _c_string(value, name) as buf:
                    check(setter(cfg, buf, *more), name)

        try:
            set_text(_lib.binance_config_set_api_key, "api_key", api_key)
            set_text(_lib.binance_config_set_secret_key, "secret_key", secret_key)
            # No passphrase (NULL): the library takes unencrypted keys only.
            set_text(_lib.binance_config_set_private_key, "private_key", private_key, None)
            set_text(_lib.binance_config_set_private_key_file, "private_key_file", _path(private_key_file), None)
            set_text(_lib.binance_config_set_base_url, "base_url", base_url)
            set_text(_lib.binance_config_set_ca_file, "ca_file", _path(ca_file))
            if callbacks[0]:
                check(_lib.binance_config_set_signer(cfg, callbacks[0], None), "signer")
            if callbacks[1]:
                check(_lib.binance_config_set_logger(cfg, callbacks[1], None), "logger")
            if recv_window_ms is not None:
                ms = _int(recv_window_ms, "recv_window_ms")
                check(_lib.binance_config_set_recv_window(cfg, ms), "recv_window_ms")
            if timeouts_ms is not None:
                try:
                    connect, total = timeouts_ms
                except (TypeError, ValueError):
                    raise TypeError("timeouts_ms must be a (connect_ms, total_ms) pair") from None
                connect, total = _int(connect, "timeouts_ms"), _int(total, "timeouts_ms")
                check(_lib.binance_config_set_timeouts(cfg, connect, total), "timeouts_ms")
            if clock_sync is not None:
                if isinstance(clock_sync, (str, bytes)):
                    raise TypeError("clock_sync must be a bool")
                check(_lib.binance_config_set_clock_sync(cfg, 1 if clock_sync else 0), "clock_sync")
            if max_retries is not None:
                retries = _int(max_retries, "max_retries", 32)
                check(_lib.binance_config_set_max_retries(cfg, retries), "max_retries")
            out = c_void_p()
            check(_lib.binance_client_new(cfg, byref(out)), "settings")
        finally:
            _lib.binance_config_free(cfg)  # the client keeps its own copy
        self._handle: Optional[int] = out.value
        # (thread, token) of each call in flight: close() waits for them, and
        # refuses to run inside one (a signer or logger of this client).
        self._in_flight: set[tuple[int, object]] = set()
        # The C client calls these until it is freed, which the finalizer does
        # before the instance's attributes go. Held by the finalizer instead,
        # a logger or signer referring to this client would keep it alive.
        self._callbacks = callbacks
        # Frees the C client exactly once: from close(), or when collected.
        self._free = weakref.finalize(self, _lib.binance_client_free, out.value)
        # Not at interpreter exit: a daemon thread may still be inside a call
        # on this client, and the process's end frees everything anyway.
        self._free.atexit = False
        _clients.add(self)

    def __copy__(self):
        raise TypeError("a Client cannot be copied: share the one object (it is thread-safe)")

    def __deepcopy__(self, _memo):
        return self.__copy__()

    def _run(self, work: Callable[[Optional[int], int], _T]) -> _T:
        """`work(handle, detail)` as one call on this client: the C handle
        (None once closed) and a fresh binance_result. close() waits for it.
        Counted from inside the `try`, and uncounted first thing after, so
        that an interrupt at any point leaves no call counted for ever."""
        call, detail = (threading.get_ident(), object()), None
        try:
            self._in_flight.add(call)
            handle = self._handle  # counted first: close() waits, or this finds it closed
            detail = _lib.binance_result_new()  # NULL (internal error) is accepted throughout
            return work(handle, detail)
        finally:
            self._in_flight.discard(call)
            _lib.binance_result_free(detail)

    def _call(self, fn, *args, out: Optional[c_void_p] = None) -> Result:
        """`fn(handle, *args, detail[, &out])` through _run and _outcome; a
        closed client's Result when the handle is gone."""
        def call(handle, detail):
            if handle is None:
                return _closed()
            tail = (detail,) if out is None else (detail, byref(out))
            return _outcome(fn, (handle, *args, *tail), detail, out)

        return self._run(call)

    def try_cancel(
        self,
        algo_id: Optional[int] = None,
        *,
        client_algo_id: Optional[str] = None,
        recv_window_ms: Optional[int] = None,
        timeout_ms: Optional[int] = None,
    ) -> Result:
        """Cancels one algo order, by Binance's `algo_id` or your
        `client_algo_id` (exactly one), and reports the outcome, whatever it
        is. `recv_window_ms` and `timeout_ms` override the client's settings
        for this call. Raises only for arguments refused before C
        (TypeError, InvalidArgument)."""
        return self._order(_CANCEL, algo_id, client_algo_id, recv_window_ms, timeout_ms)

    def cancel(self, algo_id: Optional[int] = None, **kwargs) -> Result:
        """try_cancel, raising the BinanceError subclass of any failure."""
        return _raise_unless_ok(self.try_cancel(algo_id, **kwargs))

    def presign_cancel(self, algo_id: Optional[int] = None, **kwargs) -> str:
        """Dry run, with try_cancel's arguments: the signed request (JSON:
        method, url, masked key) that the cancel would send now. Nothing is
        sent. Raises on failure (a bad id or option, or a failed signer)."""
        result = self._order(_PRESIGN, algo_id, kwargs.pop("client_algo_id", None), **kwargs)
        if not result.ok:
            why = "the client is closed" if self._handle is None else "a bad id or option, or a failed signer"
            raise _error(result.status, f"dry run refused ({why}); nothing was sent")
        return result.body

    def _order(self, calls, algo_id, client_algo_id, recv_window_ms=None, timeout_ms=None) -> Result:
        """One of `calls` (by algoId, by clientAlgoId) with the owned body freed."""
        out = c_void_p()
        with self._target(algo_id, client_algo_id) as (by_id, target), _options(recv_window_ms, timeout_ms) as opts:
            return self._call(calls[0 if by_id else 1], target, opts, out=out)

    @staticmethod
    @contextlib.contextmanager
    def _target(algo_id: Optional[int], client_algo_id: Optional[str]):
        """(True, int64 id) or (False, C string of the clientAlgoId)."""
        if (algo_id is None) == (client_algo_id is None):
            raise TypeError("give exactly one of algo_id and client_algo_id")
        if algo_id is not None:
            yield True, _int(algo_id, "algo_id")
        else:
            with _c_string(client_algo_id, "client_algo_id") as buf:
                yield False, buf

    def sync_clock(self) -> Result:
        """Measures the server-time offset now (GET /api/v3/time); raises on failure."""
        return _raise_unless_ok(self._call(_lib.binance_client_sync_clock))

    def warm(self, connections: int) -> Result:
        """Opens `connections` kept-alive connections now (and syncs the clock
        when clock_sync is on), so that as many concurrent cancels find one
        ready; raises on failure."""
        return _raise_unless_ok(self._call(_lib.binance_client_warm, _int(connections, "connections", 32)))

    @property
    def clock_offset_ms(self) -> int:
        """Server time minus local time in ms, as used for signing; 0 before a sync."""
        out = c_int64()
        status = self._run(lambda handle, _: _lib.binance_client_clock_offset_ms(handle, byref(out)))
        if status != Status.BINANCE_OK:
            raise _error(status, "the client is closed")
        return out.value

    def close(self) -> None:
        """Frees the C client once every call in flight has returned. Idempotent;
        later calls fail with InvalidArgument. Raises RuntimeError when called
        from inside a call on this client (its signer or logger), which it
        would wait for forever."""
        me = threading.get_ident()
        if any(thread == me for thread, _ in list(self._in_flight)):
            raise RuntimeError("close() inside a call on this client (from its signer or logger) would wait for itself")
        self._handle = None  # before the wait: a call that starts now finds it closed
        # Only the calls that may hold the handle: later ones find None, and
        # threads that keep calling would otherwise keep the set from emptying.
        pending = set(self._in_flight)
        pause = 0.001
        while pending & self._in_flight:  # each ends by its total timeout
            time.sleep(pause)
            pause = min(2 * pause, 0.02)
        self._free()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
