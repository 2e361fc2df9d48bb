//! Contract: a household that moved lists under the village its version in effect names, at
//! every point of view (as of, known at), as `uplift_domain::version::resolve` says; the total
//! agrees with the items.

use uplift_app::store::{HistoryEntry, HouseholdFilter, Page, Scope, Store};
use uplift_db::Db;
use uplift_domain::version::{ReadAt, Versioned, resolve};

use crate::contract;
use crate::registry::seed;
use crate::support::{d, stamp, t};

async fn moved_households_list_where_their_version_says(db: Db) {
    let (ids, villages) = seed(&db).await;
    let (a, b) = (villages[0], villages[1]);
    let moved = ids[0];
    let detail = db
        .household(moved, &Scope::Everything, ReadAt::current(d("2026-01-01")))
        .await
        .unwrap()
        .unwrap();
    let mut to_b = detail.household.value.clone();
    to_b.region = b;
    // Recorded in March: moved to b from 2026-03-01; corrected in April: from 2026-02-10.
    db.record_household_version(
        moved,
        &to_b,
        &stamp("2026-03-01", "2026-03-02T09:00:00+08:00"),
    )
    .await
    .unwrap();
    db.record_household_version(
        moved,
        &to_b,
        &stamp("2026-02-10", "2026-04-01T09:00:00+08:00"),
    )
    .await
    .unwrap();
    // And back to a from June, known in June.
    db.record_household_version(
        moved,
        &detail.household.value,
        &stamp("2026-06-01", "2026-06-02T09:00:00+08:00"),
    )
    .await
    .unwrap();
    let versions: Vec<Versioned<_>> = db
        .household_history(moved)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            HistoryEntry::Household(v) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(versions.len(), 4);
    let mut probes = 0;
    for date in [
        "2020-06-01",
        "2026-02-09",
        "2026-02-10",
        "2026-03-01",
        "2026-06-01",
    ] {
        for instant in [
            None,
            Some("2021-01-01T00:00:00+08:00"),
            Some("2026-03-10T00:00:00+08:00"),
            Some("2026-05-01T00:00:00+08:00"),
        ] {
            let at = ReadAt {
                as_of: d(date),
                known_at: instant.map(t),
            };
            let expected = resolve(&versions, at).map(|v| v.value.region);
            for village in [a, b] {
                let mut filter = HouseholdFilter::everything();
                filter.region = Some(village);
                let list = db
                    .list_households(&filter, at, Page::new(1, 50))
                    .await
                    .unwrap();
                let listed = list.items.iter().any(|h| h.id == moved);
                assert_eq!(
                    listed,
                    expected == Some(village),
                    "{village} as of {date}, known at {instant:?}"
                );
                assert_eq!(list.total, list.items.len() as u64, "{village} {date}");
                // Listed under b or a, never twice, with the region of the version in effect.
                for h in &list.items {
                    assert_eq!(h.household.region, village);
                }
                probes += usize::from(listed);
            }
        }
    }
    // The move was seen both ways among the probes.
    assert!(probes > 4, "{probes}");
}
contract!(moved_households_list_where_their_version_says);
