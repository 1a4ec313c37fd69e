use super::guard_or;
use std::ffi::{c_char, CStr, CString};

/// Frees a string that this library returned through a `char **out_*`
/// parameter (e.g. the JSON body of binance_cancel_algo_order).
///
/// Ownership: takes back ownership of `s`; never pass it to free() (the
/// library's allocator need not be malloc), and never free it twice.
/// NULL: accepted, does nothing.
/// Thread safety: any thread; `s` must not be in use elsewhere.
#[no_mangle]
pub extern "C" fn binance_string_free(s: *mut c_char) {
    guard_or((), || {
        if !s.is_null() {
            // SAFETY: non-NULL strings handed to C only come from
            // into_c_string, and the caller promises to free each once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// A C string for text that may hold NUL bytes (e.g. an exchange message
/// decoded from JSON): each NUL becomes U+FFFD rather than cutting it short.
pub(crate) fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Reads a caller's NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string alive for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str, String> {
    if p.is_null() {
        return Err(format!("{name} is NULL"));
    }
    // SAFETY: non-NULL and NUL-terminated, per this function's contract.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| format!("{name} is not UTF-8"))
}
