//! The web layer end to end: the router over a real App on a temporary SQLite database,
//! driven in-process with `tower::ServiceExt::oneshot`.

mod a11y;
mod api;
mod authz;
mod cases;
mod changes;
mod concurrency;
mod dashboard;
mod docs;
mod list_exports;
mod mass_assignment;
mod paged_lists;
mod photos;
mod polish;
mod projects;
mod quality;
mod rectify;
mod support;
mod ui;
mod uploads;
mod villages;
mod warnings;
