//! Policy packs (TOML): any text is a pack or errors naming their keys; a pack renders.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(pack) = uplift_app::policy::parse_pack("fuzz.toml", &s) {
        let _ = uplift_app::policy::render_pack(&pack);
    }
});
