//! Contract: no lost update. Rounds of many concurrent typed changes to one household, all
//! against the version they loaded: in each round exactly one wins, every other one is a
//! conflict, and the household ends as the winners' changes made it, one version per win.

use uplift_app::access::Principal;
use uplift_app::changes::{self, Change, ChangeError, ChangeRequest, ChangeStore};
use uplift_app::store::{Scope, Store, StoreError};
use uplift_db::Db;

use crate::contract;
use crate::registry::{now, seed};
use crate::support::{app, d};

const ROUNDS: usize = 6;
const CLIENTS: usize = 16;

async fn concurrent_changes_to_one_household_never_lose_an_update(db: Db) {
    let (ids, _) = seed(&db).await;
    let h = ids[0];
    let app = app(&db);
    let cli = Principal::machine("clerk");
    let versions_before = db.household_history(h).await.unwrap().len();
    let mut winners = Vec::new();
    for round in 0..ROUNDS {
        let loaded = db.household_version(h).await.unwrap();
        let detail = db
            .household(h, &Scope::Everything, now())
            .await
            .unwrap()
            .unwrap();
        let attempts: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let tag = format!("r{round}c{client}");
                // Half edit the household's address, half a member's phone: different rows,
                // one household version.
                let change = if client % 2 == 0 {
                    let mut household = detail.household.value.clone();
                    household.address = Some(format!("长塘村 {tag}"));
                    Change::EditHousehold { household }
                } else {
                    let member = &detail.members[client % detail.members.len()];
                    let mut value = member.person.value.clone();
                    value.phone = Some(format!("139{round:04}{client:04}"));
                    Change::EditMember {
                        person: member.id,
                        value,
                    }
                };
                let req = ChangeRequest {
                    household: h,
                    change,
                    valid_from: d("2026-06-01"),
                    reason: format!("并发修改 {tag}"),
                    expected_version: Some(loaded),
                    channel: "cli",
                };
                let (app, cli) = (app.clone(), cli.clone());
                tokio::spawn(async move { (client, changes::apply(&app, &cli, req).await) })
            })
            .collect();
        let mut won = Vec::new();
        let mut conflicts = 0;
        for handle in attempts {
            match handle.await.unwrap() {
                (client, Ok(_)) => won.push(client),
                (_, Err(ChangeError::Store(StoreError::Conflict(_)))) => conflicts += 1,
                (_, Err(other)) => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: winners {won:?}");
        assert_eq!(conflicts, CLIENTS - 1);
        let winner = won[0];
        winners.push((round, winner));
        assert!(db.household_version(h).await.unwrap() > loaded);

        // The state is the winner's change, and no loser's.
        let after = db
            .household(h, &Scope::Everything, now())
            .await
            .unwrap()
            .unwrap();
        let tag = format!("r{round}c{winner}");
        if winner % 2 == 0 {
            assert_eq!(
                after.household.value.address.as_deref(),
                Some(format!("长塘村 {tag}").as_str())
            );
        } else {
            let member = &after.members[winner % after.members.len()];
            assert_eq!(
                member.person.value.phone.as_deref(),
                Some(format!("139{round:04}{winner:04}").as_str())
            );
        }
        let phones: Vec<String> = after
            .members
            .iter()
            .filter_map(|m| m.person.value.phone.clone())
            .collect();
        for client in (0..CLIENTS).filter(|c| *c != winner) {
            let loser = format!("r{round}c{client}");
            assert_ne!(
                after.household.value.address.as_deref(),
                Some(format!("长塘村 {loser}").as_str())
            );
            assert!(!phones.contains(&format!("139{round:04}{client:04}")));
        }
    }

    // Exactly one new version per win, each carrying its winner's reason.
    let history = db.household_history(h).await.unwrap();
    assert_eq!(history.len(), versions_before + ROUNDS);
    let mut reasons: Vec<String> = history
        .iter()
        .filter_map(|e| e.stamp().reason.clone())
        .filter(|r| r.starts_with("并发修改"))
        .collect();
    reasons.sort();
    let mut expected: Vec<String> = winners
        .iter()
        .map(|(r, c)| format!("并发修改 r{r}c{c}"))
        .collect();
    expected.sort();
    assert_eq!(reasons, expected);
}
contract!(concurrent_changes_to_one_household_never_lose_an_update);
