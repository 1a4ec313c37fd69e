"""Finds and loads libbinance_algo and declares every C signature (ctypes).

Nothing here knows about orders: this module only makes the C functions of
include/binance_algo.h callable, with exact types, as ``lib.binance_*``.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import CFUNCTYPE, POINTER, Structure, c_char_p, c_int, c_int32, c_int64, c_size_t, c_void_p
from pathlib import Path

# The C header's BINANCE_ALGO_VERSION_MAJOR this module was written against;
# the soname and the loaded library's version must carry the same major.
ABI_MAJOR = 0
SONAME = f"libbinance_algo.so.{ABI_MAJOR}"

_STATUS = c_int  # enum binance_status is repr(C): an int
_HANDLE = c_void_p  # binance_config *, binance_client *, binance_result *, binance_call_options *
_OWNED = c_void_p  # char * that we must hand back to binance_string_free
_OUT = POINTER(c_void_p)  # char ** / binance_client ** out-parameters


class LogEventC(Structure):
    """struct binance_log_event."""

    _fields_ = [
        ("kind", c_int),  # enum binance_log_kind
        ("algo_id", c_int64),
        ("attempt", c_int32),
        ("http_status", c_int32),
        ("status", c_int),  # enum binance_status
        ("elapsed_us", c_int64),
        ("message", c_char_p),
    ]


# binance_sign_fn: (user_data, payload, payload_len, out_sig, out_cap) -> 0 on success.
SIGN_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t)
# binance_log_fn: (user_data, event).
LOG_FN = CFUNCTYPE(None, c_void_p, POINTER(LogEventC))

# name: (restype, argtypes), for every function in include/binance_algo.h (a
# test checks the set). Owned strings and handles are c_void_p, never c_char_p,
# which would turn the pointer into bytes and lose what we must free. Borrowed
# and static strings are c_char_p: ctypes copies them at once.
_SIGNATURES = {
    "binance_cancel_algo_order": (_STATUS, [_HANDLE, c_int64, _OUT]),
    "binance_cancel_algo_order_ex": (_STATUS, [_HANDLE, c_int64, _HANDLE, _OUT]),
    "binance_cancel_algo_order_opts": (_STATUS, [_HANDLE, c_int64, _HANDLE, _HANDLE, _OUT]),
    "binance_cancel_by_client_algo_id": (_STATUS, [_HANDLE, c_char_p, _HANDLE, _HANDLE, _OUT]),
    "binance_presign_cancel": (_STATUS, [_HANDLE, c_int64, _HANDLE, _OUT]),
    "binance_presign_cancel_by_client_algo_id": (_STATUS, [_HANDLE, c_char_p, _HANDLE, _OUT]),
    "binance_client_new": (_STATUS, [_HANDLE, _OUT]),
    "binance_client_free": (None, [_HANDLE]),
    "binance_client_sync_clock": (_STATUS, [_HANDLE, _HANDLE]),
    "binance_client_clock_offset_ms": (_STATUS, [_HANDLE, POINTER(c_int64)]),
    "binance_client_warm": (_STATUS, [_HANDLE, c_int32, _HANDLE]),
    "binance_config_new": (_HANDLE, []),
    "binance_config_free": (None, [_HANDLE]),
    "binance_config_last_error": (c_char_p, [_HANDLE]),
    "binance_config_set_api_key": (_STATUS, [_HANDLE, c_char_p]),
    "binance_config_set_secret_key": (_STATUS, [_HANDLE, c_char_p]),
    "binance_config_set_base_url": (_STATUS, [_HANDLE, c_char_p]),
    "binance_config_set_recv_window": (_STATUS, [_HANDLE, c_int64]),
    "binance_config_set_ca_file": (_STATUS, [_HANDLE, c_char_p]),
    "binance_config_set_timeouts": (_STATUS, [_HANDLE, c_int64, c_int64]),
    "binance_config_set_clock_sync": (_STATUS, [_HANDLE, c_int]),
    "binance_config_set_max_retries": (_STATUS, [_HANDLE, c_int32]),
    "binance_config_set_private_key": (_STATUS, [_HANDLE, c_char_p, c_char_p]),
    "binance_config_set_private_key_file": (_STATUS, [_HANDLE, c_char_p, c_char_p]),
    "binance_config_set_signer": (_STATUS, [_HANDLE, SIGN_FN, c_void_p]),
    "binance_config_set_logger": (_STATUS, [_HANDLE, LOG_FN, c_void_p]),
    "binance_call_options_new": (_HANDLE, []),
    "binance_call_options_free": (None, [_HANDLE]),
    "binance_call_options_set_recv_window": (_STATUS, [_HANDLE, c_int64]),
    "binance_call_options_set_timeout": (_STATUS, [_HANDLE, c_int64]),
    "binance_result_new": (_HANDLE, []),
    "binance_result_free": (None, [_HANDLE]),
    "binance_result_status": (_STATUS, [_HANDLE]),
    "binance_result_http_status": (c_int32, [_HANDLE]),
    "binance_result_exchange_code": (c_int64, [_HANDLE]),
    "binance_result_exchange_msg": (c_char_p, [_HANDLE]),
    "binance_result_message": (c_char_p, [_HANDLE]),
    "binance_result_retry_after_s": (c_int64, [_HANDLE]),
    "binance_result_used_weight_ip_1m": (c_int64, [_HANDLE]),
    "binance_result_used_weight_uid_1m": (c_int64, [_HANDLE]),
    "binance_result_attempts": (c_int32, [_HANDLE]),
    "binance_status_str": (c_char_p, [c_int]),
    "binance_string_free": (None, [_OWNED]),
    "binance_version": (c_char_p, []),
}


def candidates() -> list[str]:
    """Where to look: $BINANCE_ALGO_LIB alone when set; else next to this
    package, the source tree's target/release (only when this package is
    that tree's bindings/python/binance_algo, not a copy elsewhere), then
    the soname through the dynamic loader's search (LD_LIBRARY_PATH,
    ld.so.cache)."""
    explicit = os.environ.get("BINANCE_ALGO_LIB")
    if explicit:
        return [explicit]
    here = Path(__file__).resolve().parent
    tree = here.parents[2]
    in_tree = here.parts[-3:] == ("bindings", "python", "binance_algo") and (tree / "Cargo.toml").is_file()
    built = [str(tree / "target" / "release" / SONAME)] if in_tree else []
    return [str(here / SONAME), *built, SONAME]


def _declare(lib: ctypes.CDLL, path: str) -> ctypes.CDLL:
    """Checks the version first (another major may lack functions), then sets
    restype and argtypes of every function: ctypes' default int restype
    would cut 64-bit pointers in half."""
    if not hasattr(lib, "binance_version"):
        raise OSError(f"{path}: missing binance_version (not libbinance_algo?)")
    lib.binance_version.restype, lib.binance_version.argtypes = c_char_p, []
    version = lib.binance_version().decode()
    if version.split(".")[0] != str(ABI_MAJOR):
        raise OSError(f"{path}: library version {version}, this package needs major {ABI_MAJOR}")
    for name, (restype, argtypes) in _SIGNATURES.items():
        if not hasattr(lib, name):
            raise OSError(f"{path}: missing {name} (library older than this package?)")
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def load() -> ctypes.CDLL:
    """Loads and declares the first library found; OSError names every place tried."""
    tried = []
    for path in candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{path}: not found")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(str(e))
            continue
        return _declare(lib, path)
    raise OSError("cannot load libbinance_algo (set BINANCE_ALGO_LIB to its path): " + "; ".join(tried))


lib = load()
