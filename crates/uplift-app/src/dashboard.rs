//! Five-level dashboards: figures of a region at a point of view, the same at every level.
//!
//! A *figure* ([`Figure`]) is a named set of additive cells (counts of households or persons, sums
//! of fen), each with the household-list filter behind it ([`Drill`]). A [`FigureProvider`]
//! computes its figures per village inside one county-or-smaller area, with the policy pack in
//! force there; the dashboard sums villages into the region's children and the children into the
//! region. Since every cell is a sum, a township's numbers add up to its county's by
//! construction, and ratios (rates, growth) are derived from sums at display time, never stored.
//!
//! The registry figures come first ([`RegistryFigures`]); warnings by rule, cases by state,
//! measures by category and overdue tasks plug in later as further providers.

use std::collections::BTreeMap;

use async_trait::async_trait;
use uplift_domain::household::{Codebook, Health, HouseholdType, Labour};
use uplift_domain::income::Money;
use uplift_domain::policy::{OutOfPocketRule, PolicyPack};
use uplift_domain::region::{Region, RegionCode, RegionLevel};
use uplift_domain::version::ReadAt;

use crate::App;
use crate::store::{Scope, StoreError, StoreResult};

/// Per-capita net income against the monitoring line (L) of the pack in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IncomeBand {
    /// Below L.
    BelowLine,
    /// From L up to, not including, 1.5 L.
    NearLine,
    /// 1.5 L and more.
    AboveNear,
    /// No income record in effect, or no member left to divide by.
    NoRecord,
}

impl IncomeBand {
    pub const ALL: [IncomeBand; 4] = [
        IncomeBand::BelowLine,
        IncomeBand::NearLine,
        IncomeBand::AboveNear,
        IncomeBand::NoRecord,
    ];

    pub fn code(self) -> &'static str {
        match self {
            IncomeBand::BelowLine => "below_line",
            IncomeBand::NearLine => "near_line",
            IncomeBand::AboveNear => "above_near",
            IncomeBand::NoRecord => "no_record",
        }
    }

    pub fn parse(s: &str) -> Option<IncomeBand> {
        IncomeBand::ALL.into_iter().find(|b| b.code() == s)
    }
}

/// The income rule of a pack, as the store needs it to place a household in a band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandRule {
    pub line: Money,
    /// 1.5 × the line.
    pub near_line: Money,
    pub deduct_out_of_pocket: bool,
}

impl BandRule {
    pub fn of(pack: &PolicyPack) -> BandRule {
        BandRule {
            line: pack.monitoring_line,
            near_line: pack.monitoring_line.scale(3, 2),
            deduct_out_of_pocket: pack.out_of_pocket == OutOfPocketRule::Deduct,
        }
    }
}

/// A household-list filter on the income band (the list's `band=` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandFilter {
    pub band: IncomeBand,
    pub rule: BandRule,
}

/// What the store tallies for the registry figures: a county or smaller area, seen through a
/// scope at a point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyQuery {
    pub within: RegionCode,
    pub scope: Scope,
    pub at: ReadAt,
    pub rule: BandRule,
}

/// One additive count of the store: in `village`, for households of `household_type`, the
/// `measure` (e.g. `health`) at `key` (e.g. `disabled`) is `value`, over `households` households.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub village: RegionCode,
    pub household_type: HouseholdType,
    pub measure: String,
    pub key: String,
    pub value: i64,
    pub households: i64,
}

/// The store port of the dashboards. Aggregation happens in the database.
#[async_trait]
pub trait DashboardStore: Send + Sync {
    /// Tallies of the registry per village and household type, with these measures:
    /// `households` and `persons` (key empty), `health` and `labour` (persons, key the code),
    /// `band` (households, key an [`IncomeBand`] code of the latest income record),
    /// `income_net_fen` and `income_persons` (key the year the income period ends: net income and
    /// current members of households with a record of that year) and `quality` (households,
    /// key `no_members`, `no_head` or `several_heads`). Active members only.
    async fn registry_tallies(&self, query: &TallyQuery) -> StoreResult<Vec<Tally>>;
}

/// What a cell counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Households,
    Persons,
    Fen,
    /// Villages (village-indicator figures).
    Villages,
}

/// How a figure is best drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Big numbers side by side.
    Tiles,
    Donut,
    Bar,
    /// Ordered bands of one scale (income against the line).
    Distribution,
    /// A value per year.
    Line,
}

/// The household list behind a cell (inside the cell's region).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Drill {
    pub household_type: Option<HouseholdType>,
    pub income_band: Option<IncomeBand>,
}

