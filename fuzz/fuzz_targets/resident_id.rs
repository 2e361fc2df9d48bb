//! Resident ID numbers (GB 11643): any text is a value or an error; a value round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uplift_domain::resident_id::ResidentId;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    if let Ok(id) = ResidentId::parse(&s, today) {
        // 18 characters, or 20/22 for national-system numbers (GB 11643 and the registry's own).
        assert!(matches!(id.as_str().len(), 18 | 20 | 22), "{:?}", id.as_str());
        assert_eq!(ResidentId::from_stored(id.as_str()).as_ref(), Some(&id));
        let _ = (id.kind(), id.birth_date(), id.sex());
    }
    if let Some(id) = ResidentId::from_stored(&s) {
        let _ = (id.kind(), id.birth_date(), id.sex());
    }
});
