//! Department feeds (formats.md §3), every kind, and the stored row encodings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uplift_app::feeds::{decode_data, decode_target, encode_data, parse_feed};
use uplift_screen::FeedKind;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let kind = FeedKind::ALL[usize::from(first) % FeedKind::ALL.len()];
    let name = if first & 0x80 == 0 { "feed.csv" } else { "feed.xlsx" };
    if let Ok(feed) = parse_feed(kind, name, rest.to_vec()) {
        let _ = feed;
    }
    let s = String::from_utf8_lossy(rest);
    if let Some(d) = decode_data(kind, &s) {
        let _ = encode_data(&d);
    }
    let _ = decode_target(&s);
});