/// One additive number of a figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub key: String,
    pub value: i64,
    /// The households behind the value: what small-cell suppression counts.
    pub households: i64,
    pub drill: Option<Drill>,
}

/// A named set of additive cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// Stable id, also the message key of its title (`fig_<id>`).
    pub id: &'static str,
    pub chart: Chart,
    pub unit: Unit,
    pub cells: Vec<Cell>,
}

impl Figure {
    pub fn new(id: &'static str, chart: Chart, unit: Unit) -> Figure {
        Figure {
            id,
            chart,
            unit,
            cells: Vec::new(),
        }
    }

    /// Adds to the cell `key`, creating it (with `drill`) if new.
    pub fn add(&mut self, key: &str, value: i64, households: i64, drill: Option<Drill>) {
        match self.cells.iter_mut().find(|c| c.key == key) {
            Some(cell) => {
                cell.value += value;
                cell.households += households;
            }
            None => self.cells.push(Cell {
                key: key.to_owned(),
                value,
                households,
                drill,
            }),
        }
    }

    pub fn cell(&self, key: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.key == key)
    }

    pub fn total(&self) -> i64 {
        self.cells.iter().map(|c| c.value).sum()
    }

    /// The same figure with every cell zero.
    pub fn zeroed(&self) -> Figure {
        Figure {
            cells: self
                .cells
                .iter()
                .map(|c| Cell {
                    value: 0,
                    households: 0,
                    ..c.clone()
                })
                .collect(),
            ..self.clone()
        }
    }
}

/// Adds `more` into `into`, figure by figure and cell by cell.
pub fn merge(into: &mut Vec<Figure>, more: &[Figure]) {
    for figure in more {
        match into.iter_mut().find(|f| f.id == figure.id) {
            Some(target) => {
                for c in &figure.cells {
                    target.add(&c.key, c.value, c.households, c.drill);
                }
            }
            None => into.push(figure.clone()),
        }
    }
}

/// The area a provider computes: a county or smaller region with the pack in force there.
#[derive(Debug, Clone)]
pub struct Area<'a> {
    pub within: RegionCode,
    pub scope: &'a Scope,
    pub at: ReadAt,
    pub pack: &'a PolicyPack,
}

/// A source of dashboard figures.
#[async_trait]
pub trait FigureProvider: Send + Sync {
    /// The figures of each village inside the area that has any; every cell additive.
    async fn figures(
        &self,
        app: &App,
        area: &Area<'_>,
    ) -> StoreResult<BTreeMap<RegionCode, Vec<Figure>>>;
}

/// Households, persons, income bands and growth, health, labour and data quality, from the
/// registry.
pub struct RegistryFigures;

/// The figure ids of [`RegistryFigures`], in display order.
pub const REGISTRY_FIGURES: [&str; 9] = [
    "households",
    "persons",
    "income_bands",
    "income_bands_formerly_poor",
    "income_net_fen",
    "income_persons",
    "health",
    "labour",
    "quality",
];

fn registry_skeleton() -> Vec<Figure> {
    let by_type = |id, unit| {
        let mut f = Figure::new(id, Chart::Tiles, unit);
        for t in HouseholdType::ALL {
            f.add(
                t.code(),
                0,
                0,
                Some(Drill {
                    household_type: Some(*t),
                    income_band: None,
                }),
            );
        }
        f
    };
    let bands = |id, household_type| {
        let mut f = Figure::new(id, Chart::Distribution, Unit::Households);
        for b in IncomeBand::ALL {
            f.add(
                b.code(),
                0,
                0,
                Some(Drill {
                    household_type,
                    income_band: Some(b),
                }),
            );
        }
        f
    };
    let mut health = Figure::new("health", Chart::Bar, Unit::Persons);
    for h in Health::ALL {
        health.add(h.code(), 0, 0, None);
    }
    let mut labour = Figure::new("labour", Chart::Bar, Unit::Persons);
    for l in Labour::ALL {
        labour.add(l.code(), 0, 0, None);
    }
    let mut quality = Figure::new("quality", Chart::Bar, Unit::Households);
    for q in ["no_members", "no_head", "several_heads"] {
        quality.add(q, 0, 0, None);
    }
    let mut households = by_type("households", Unit::Households);
    households.chart = Chart::Donut;
    vec![
        households,
        by_type("persons", Unit::Persons),
        bands("income_bands", None),
        bands(
            "income_bands_formerly_poor",
            Some(HouseholdType::FormerlyPoor),
        ),
        Figure::new("income_net_fen", Chart::Line, Unit::Fen),
        Figure::new("income_persons", Chart::Line, Unit::Persons),
        health,
        labour,
        quality,
    ]
}

