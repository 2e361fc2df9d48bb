//! Query parameters of the list and point-of-view routes (uplift-web `pov`, `parse_strict`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    uplift_web::fuzzing::query_params(&String::from_utf8_lossy(data));
});
