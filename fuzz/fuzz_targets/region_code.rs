//! Region codes (统计用区划代码): any text is a code or an error; a code round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uplift_domain::region::RegionCode;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(code) = RegionCode::parse(&s) {
        assert_eq!(RegionCode::parse(code.as_str()).unwrap(), code);
        let _ = (code.level(), code.prefix());
        let mut c = code;
        while let Some(parent) = c.parent() {
            assert!(parent.contains(&code));
            c = parent;
        }
    }
});
