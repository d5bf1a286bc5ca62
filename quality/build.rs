//! Finds SeetaFace's frontal model inside the rustface package Cargo unpacked (a dependency
//! of this crate with the `detector` feature), so the model is never copied into Vouch's
//! repository nor downloaded at run time: `detect.rs` includes it from `OUT_DIR`.

use std::{env, fs, path::PathBuf};

const PACKAGE: &str = "rustface-0.1.7";
const MODEL: &str = "model/seeta_fd_frontal_v1.0.bin";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_DETECTOR").is_none() {
        return;
    }
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    // registry/src/<index>/rustface-x.y.z: one folder per registry index.
    let found = fs::read_dir(home.join("registry/src"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|index| index.path().join(PACKAGE).join(MODEL))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{PACKAGE}/{MODEL} not found under {}/registry/src", home.display()));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("seeta_fd_frontal.bin");
    fs::copy(&found, &out).expect("copy the face model");
    println!("cargo::rerun-if-changed={}", found.display());
}