#[async_trait]
impl FigureProvider for RegistryFigures {
    async fn figures(
        &self,
        app: &App,
        area: &Area<'_>,
    ) -> StoreResult<BTreeMap<RegionCode, Vec<Figure>>> {
        let tallies = app
            .store
            .registry_tallies(&TallyQuery {
                within: area.within,
                scope: area.scope.clone(),
                at: area.at,
                rule: BandRule::of(area.pack),
            })
            .await?;
        let mut out: BTreeMap<RegionCode, Vec<Figure>> = BTreeMap::new();
        for t in tallies {
            let figures = out.entry(t.village).or_insert_with(registry_skeleton);
            let fp = t.household_type == HouseholdType::FormerlyPoor;
            let mut add = |id: &str, key: &str| {
                if let Some(f) = figures.iter_mut().find(|f| f.id == id) {
                    f.add(key, t.value, t.households, None);
                }
            };
            match t.measure.as_str() {
                "households" => add("households", t.household_type.code()),
                "persons" => add("persons", t.household_type.code()),
                "health" => add("health", &t.key),
                "labour" => add("labour", &t.key),
                "quality" => add("quality", &t.key),
                "band" => {
                    add("income_bands", &t.key);
                    if fp {
                        add("income_bands_formerly_poor", &t.key);
                    }
                }
                "income_net_fen" if fp => add("income_net_fen", &t.key),
                "income_persons" if fp => add("income_persons", &t.key),
                _ => {}
            }
        }
        for figures in out.values_mut() {
            for f in figures.iter_mut().filter(|f| f.chart == Chart::Line) {
                f.cells.sort_by(|a, b| a.key.cmp(&b.key));
            }
        }
        Ok(out)
    }
}

