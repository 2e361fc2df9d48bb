//! What the printable documents need beyond the registry and the cases.

use async_trait::async_trait;
use uplift_app::documents::DocumentStore;
use uplift_app::store::{HouseholdId, StoreResult};

use crate::Db;
use crate::registry::unexpected;

#[async_trait]
impl DocumentStore for Db {
    async fn household_helpers(&self, household: HouseholdId) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT u.display_name FROM helper_assignments a JOIN users u ON u.id = a.user_id \
             WHERE a.household_id = $1 AND u.disabled = 0 ORDER BY u.display_name, u.id",
        )
        .bind(household.0)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected)
    }
}
