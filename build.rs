//! Generates the C header with cbindgen and sets the shared library's soname
//! and export list.

use std::env;
use std::path::PathBuf;

fn main() {
    let dir = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("binance_algo.h");
    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).expect("package version");
    let (major, minor, patch) = (version("MAJOR"), version("MINOR"), version("PATCH"));
    let num = |s: &str| s.parse::<u32>().expect("numeric version");

    let mut config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml")).expect("cbindgen.toml");
    // From Cargo.toml, so the macros cannot drift from binance_version().
    config.after_includes = Some(format!(
        "\n#define BINANCE_ALGO_VERSION_MAJOR {major}\n\
         #define BINANCE_ALGO_VERSION_MINOR {minor}\n\
         #define BINANCE_ALGO_VERSION_PATCH {patch}\n\
         /* 0xMMmmpp, like LIBCURL_VERSION_NUM */\n\
         #define BINANCE_ALGO_VERSION_NUM 0x{:02x}{:02x}{:02x}",
        num(&major),
        num(&minor),
        num(&patch)
    ));
    cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header")
        .write_to_file(&out);
    // `make header` refreshes the committed copy; tests/header.rs fails on drift.
    if env::var_os("BINANCE_ALGO_WRITE_HEADER").is_some() {
        std::fs::copy(&out, format!("{dir}/include/binance_algo.h")).expect("write include/binance_algo.h");
    }

    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/binance_algo.map");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbinance_algo.so.{major}");
    }
    for path in ["src/ffi", "src/lib.rs", "cbindgen.toml", "binance_algo.map"] {
        println!("cargo:rerun-if-changed={path}");
    }
    println!("cargo:rerun-if-env-changed=BINANCE_ALGO_WRITE_HEADER");
}
