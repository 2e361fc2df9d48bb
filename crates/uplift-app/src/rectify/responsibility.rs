//! Five-level responsibility (五级书记抓乡村振兴, domain.md §11): each region from province to
//! village has a responsible secretary and work units beneath it; tasks are assigned down the
//! tree to every region of a level, and completion is rolled up at each level between.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uplift_domain::access::Action;
use uplift_domain::region::{Region, RegionCode, RegionLevel};

use super::store::{NewTask, Responsibility, TaskId, TaskRecord};
use super::{RectifyFailure, RectifyResult};
use crate::App;
use crate::access::{AccessDenied, Principal};
use crate::store::StoreError;

const NAME_MAX: usize = 200;
const TEXT_MAX: usize = 4000;

fn denied(by: &Principal, action: Action) -> RectifyFailure {
    RectifyFailure::Denied(AccessDenied {
        who: by.name.clone(),
        action,
    })
}

/// Refuses unless the principal may take `action` and its region contains `region`.
fn require_in(by: &Principal, action: Action, region: &RegionCode) -> RectifyResult<()> {
    by.require(action)?;
    match (by.role, by.region) {
        (None, _) => Ok(()),
        (Some(_), Some(own)) if own.contains(region) => Ok(()),
        _ => Err(denied(by, action)),
    }
}

fn text(field: &str, value: &str, max: usize) -> RectifyResult<()> {
    if value.trim().is_empty() {
        return Err(RectifyFailure::Invalid(format!(
            "{field} must not be empty"
        )));
    }
    if value.chars().count() > max {
        return Err(RectifyFailure::Invalid(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(())
}

/// Names a region's secretary and units.
pub async fn set_responsibility(
    app: &App,
    by: &Principal,
    responsibility: Responsibility,
    source: &str,
) -> RectifyResult<()> {
    require_in(by, Action::ManageResponsibility, &responsibility.region)?;
    text("secretary", &responsibility.secretary, NAME_MAX)?;
    if responsibility.units.len() > 100 {
        return Err(RectifyFailure::Invalid("more than 100 units".into()));
    }
    for u in &responsibility.units {
        text("units", u, NAME_MAX)?;
    }
    if app.store.region(&responsibility.region).await?.is_none() {
        return Err(StoreError::NotFound(format!("region {}", responsibility.region)).into());
    }
    let stamp = app.stamp(&by.name, source, app.clock.today(), None);
    app.store
        .save_responsibility(&responsibility, &stamp)
        .await?;
    Ok(())
}

/// Every region of `level` under `region`, by code.
async fn regions_at(
    app: &App,
    region: &RegionCode,
    level: RegionLevel,
) -> RectifyResult<Vec<Region>> {
    let mut frontier = vec![*region];
    let mut out = Vec::new();
    while let Some(code) = frontier.pop() {
        for child in app.store.region_children(Some(&code)).await? {
            if child.level() == level {
                out.push(child);
            } else if child.level() < level {
                frontier.push(child.code);
            }
        }
    }
    out.sort_by_key(|r| r.code);
    Ok(out)
}

/// Assigns a task to every region of `task.target_level` under `task.region`.
pub async fn assign_task(
    app: &App,
    by: &Principal,
    task: NewTask,
    source: &str,
) -> RectifyResult<TaskId> {
    require_in(by, Action::ManageResponsibility, &task.region)?;
    text("title", &task.title, NAME_MAX)?;
    if task.description.chars().count() > TEXT_MAX {
        return Err(RectifyFailure::Invalid(format!(
            "description is longer than {TEXT_MAX} characters"
        )));
    }
    if task.target_level <= task.region.level() {
        return Err(RectifyFailure::Invalid(format!(
            "a task of a {} goes down to a lower level, not to {}",
            task.region.level().as_str(),
            task.target_level.as_str()
        )));
    }
    let today = app.clock.today();
    if task.deadline < today {
        return Err(RectifyFailure::Invalid(format!(
            "the deadline {} is before today {today}",
            task.deadline
        )));
    }
    let targets: Vec<RegionCode> = regions_at(app, &task.region, task.target_level)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    if targets.is_empty() {
        return Err(RectifyFailure::Invalid(format!(
            "region {} has no {} regions in the store",
            task.region,
            task.target_level.as_str()
        )));
    }
    let stamp = app.stamp(&by.name, source, today, None);
    Ok(app.store.create_task(&task, &targets, &stamp).await?)
}

/// Marks a target region's task complete (or withdraws the mark with `completed_on` none).
pub async fn complete_task(
    app: &App,
    by: &Principal,
    task: TaskId,
    region: &RegionCode,
    completed_on: Option<NaiveDate>,
    note: &str,
    source: &str,
) -> RectifyResult<()> {
    require_in(by, Action::ReportRectification, region)?;
    let today = app.clock.today();
    if let Some(on) = completed_on
        && on > today
    {
        return Err(RectifyFailure::Invalid(format!(
            "completed_on {on} is after today {today}"
        )));
    }
    if note.chars().count() > TEXT_MAX {
        return Err(RectifyFailure::Invalid("note is too long".into()));
    }
    let record = app
        .store
        .tasks(Some(region))
        .await?
        .into_iter()
        .find(|t| t.id == task)
        .ok_or_else(|| StoreError::NotFound(format!("task {}", task.0)))?;
    if !record.targets.iter().any(|t| t.region == *region) {
        return Err(StoreError::NotFound(format!(
            "region {region} is not a target of task {}",
            task.0
        ))
        .into());
    }
    let stamp = app.stamp(&by.name, source, today, None);
    app.store
        .record_task_completion(task, region, completed_on, note, &stamp)
        .await?;
    Ok(())
}

/// Completion of a task at one region of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub region: RegionCode,
    pub done: u64,
    pub total: u64,
    /// Targets past the deadline and not complete.
    pub overdue: u64,
}

/// A task as one principal sees it, with completion rolled up at each level from the task's
/// region down to its targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    pub record: TaskRecord,
    /// Per level (the task's own level first), the regions inside the principal's scope.
    pub levels: Vec<(RegionLevel, Vec<Rollup>)>,
}

/// Rolls a task's targets up to every level from its region to the target level.
pub fn roll_up(record: &TaskRecord, today: NaiveDate, within: Option<&RegionCode>) -> TaskView {
    let mut levels = Vec::new();
    let mut level = Some(record.task.region.level());
    while let Some(l) = level {
        if l > record.task.target_level {
            break;
        }
        let mut by_region: BTreeMap<RegionCode, Rollup> = BTreeMap::new();
        for t in &record.targets {
            let Some(at) = t.region.ancestor(l) else {
                continue;
            };
            let visible = within.is_none_or(|w| w.contains(&at) || at.contains(w));
            if !visible {
                continue;
            }
            let e = by_region.entry(at).or_insert(Rollup {
                region: at,
                done: 0,
                total: 0,
                overdue: 0,
            });
            e.total += 1;
            if t.completed_on.is_some() {
                e.done += 1;
            } else if record.task.deadline < today {
                e.overdue += 1;
            }
        }
        levels.push((l, by_region.into_values().collect()));
        level = l.child();
    }
    TaskView {
        record: record.clone(),
        levels,
    }
}

/// Tasks the principal sees (its region's, and those assigned down to it), newest first.
pub async fn tasks(app: &App, by: &Principal) -> RectifyResult<Vec<TaskView>> {
    by.require(Action::ReadRectification)?;
    let within = match (by.role, by.region) {
        (None, _) => None,
        (Some(_), Some(r)) => Some(r),
        (Some(_), None) => return Err(denied(by, Action::ReadRectification)),
    };
    let today = app.clock.today();
    Ok(app
        .store
        .tasks(within.as_ref())
        .await?
        .iter()
        .map(|t| roll_up(t, today, within.as_ref()))
        .collect())
}

/// One task as the principal sees it.
pub async fn task(app: &App, by: &Principal, id: TaskId) -> RectifyResult<TaskView> {
    tasks(app, by)
        .await?
        .into_iter()
        .find(|t| t.record.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("task {}", id.0)).into())
}

