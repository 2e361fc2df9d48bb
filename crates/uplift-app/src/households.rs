//! Reading the registry and recording member changes.

use chrono::NaiveDate;
use uplift_domain::household::Person;
use uplift_domain::version::ReadAt;

use crate::App;
use crate::store::{
    HistoryEntry, HouseholdDetail, HouseholdFilter, HouseholdId, HouseholdSummary, Page, Paged,
    PersonId, Scope, StoreError, StoreResult,
};

/// The household list at a point of view.
pub async fn list(
    app: &App,
    filter: &HouseholdFilter,
    at: ReadAt,
    page: Page,
) -> StoreResult<Paged<HouseholdSummary>> {
    app.store.list_households(filter, at, page).await
}

/// One household at a point of view, within `scope`.
pub async fn get(
    app: &App,
    id: HouseholdId,
    scope: &Scope,
    at: ReadAt,
) -> StoreResult<HouseholdDetail> {
    app.store
        .household(id, scope, at)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("household {}", id.0)))
}

/// Every version of a household's records, newest recorded first.
pub async fn history(app: &App, id: HouseholdId, scope: &Scope) -> StoreResult<Vec<HistoryEntry>> {
    // The scope check reads the household as it is known now; history itself is not scoped by date.
    get(app, id, scope, ReadAt::current(app.clock.today())).await?;
    let mut entries = app.store.household_history(id).await?;
    entries.reverse();
    Ok(entries)
}

/// [`history`] for a caller that has just read the household through [`get`] with the same
/// scope at `read_at`: when that read was as it is known now, it already was history's scope
/// check, and is not repeated.
pub async fn history_after_get(
    app: &App,
    id: HouseholdId,
    scope: &Scope,
    read_at: ReadAt,
) -> StoreResult<Vec<HistoryEntry>> {
    if read_at != ReadAt::current(app.clock.today()) {
        return history(app, id, scope).await;
    }
    let mut entries = app.store.household_history(id).await?;
    entries.reverse();
    Ok(entries)
}

/// A change to one member, effective `valid_from`, recorded now.
pub struct MemberChange<'a> {
    pub household: HouseholdId,
    pub person: PersonId,
    pub actor: &'a str,
    pub source: &'a str,
    pub valid_from: NaiveDate,
    pub reason: Option<String>,
}

/// Records a new version of a member after checking the cross-field rules.
pub async fn change_member(
    app: &App,
    change: MemberChange<'_>,
    scope: &Scope,
    person: Person,
) -> StoreResult<()> {
    let person = person
        .normalise()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    get(
        app,
        change.household,
        scope,
        ReadAt::current(app.clock.today()),
    )
    .await?;
    let stamp = app.stamp(
        change.actor,
        change.source,
        change.valid_from,
        change.reason,
    );
    app.store
        .record_person_version(change.household, change.person, &person, &stamp)
        .await
}
