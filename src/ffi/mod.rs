//! The C ABI. Each function only checks its arguments, converts them, calls
//! the engine and converts back, inside a panic guard. Ownership, NULL and
//! threading rules are in each function's doc comment, which cbindgen copies
//! into include/binance_algo.h.

// These functions are for C, where Rust's `unsafe` marker does not exist:
// each one checks its pointers and documents what it expects of them.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod cancel;
mod client;
mod config;
mod hooks;
mod options;
mod result;
mod status;
mod strings;
mod version;

pub use cancel::*;
pub use client::*;
pub use config::*;
pub use hooks::*;
pub use options::*;
pub use result::*;
pub use status::*;
pub use strings::*;
pub use version::*;

#[cfg(not(panic = "unwind"))]
compile_error!("libbinance_algo must be built with panic = \"unwind\": the FFI guard catches panics");

/// Runs an FFI body; a panic becomes `BINANCE_ERR_INTERNAL` instead of
/// aborting the host process.
pub(crate) fn guard(body: impl FnOnce() -> binance_status) -> binance_status {
    guard_or(binance_status::BINANCE_ERR_INTERNAL, body)
}

/// Same, for functions returning a pointer, an integer or nothing.
pub(crate) fn guard_or<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    // AssertUnwindSafe: after a panic we return at once and never read what
    // the body left half-written. Out-params were cleared first, a result
    // object is reset on its next use, and a client holds no state that a
    // call mutates outside ureq's own locks.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// A new `T` behind the opaque C type `C` (a `Box`; one `T` per `C`).
pub(crate) fn new_handle<T: Default, C>() -> *mut C {
    guard_or(std::ptr::null_mut(), || Box::into_raw(Box::<T>::default()).cast())
}

/// Frees a handle made by `new_handle::<T, C>`; NULL does nothing.
pub(crate) fn free_handle<T, C>(handle: *mut C) {
    guard_or((), || {
        if !handle.is_null() {
            // SAFETY: non-NULL handles of type C only come from
            // new_handle::<T, C>, and the caller promises to free each once.
            drop(unsafe { Box::from_raw(handle.cast::<T>()) });
        }
    })
}

/// Borrows a `*const T` handle as `&U`, or returns INVALID_ARGUMENT.
macro_rules! try_ref {
    ($ptr:expr, $ty:ty) => {{
        let ptr = $ptr as *const $ty;
        if ptr.is_null() {
            return $crate::ffi::binance_status::BINANCE_ERR_INVALID_ARGUMENT;
        }
        // SAFETY: non-NULL handles of this type only come from our own
        // constructors, and the caller promises the handle is still alive.
        unsafe { &*ptr }
    }};
}

/// Borrows a `*mut T` handle as `&mut U`, or returns INVALID_ARGUMENT.
macro_rules! try_mut {
    ($ptr:expr, $ty:ty) => {{
        let ptr = $ptr as *mut $ty;
        if ptr.is_null() {
            return $crate::ffi::binance_status::BINANCE_ERR_INVALID_ARGUMENT;
        }
        // SAFETY: as for try_ref, and the caller promises no other thread
        // uses the handle during the call (documented per type).
        unsafe { &mut *ptr }
    }};
}

/// Checks an out-param, sets `*out = $cleared`, and yields it as `&mut T`.
macro_rules! try_out_value {
    ($ptr:expr, $cleared:expr) => {{
        let out = $ptr;
        if out.is_null() {
            return $crate::ffi::binance_status::BINANCE_ERR_INVALID_ARGUMENT;
        }
        // SAFETY: non-NULL; the caller promises it points to writable
        // storage for one value of its type.
        let out = unsafe { &mut *out };
        *out = $cleared;
        out
    }};
}

/// A pointer out-param, set to NULL on entry.
macro_rules! try_out {
    ($ptr:expr) => {
        $crate::ffi::try_out_value!($ptr, std::ptr::null_mut())
    };
}

pub(crate) use {try_mut, try_out, try_out_value, try_ref};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal() {
        assert_eq!(guard(|| panic!("boom")), binance_status::BINANCE_ERR_INTERNAL);
        assert_eq!(guard_or(7, || panic!("boom")), 7);
        assert_eq!(guard(|| binance_status::BINANCE_OK), binance_status::BINANCE_OK);
    }
}
