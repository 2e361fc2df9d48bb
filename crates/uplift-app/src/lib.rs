//! Use cases of Uplift and the ports they need (the store, the clock).
//!
//! A use case loads through the [`store::Store`] port, decides with `uplift-domain`, and saves
//! through the port again. It knows neither SQL nor HTTP.

use std::sync::Arc;

use uplift_domain::policy::PolicyBook;

pub mod access;
pub mod attachments;
pub mod campaigns;
pub mod cases;
pub mod change_input;
pub mod changes;
pub mod dashboard;
pub mod feeds;
pub mod households;
pub mod import;
pub mod imports;
pub mod policy;
pub mod projects;
pub mod quality;
pub mod quality_survey;
pub mod rectify;
pub mod regions;
pub mod sampling;
pub mod store;
pub mod synth;
pub mod villages;

/// The application: the ports and the policy in force, shared by the CLI and the web layer.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn store::Store>,
    pub clock: Arc<dyn store::Clock>,
    pub policy: Arc<PolicyBook>,
}

impl App {
    pub fn new(
        store: Arc<dyn store::Store>,
        clock: Arc<dyn store::Clock>,
        policy: PolicyBook,
    ) -> App {
        App {
            store,
            clock,
            policy: Arc::new(policy),
        }
    }

    /// A version stamp for a change made now by `actor` through `source`, effective `valid_from`.
    pub fn stamp(
        &self,
        actor: &str,
        source: &str,
        valid_from: chrono::NaiveDate,
        reason: Option<String>,
    ) -> uplift_domain::version::VersionStamp {
        uplift_domain::version::VersionStamp {
            valid_from,
            recorded_at: self.clock.now(),
            actor: actor.to_owned(),
            source: source.to_owned(),
            reason,
        }
    }
}
