//! Rate limiting of failed sign-ins per client address, in memory on each
//! replica; the per-account lockout, in the store, holds across replicas.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;

/// Failed sign-ins per address within a sliding window.
pub struct LoginThrottle {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl LoginThrottle {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            failures: Mutex::default(),
        }
    }

    /// Seconds until the address may try again, if it must wait.
    fn wait(&self, ip: IpAddr, now: Instant) -> Option<u64> {
        let mut all = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let seen = all.get_mut(&ip)?;
        while seen
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            seen.pop_front();
        }
        if seen.is_empty() {
            all.remove(&ip);
            return None;
        }
        (seen.len() >= self.limit).then(|| {
            let oldest = seen.front().copied().unwrap_or(now);
            (self.window.saturating_sub(now.duration_since(oldest))).as_secs() + 1
        })
    }

    fn fail(&self, ip: IpAddr, now: Instant) {
        let mut all = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: a flood of addresses cannot grow the map without end.
        if all.len() >= 100_000 && !all.contains_key(&ip) {
            all.clear();
        }
        let seen = all.entry(ip).or_default();
        seen.push_back(now);
        if seen.len() > self.limit {
            seen.pop_front();
        }
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(20, Duration::from_secs(300))
    }
}

fn client_ip(request: &Request) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// 429 with Retry-After.
fn too_many(what: &str, secs: u64) -> Response {
    let mut refused = AppError::TooManyRequests(format!(
        "too many {what} from this address; try again in {secs} s"
    ))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        refused.headers_mut().insert(header::RETRY_AFTER, v);
    }
    refused
}

/// Middleware on the sign-in routes: refuses an address that failed too
/// often lately, and counts each refused sign-in (401) against it.
pub(crate) async fn limit_sign_ins(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(ip) = client_ip(&request) else {
        return next.run(request).await;
    };
    let throttle = &state.login_throttle;
    if let Some(secs) = throttle.wait(ip, Instant::now()) {
        return too_many("failed sign-ins", secs);
    }
    let response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        throttle.fail(ip, Instant::now());
    }
    response
}

/// Middleware on the public report intake: every report an address sends
/// counts, accepted or not, and past the limit it waits.
pub(crate) async fn limit_reports(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(ip) = client_ip(&request) else {
        return next.run(request).await;
    };
    let throttle = &state.report_throttle;
    let now = Instant::now();
    if let Some(secs) = throttle.wait(ip, now) {
        metrics::counter!("vigia_public_reports_refused_total", "reason" => "rate-limit")
            .increment(1);
        return too_many("reports", secs);
    }
    throttle.fail(ip, now);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_waits_after_the_limit_and_is_free_after_the_window() {
        let t = LoginThrottle::new(3, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..2 {
            t.fail(ip, t0);
        }
        assert_eq!(t.wait(ip, t0), None);
        t.fail(ip, t0);
        assert!(t.wait(ip, t0).is_some_and(|s| s > 0 && s <= 61));
        assert_eq!(t.wait(other, t0), None);
        assert_eq!(t.wait(ip, t0 + Duration::from_secs(61)), None);
    }
}