/// A region of the tree with its secretary and units, where named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    pub region: Region,
    pub responsibility: Option<Responsibility>,
}

/// The principal's region and its children, with their secretaries (the tree, one level at a time).
pub async fn tree(
    app: &App,
    by: &Principal,
    region: Option<RegionCode>,
) -> RectifyResult<(TreeNode, Vec<TreeNode>)> {
    by.require(Action::ReadRectification)?;
    let region = match (region, by.region, by.role) {
        (Some(r), _, _) => r,
        (None, Some(own), _) => own,
        (None, None, None) => {
            return Err(RectifyFailure::Invalid("name a region".into()));
        }
        (None, None, Some(_)) => return Err(denied(by, Action::ReadRectification)),
    };
    if let (Some(_), Some(own)) = (by.role, by.region)
        && !own.contains(&region)
    {
        return Err(StoreError::NotFound(format!("region {region}")).into());
    }
    let this = app
        .store
        .region(&region)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("region {region}")))?;
    let named: BTreeMap<RegionCode, Responsibility> = app
        .store
        .responsibilities(&region)
        .await?
        .into_iter()
        .map(|(r, _)| (r.region, r))
        .collect();
    let children = app
        .store
        .region_children(Some(&region))
        .await?
        .into_iter()
        .map(|c| TreeNode {
            responsibility: named.get(&c.code).cloned(),
            region: c,
        })
        .collect();
    Ok((
        TreeNode {
            responsibility: named.get(&region).cloned(),
            region: this,
        },
        children,
    ))
}