/// A region's dashboard: its figures and those of each child region.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub region: Region,
    /// From the province down to the region itself.
    pub path: Vec<Region>,
    pub at: ReadAt,
    pub figures: Vec<Figure>,
    /// The child regions (none for a village), each with its figures.
    pub children: Vec<(Region, Vec<Figure>)>,
    /// k of small-cell suppression, from the pack in force for the region.
    pub min_cell: u32,
    /// The monitoring line in force for the region (the first county's when they differ).
    pub line: Option<Money>,
}

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("no region {0}")]
    UnknownRegion(RegionCode),
    #[error("no policy pack in force for {region} on {on}")]
    NoPolicy {
        region: RegionCode,
        on: chrono::NaiveDate,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The counties (or the one smaller area) a region's figures are computed over.
async fn areas_of(app: &App, region: &RegionCode) -> StoreResult<Vec<RegionCode>> {
    if region.level() >= RegionLevel::County {
        return Ok(vec![*region]);
    }
    let mut level = vec![*region];
    while level
        .first()
        .is_some_and(|r| r.level() < RegionLevel::County)
    {
        let mut next = Vec::new();
        for r in &level {
            next.extend(
                app.store
                    .region_children(Some(r))
                    .await?
                    .into_iter()
                    .map(|c| c.code),
            );
        }
        level = next;
    }
    Ok(level)
}

/// The dashboard of `region` through `scope` at `at`, from the given providers.
pub async fn dashboard(
    app: &App,
    providers: &[&dyn FigureProvider],
    region: &RegionCode,
    scope: &Scope,
    at: ReadAt,
) -> Result<Dashboard, DashboardError> {
    let this = app
        .store
        .region(region)
        .await?
        .ok_or(DashboardError::UnknownRegion(*region))?;
    let path = app.store.region_path(region).await?;
    let children = match region.level() {
        RegionLevel::Village => Vec::new(),
        _ => app.store.region_children(Some(region)).await?,
    };
    let mut per_village: BTreeMap<RegionCode, Vec<Figure>> = BTreeMap::new();
    let mut min_cell = None;
    let mut line = None;
    for area in areas_of(app, region).await? {
        let Some(pack) = app.policy.in_force(&area, at.as_of) else {
            if region.level() >= RegionLevel::County {
                return Err(DashboardError::NoPolicy {
                    region: area,
                    on: at.as_of,
                });
            }
            // A county with no pack (outside the provinces served) holds no registry.
            continue;
        };
        min_cell.get_or_insert(pack.dashboard.min_cell);
        line.get_or_insert(pack.monitoring_line);
        let area = Area {
            within: area,
            scope,
            at,
            pack,
        };
        for provider in providers {
            for (village, figures) in provider.figures(app, &area).await? {
                merge(per_village.entry(village).or_default(), &figures);
            }
        }
    }
    let min_cell = match min_cell {
        Some(k) => k,
        None => app
            .policy
            .in_force(region, at.as_of)
            .map(|p| p.dashboard.min_cell)
            .unwrap_or(1),
    };
    // Every child shows every figure, zero where it has no households.
    let mut total: Vec<Figure> = Vec::new();
    for figures in per_village.values() {
        merge(&mut total, figures);
    }
    let zero: Vec<Figure> = total.iter().map(Figure::zeroed).collect();
    let mut child_figures: Vec<(Region, Vec<Figure>)> =
        children.into_iter().map(|c| (c, zero.clone())).collect();
    for (village, figures) in &per_village {
        if let Some((_, into)) = child_figures
            .iter_mut()
            .find(|(c, _)| c.code.contains(village))
        {
            merge(into, figures);
        }
    }
    if total.is_empty() {
        total = registry_skeleton();
    }
    Ok(Dashboard {
        region: this,
        path,
        at,
        figures: total,
        children: child_figures,
        min_cell,
        line,
    })
}

/// The registry dashboard: the providers that exist today.
pub async fn registry_dashboard(
    app: &App,
    region: &RegionCode,
    scope: &Scope,
    at: ReadAt,
) -> Result<Dashboard, DashboardError> {
    dashboard(app, &[&RegistryFigures], region, scope, at).await
}

/// Whether a cell must be shown as "<k": it counts some, but fewer than `k`, households.
pub fn suppressed(cell: &Cell, k: u32) -> bool {
    cell.households > 0 && cell.households < i64::from(k)
}

/// Per-capita net income of formerly poor households by year, from the two line figures:
/// `(year, per-capita fen)`, oldest first.
pub fn per_capita_by_year(figures: &[Figure]) -> Vec<(String, Option<Money>)> {
    let net = figures.iter().find(|f| f.id == "income_net_fen");
    let persons = figures.iter().find(|f| f.id == "income_persons");
    let (Some(net), Some(persons)) = (net, persons) else {
        return Vec::new();
    };
    net.cells
        .iter()
        .map(|c| {
            let n = persons.cell(&c.key).map(|p| p.value).unwrap_or(0);
            let per_capita = u32::try_from(n)
                .ok()
                .and_then(|n| Money::from_fen(c.value).per_capita(n));
            (c.key.clone(), per_capita)
        })
        .collect()
}

/// Year-on-year growth of the last year over the one before, in tenths of a percent.
pub fn growth_permille(by_year: &[(String, Option<Money>)]) -> Option<i64> {
    let [.., (_, Some(prev)), (_, Some(last))] = by_year else {
        return None;
    };
    if prev.fen() <= 0 {
        return None;
    }
    Some((last.fen() - prev.fen()) * 1000 / prev.fen())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_merge_by_cell() {
        let mut a = vec![Figure::new("x", Chart::Bar, Unit::Households)];
        a[0].add("k", 2, 2, None);
        let mut b = Figure::new("x", Chart::Bar, Unit::Households);
        b.add("k", 3, 1, None);
        b.add("j", 1, 1, None);
        merge(&mut a, &[b]);
        assert_eq!(a[0].cell("k").unwrap().value, 5);
        assert_eq!(a[0].cell("k").unwrap().households, 3);
        assert_eq!(a[0].total(), 6);
    }

    #[test]
    fn small_cells_are_those_with_some_but_fewer_than_k_households() {
        let cell = |households| Cell {
            key: String::new(),
            value: households * 3,
            households,
            drill: None,
        };
        assert!(!suppressed(&cell(0), 5));
        assert!(suppressed(&cell(1), 5));
        assert!(suppressed(&cell(4), 5));
        assert!(!suppressed(&cell(5), 5));
    }

    #[test]
    fn growth_compares_the_last_two_years() {
        let years = vec![
            ("2024".to_owned(), Some(Money::from_yuan(10_000))),
            ("2025".to_owned(), Some(Money::from_yuan(11_000))),
        ];
        assert_eq!(growth_permille(&years), Some(100));
        assert_eq!(growth_permille(&years[..1]), None);
        assert_eq!(IncomeBand::parse("near_line"), Some(IncomeBand::NearLine));
    }
}
