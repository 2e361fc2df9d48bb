//! `uplift household change KIND --household NO …`: one typed change from the command line.

use anyhow::{Context, bail};
use uplift_app::access::Principal;
use uplift_app::change_input::{self, ChangeInput, InputError, KINDS, Submission};
use uplift_domain::household::HouseholdNo;
use uplift_domain::version::ReadAt;

use crate::cli::{ChangeArgs, HouseholdCommand};
use crate::startup::{self, open_db};

pub async fn run(cmd: HouseholdCommand, actor: &str) -> anyhow::Result<()> {
    match cmd {
        HouseholdCommand::Change(args) => change(args, actor).await,
    }
}

async fn change(args: ChangeArgs, actor: &str) -> anyhow::Result<()> {
    let kind = args.kind.replace('-', "_");
    if !KINDS.contains(&kind.as_str()) {
        bail!(
            "unknown change {:?}; accepted: {}",
            args.kind,
            KINDS.join(", ").replace('_', "-")
        );
    }
    let db = open_db(&args.database.database).await?;
    let app = startup::app(&db, startup::policy_book(&args.policy)?);
    let by = Principal::machine(actor);
    let today = ReadAt::current(app.clock.today());
    let no = HouseholdNo::parse(&args.household_no).context("--household")?;
    let Some(household) = app.store.find_household_by_no(&no, today).await? else {
        bail!("no household has the number {}", no.as_str());
    };
    let mut input = ChangeInput::new(&kind);
    for pair in &args.set {
        let Some((field, value)) = pair.split_once('=') else {
            bail!("--set {pair:?}: expected FIELD=VALUE");
        };
        input = input.with(field.trim(), value.trim());
    }
    if let Some(member) = &args.member {
        let detail = uplift_app::households::get(&app, household, &by.scope(), today).await?;
        let wanted = member.trim().to_ascii_uppercase();
        let Some(found) = detail
            .members
            .iter()
            .find(|m| m.person.value.is_active() && m.person.value.id_number.as_str() == wanted)
        else {
            bail!(
                "no active member of household {} has the ID number {member}",
                no.as_str()
            );
        };
        let field = if kind == "change_head" {
            "head"
        } else {
            "person"
        };
        input = input.with(field, found.id.0.to_string());
    }
    let submission = Submission {
        household,
        input,
        valid_from: args.valid_from.unwrap_or_default(),
        reason: args.reason,
        expected_version: None,
        channel: "cli",
    };
    match change_input::submit(&app, &by, submission).await {
        Ok(outcome) => {
            println!(
                "已记录 recorded: {kind} on household {} (version {})",
                no.as_str(),
                outcome.version
            );
            for h in &outcome.applied.new_households {
                println!("  new household id {}", h.0);
            }
            Ok(())
        }
        Err(InputError::Fields(problems)) => {
            for p in &problems {
                eprintln!(
                    "  {}: {}",
                    p.field.as_deref().unwrap_or("change"),
                    p.message
                );
            }
            bail!("the change was not recorded: {} problem(s)", problems.len())
        }
        Err(e) => Err(anyhow::Error::new(e).context("the change was not recorded")),
    }
}
