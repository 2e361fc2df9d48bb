//! Who is calling: the session cookie, the CSRF token, and what the caller may see.
//!
//! Sessions are server-side (`uplift_app::access`): the cookie holds a random token whose hash
//! the store keeps. Every state-changing request carries the session's CSRF token, in the
//! `csrf` form field or the `X-CSRF-Token` header. Logins carry a token of their own, bound to a
//! cookie set with the login form (double submit), since there is no session yet.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use uplift_app::access::{self, Principal};
use uplift_app::store::Scope;
use uplift_domain::access::{Action, SensitiveField, Visibility};

use crate::AppState;
use crate::error::ApiError;

pub(crate) const SESSION_COOKIE: &str = "uplift_session";
pub(crate) const LOGIN_CSRF_COOKIE: &str = "uplift_login_csrf";
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The CSRF token a request sends in [`CSRF_HEADER`], if any (checked by `Caller::check_csrf`).
pub(crate) fn csrf_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

/// A logged-in caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) principal: Principal,
    pub(crate) csrf_token: String,
    pub(crate) session_token: String,
}

impl Caller {
    pub(crate) fn scope(&self) -> Scope {
        self.principal.scope()
    }

    /// Refuses with 403 unless the caller's role may take `action`.
    pub(crate) fn require(&self, action: Action) -> Result<(), ApiError> {
        self.principal
            .require(action)
            .map_err(|e| ApiError::Forbidden(e.to_string()))
    }

    /// Checks a submitted CSRF token against the session's, in constant time.
    pub(crate) fn check_csrf(&self, submitted: Option<&str>) -> Result<(), ApiError> {
        match submitted {
            Some(s) if constant_time_eq(s.as_bytes(), self.csrf_token.as_bytes()) => Ok(()),
            _ => Err(ApiError::Forbidden(
                "the CSRF token is missing or wrong; reload the page".to_owned(),
            )),
        }
    }

    /// How this caller sees personal fields; `unmasked` after a recorded unmask request.
    pub(crate) fn masking(&self, unmasked: bool) -> Masking {
        let plain = |field| match self.principal.sees(field) {
            Visibility::Plain => true,
            Visibility::Masked { may_unmask } => unmasked && may_unmask,
        };
        Masking {
            id_number: plain(SensitiveField::IdNumber),
            phone: plain(SensitiveField::Phone),
            health: plain(SensitiveField::Health),
            may_unmask: self.principal.may(Action::Unmask)
                && [
                    SensitiveField::IdNumber,
                    SensitiveField::Phone,
                    SensitiveField::Health,
                ]
                .into_iter()
                .any(|f| self.principal.sees(f) != Visibility::Plain),
        }
    }
}

/// Which personal fields are shown plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Masking {
    pub(crate) id_number: bool,
    pub(crate) phone: bool,
    pub(crate) health: bool,
    /// Whether the caller may ask to reveal what is masked.
    pub(crate) may_unmask: bool,
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly, Secure, SameSite=Lax, path `/`.
pub(crate) fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_seconds}; HttpOnly; Secure; SameSite=Lax"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

pub(crate) fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(SET_COOKIE, cookie);
    res
}

/// Looks the session up, if the request carries one.
async fn caller_of(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    Ok(access::session(&state.app, &token)
        .await?
        .map(|(principal, csrf_token)| Caller {
            principal,
            csrf_token,
            session_token: token,
        }))
}

/// The caller of an `/api` route; 401 in the error envelope without a live session.
pub(crate) struct ApiCaller(pub(crate) Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        caller_of(parts, state)
            .await?
            .map(ApiCaller)
            .ok_or(ApiError::Unauthorized)
    }
}

/// The caller of a page, if logged in (the login page and error pages).
pub(crate) struct MaybeCaller(pub(crate) Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeCaller(caller_of(parts, state).await.ok().flatten()))
    }
}

/// The caller of a page; without a session, a redirect to the login page that comes back here.
pub(crate) struct PageCaller(pub(crate) Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match caller_of(parts, state).await {
            Ok(Some(caller)) => Ok(PageCaller(caller)),
            Ok(None) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("/login{}", crate::ui::query_string(&[("next", next)]));
                Err(Redirect::to(&target).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// A `next` target is only followed inside this site.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/households".to_owned(),
    }
}

/// The client's address, when the server was started with connect info (the CLI does this).
pub(crate) struct ClientAddr(pub(crate) Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip().to_string()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_on_the_site() {
        assert_eq!(safe_next(Some("/households/3")), "/households/3");
        assert_eq!(safe_next(Some("//evil.example")), "/households");
        assert_eq!(safe_next(Some("https://evil.example")), "/households");
        assert_eq!(safe_next(Some("/\\evil")), "/households");
        assert_eq!(safe_next(None), "/households");
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("lang=en; uplift_session=abc"),
        );
        assert_eq!(cookie(&headers, "uplift_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
        let value = set_cookie("uplift_session", "abc", 60);
        let text = value.to_str().unwrap();
        assert!(
            text.contains("HttpOnly") && text.contains("Secure") && text.contains("SameSite=Lax")
        );
    }

    #[test]
    fn tokens_compare_in_constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
