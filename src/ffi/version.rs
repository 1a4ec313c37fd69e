use std::ffi::c_char;

/// The library's version, e.g. "0.1.0": the same numbers as the
/// BINANCE_ALGO_VERSION_* macros of the header it was built with.
///
/// Returns a static NUL-terminated string, never NULL, never to be freed.
/// Thread safety: always safe.
#[no_mangle]
pub extern "C" fn binance_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
