//! Cancel Binance algo orders through a stable C ABI.
//!
//! `engine` is the pure-Rust core (signing, requests, classification,
//! transport); `ffi` is the thin C layer over it; `sim` is the local exchange
//! simulator that the demo and the tests run against.
#![allow(non_camel_case_types)]

#[forbid(unsafe_code)]
pub mod engine;
pub mod ffi;
#[forbid(unsafe_code)]
pub mod sim;
