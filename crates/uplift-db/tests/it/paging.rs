//! Contract: the household list pages through a list of any size. Pages of any size, taken in
//! turn, hold every household exactly once, in the list's order (household number, then key);
//! a page past the end is empty and the total stays right on every page.

use std::collections::HashSet;

use uplift_app::store::{HouseholdFilter, Page, Store};
use uplift_db::Db;
use uplift_domain::version::ReadAt;

use crate::contract;
use crate::dashboard::synth_app;
use crate::support::d;

async fn lists_page_through_any_size(db: Db) {
    synth_app(&db, 1_100).await;
    let at = ReadAt::current(d("2026-06-30"));
    let filter = HouseholdFilter::everything();
    let total = db.counts().await.unwrap().households;
    assert!(total >= 1_100, "{total}");
    for size in [Page::MAX_SIZE, 37] {
        let mut seen = HashSet::new();
        let mut order = Vec::new();
        let mut number = 1;
        loop {
            let page = db
                .list_households(&filter, at, Page::new(number, size))
                .await
                .unwrap();
            assert_eq!(page.total, total, "page {number} of size {size}");
            if page.items.is_empty() {
                break;
            }
            assert!(page.items.len() <= size as usize);
            for h in &page.items {
                assert!(seen.insert(h.id), "{:?} twice, size {size}", h.id);
                order.push((h.household.household_no.as_str().to_owned(), h.id.0));
            }
            number += 1;
        }
        assert_eq!(seen.len() as u64, total, "size {size}");
        assert_eq!(u64::from(number - 1), total.div_ceil(u64::from(size)));
        assert!(order.windows(2).all(|w| w[0] < w[1]), "the list's order");
    }
}
contract!(lists_page_through_any_size);
