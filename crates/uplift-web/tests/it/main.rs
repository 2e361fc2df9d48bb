//! The web layer end to end: the router over a real App on a temporary SQLite database,
//! driven in-process with `tower::ServiceExt::oneshot`.

mod api;
mod authz;
mod cases;
mod changes;
mod concurrency;
mod dashboard;
mod docs;
mod mass_assignment;
mod polish;
mod projects;
mod quality;
mod support;
mod ui;
mod uploads;
mod warnings;
