//! The pure-Rust core: nothing here knows about C.
pub mod classify;
pub mod client;
pub mod clock;
pub mod config;
pub mod log;
pub mod outcome;
pub mod request;
pub mod secret;
pub mod sign;
pub mod signer;
pub mod tcp;
pub mod transport;
