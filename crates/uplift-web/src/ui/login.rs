//! The login page, and logging out.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uplift_app::access;

use crate::AppState;
use crate::auth::{
    self, Caller, LOGIN_CSRF_COOKIE, MaybeCaller, PageCaller, SESSION_COOKIE, constant_time_eq,
};
use crate::ui::{Chrome, UiLang, error_page, render};

#[derive(Deserialize)]
pub(crate) struct NextParams {
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginContext {
    #[serde(flatten)]
    chrome: Chrome,
    next: String,
    csrf: String,
    username: String,
    error: Option<&'static str>,
}

/// A fresh token for the login form, bound to a cookie of the same value.
fn login_token() -> String {
    access::random_token()
}

fn login_page(
    state: &AppState,
    ui: &UiLang,
    status: StatusCode,
    next: String,
    username: String,
    error: Option<&'static str>,
) -> Response {
    let csrf = login_token();
    let ctx = LoginContext {
        chrome: ui.chrome(),
        next,
        csrf: csrf.clone(),
        username,
        error,
    };
    match render(state, ui, status, "login.html", ctx) {
        Ok(res) => auth::with_cookie(res, auth::set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600)),
        Err(err) => error_page(state, ui, err),
    }
}

pub(crate) async fn form(
    State(state): State<AppState>,
    ui: UiLang,
    MaybeCaller(caller): MaybeCaller,
    axum::extract::Query(params): axum::extract::Query<NextParams>,
) -> Response {
    let next = auth::safe_next(params.next.as_deref());
    if caller.is_some() {
        return Redirect::to(&next).into_response();
    }
    login_page(&state, &ui, StatusCode::OK, next, String::new(), None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ui: UiLang,
    auth::ClientAddr(client): auth::ClientAddr,
    headers: axum::http::HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_page(
            &state,
            &ui,
            StatusCode::BAD_REQUEST,
            "/households".into(),
            String::new(),
            Some("login_expired"),
        );
    };
    let next = auth::safe_next(form.next.as_deref());
    let bound = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if bound.is_empty() || !constant_time_eq(bound.as_bytes(), form.csrf.as_bytes()) {
        return login_page(
            &state,
            &ui,
            StatusCode::FORBIDDEN,
            next,
            form.username,
            Some("login_expired"),
        );
    }
    match access::login(
        &state.app,
        &form.username,
        &form.password,
        client.as_deref(),
    )
    .await
    {
        Ok(ticket) => {
            let res = Redirect::to(&next).into_response();
            let res = auth::with_cookie(
                res,
                auth::set_cookie(
                    SESSION_COOKIE,
                    &ticket.token,
                    access::SESSION_IDLE.num_seconds(),
                ),
            );
            auth::with_cookie(res, auth::set_cookie(LOGIN_CSRF_COOKIE, "", 0))
        }
        Err(access::AccessFailure::BadCredentials | access::AccessFailure::Disabled(_)) => {
            login_page(
                &state,
                &ui,
                StatusCode::UNAUTHORIZED,
                next,
                form.username,
                Some("login_failed"),
            )
        }
        Err(access::AccessFailure::RateLimited { .. }) => login_page(
            &state,
            &ui,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            form.username,
            Some("login_rate_limited"),
        ),
        Err(other) => error_page(&state, &ui, other.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    ui: UiLang,
    PageCaller(caller): PageCaller,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let submitted = form.ok().map(|Form(f)| f.csrf);
    if let Err(err) = caller.check_csrf(submitted.as_deref()) {
        return error_page(&state, &ui, err);
    }
    end(&state, &ui, &caller).await
}

async fn end(state: &AppState, ui: &UiLang, caller: &Caller) -> Response {
    match access::logout(&state.app, &caller.session_token).await {
        Ok(()) => auth::with_cookie(
            Redirect::to("/login").into_response(),
            auth::set_cookie(SESSION_COOKIE, "", 0),
        ),
        Err(e) => error_page(state, ui, e.into()),
    }
}
