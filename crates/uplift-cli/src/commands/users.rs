//! `uplift user …` and the demo users.

use anyhow::{Context, anyhow};
use uplift_app::App;
use uplift_app::access::{self, NewUser, Principal};
use uplift_domain::access::{Department, Role};
use uplift_domain::household::{Codebook, HouseholdNo};
use uplift_domain::region::RegionCode;
use uplift_domain::version::ReadAt;

use crate::cli::UserCommand;
use crate::startup;

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "uplift-demo";

pub async fn run(cmd: UserCommand, actor: &str) -> anyhow::Result<()> {
    let by = Principal::machine(actor);
    match cmd {
        UserCommand::Add {
            username,
            role,
            region,
            department,
            display_name,
            password,
            database,
        } => {
            let app = open(&database.database).await?;
            let role = Role::parse(&role)?;
            let department = department.as_deref().map(Department::parse).transpose()?;
            let region = RegionCode::parse(&region).context("--region")?;
            let new = NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                role,
                region,
                department,
                password,
            };
            let name = new.username.clone();
            access::add_user(&app, &by, new).await?;
            println!("Added {name} ({} {}) for {region}.", role.zh(), role.code());
        }
        UserCommand::List { database } => {
            let app = open(&database.database).await?;
            for u in access::list_users(&app, &by).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}{}",
                    u.username,
                    u.display_name,
                    u.role.code(),
                    u.region,
                    u.department.map(|d| d.code()).unwrap_or("-"),
                    if u.disabled { "\tdisabled" } else { "" }
                );
            }
        }
        UserCommand::Disable { username, database } => {
            let app = open(&database.database).await?;
            access::set_disabled(&app, &by, &username, true).await?;
            println!("Disabled {username}.");
        }
        UserCommand::Enable { username, database } => {
            let app = open(&database.database).await?;
            access::set_disabled(&app, &by, &username, false).await?;
            println!("Enabled {username}.");
        }
        UserCommand::Passwd {
            username,
            password,
            database,
        } => {
            let app = open(&database.database).await?;
            access::set_password(&app, &by, &username, &password).await?;
            println!("Set the password of {username}.");
        }
        UserCommand::Assign {
            username,
            household_no,
            database,
        } => {
            let app = open(&database.database).await?;
            let no = HouseholdNo::parse(&household_no)?;
            let household = app
                .store
                .find_household_by_no(&no, ReadAt::current(app.clock.today()))
                .await?
                .ok_or_else(|| anyhow!("no household has the number {household_no}"))?;
            access::assign_helper(&app, &by, &username, household).await?;
            println!("Assigned household {household_no} to {username}.");
        }
    }
    Ok(())
}

async fn open(url: &str) -> anyhow::Result<App> {
    let db = startup::open_db(url).await?;
    // User commands read no policy; the built-in book keeps the App whole.
    let policy = uplift_app::policy::shipped().map_err(|e| anyhow!("{e}"))?;
    Ok(startup::app(&db, policy))
}

/// One demo user per role, scoped to the demo county, its first township and first village.
/// Returns `(username, role, region)` of each, whether new or already there.
pub async fn ensure_demo_users(
    app: &App,
    county: &RegionCode,
) -> anyhow::Result<Vec<(String, Role, RegionCode)>> {
    let township = app
        .store
        .region_children(Some(county))
        .await?
        .into_iter()
        .next()
        .context("the demo county has no townships")?
        .code;
    let village = app
        .store
        .region_children(Some(&township))
        .await?
        .into_iter()
        .next()
        .context("the demo township has no villages")?
        .code;
    let city = county.parent().context("a county has a city")?;
    let province = city.parent().context("a city has a province")?;
    let plan = [
        ("village", Role::VillageCadre, village, None),
        ("helper", Role::Helper, *county, None),
        ("township", Role::TownshipReviewer, township, None),
        ("county", Role::CountyOfficer, *county, None),
        ("admin", Role::CountyAdmin, *county, None),
        ("city", Role::CityViewer, city, None),
        ("province", Role::ProvinceViewer, province, None),
        (
            "clerk",
            Role::DepartmentClerk,
            *county,
            Some(Department::Medical),
        ),
        ("auditor", Role::Auditor, *county, None),
    ];
    let machine = Principal::machine("demo");
    let mut users = Vec::new();
    for (name, role, region, department) in plan {
        let username = format!("demo-{name}");
        if app.store.user_by_name(&username).await?.is_none() {
            let new = NewUser {
                username: username.clone(),
                display_name: format!("演示{}", role.zh()),
                role,
                region,
                department,
                password: DEMO_PASSWORD.to_owned(),
            };
            access::add_user(app, &machine, new).await?;
            if role == Role::Helper {
                assign_demo_households(app, &machine, &username, &village).await?;
            }
        }
        users.push((username, role, region));
    }
    Ok(users)
}

/// Gives the demo helper five households of the first village.
async fn assign_demo_households(
    app: &App,
    by: &Principal,
    helper: &str,
    village: &RegionCode,
) -> anyhow::Result<()> {
    let mut filter = uplift_app::store::HouseholdFilter::everything();
    filter.region = Some(*village);
    let page = app
        .store
        .list_households(
            &filter,
            ReadAt::current(app.clock.today()),
            uplift_app::store::Page::new(1, 5),
        )
        .await?;
    for household in page.items {
        access::assign_helper(app, by, helper, household.id).await?;
    }
    Ok(())
}
