//! The web layer end to end: the router over a real App on a temporary SQLite database,
//! driven in-process with `tower::ServiceExt::oneshot`.

mod api;
mod authz;
mod cases;
mod changes;
mod dashboard;
mod docs;
mod polish;
mod quality;
mod rectify;
mod support;
mod ui;
mod uploads;
mod warnings;
