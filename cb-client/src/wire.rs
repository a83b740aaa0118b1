//! Reading Coinbase's answers, for the token endpoint and the API alike:
//! bodies read under a cap, `Retry-After` in either form, the answer's
//! status on the call's span, and whether a failed request ever left.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// Whether a transport error proves the request never left: only a failed
/// connection or a request that could not be built does. Anything later
/// (a connection closed before the answer, a timeout) may have been
/// processed.
pub(crate) fn never_sent(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_builder()
}

/// The default cap on an answer's body: far above any Coinbase answer (a
/// page of 100 transactions is tens of kilobytes), far below what would
/// hurt the app.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 << 20;

/// Why an answer's body could not be read.
pub(crate) enum BodyError {
    TooLarge(usize),
    Transport(reqwest::Error),
}

/// Reads an answer's body, refusing one larger than `max` bytes before
/// reading it whole.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, BodyError> {
    let length = response.content_length();
    if length.is_some_and(|length| length > max as u64) {
        return Err(BodyError::TooLarge(max));
    }
    // One allocation for a body whose length is announced (and within
    // `max`, checked above), instead of one per doubling.
    let mut body = Vec::with_capacity(length.map_or(0, |length| length as usize));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A serde error's category and position, without the input it quotes.
pub(crate) fn shape(error: &serde_json::Error) -> String {
    format!("{:?} error at line {} column {}", error.classify(), error.line(), error.column())
}

/// Records an answer's status (and wait) on the current span, which is the
/// call's `cb.request` or `cb.token` span.
pub(crate) fn record_answer(status: StatusCode, retry_after: Option<Duration>) {
    let span = tracing::Span::current();
    span.record("http.status", status.as_u16());
    span.record("http.response.status_code", status.as_u16());
    if let Some(wait) = retry_after {
        span.record("cb.retry_after", wait.as_secs());
    }
}

/// A `Retry-After` value as a wait from `now`: either form of RFC 9110,
/// delay seconds or an HTTP date (a date in the past is no wait).
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        // 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT.
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }
}
