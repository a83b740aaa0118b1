//! The browser's return to the redirect URI: checking it against the pending
//! authorization, and the `AuthorizationCode<S>` it yields.

use std::fmt;
use std::marker::PhantomData;

use secrecy::{ExposeSecret as _, SecretString};
use subtle::ConstantTimeEq as _;
use url::Url;

use crate::{PendingAuthorization, ScopeSet};

/// Everything the token exchange needs: the code Coinbase sent back, and the
/// code verifier and redirect URI of the authorization it answers.
///
/// It comes only from a callback that passed every check, and an exchange
/// consumes it, as Coinbase accepts a code once. The code and verifier are
/// [`SecretString`]s: redacted in `Debug`, wiped from memory on drop.
pub struct AuthorizationCode<S> {
    code: SecretString,
    verifier: SecretString,
    redirect_uri: Url,
    requested: ScopeSet,
    set: PhantomData<fn() -> S>,
}

impl<S> AuthorizationCode<S> {
    /// The authorization code, the token request's `code`.
    pub fn code(&self) -> &SecretString {
        &self.code
    }

    /// The PKCE code verifier, the token request's `code_verifier`.
    pub fn code_verifier(&self) -> &SecretString {
        &self.verifier
    }

    /// The redirect URI the authorize URL named, which the token request
    /// must repeat exactly.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// The scopes the authorize URL asked for. What Coinbase granted can be
    /// less: the token response says.
    pub fn requested_scopes(&self) -> ScopeSet {
        self.requested
    }
}

impl<S> fmt::Debug for AuthorizationCode<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCode")
            .field("code", &"[REDACTED]")
            .field("code_verifier", &"[REDACTED]")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("requested", &self.requested)
            .finish()
    }
}

impl<S> PendingAuthorization<S> {
    /// Checks the URL the browser came back to, whole, such as
    /// `https://app.example/callback?code=..&state=..`, and returns the code
    /// to exchange.
    ///
    /// On top of what [`complete_query`](Self::complete_query) checks, the
    /// URL's scheme, host, port and path must be those of the redirect URI.
    ///
    /// # Errors
    ///
    /// A [`CallbackError`] saying what was wrong; see `complete_query`.
    pub fn complete(self, redirect_url: &str) -> Result<AuthorizationCode<S>, CallbackError> {
        let received = Url::parse(redirect_url)
            .map_err(|error| CallbackError::InvalidUrl { reason: error.to_string() })?;
        if !same_endpoint(&received, &self.redirect_uri) {
            return Err(CallbackError::RedirectUriMismatch {
                expected: endpoint_text(&self.redirect_uri),
                received: sanitize(&endpoint_text(&received)),
            });
        }
        self.complete_query(received.query().unwrap_or(""))
    }

    /// Checks the query string of the request the browser made to the
    /// redirect URI (with or without its leading `?`), for a router that has
    /// already matched the path, and returns the code to exchange.
    ///
    /// The checks, in order: no parameter among `code`, `state`, `error` and
    /// `error_description` is repeated; `state` is present and equals the
    /// pending one, compared in constant time (a denial must match it too,
    /// so nobody can forge one); there is no `error`; `code` is present and
    /// not empty.
    ///
    /// Either way the pending authorization is consumed: its verifier serves
    /// one exchange, and a callback that failed a check should not be retried
    /// with it. Send the user through a new authorize URL instead.
    ///
    /// ```
    /// use cb_scopes::{AuthorizeUrl, CallbackError, scopes};
    ///
    /// type Reader = scopes!(wallet:accounts:read);
    /// let builder = AuthorizeUrl::<Reader>::new("id", "https://app.example/callback");
    ///
    /// let (_, pending) = builder.build()?;
    /// let query = format!("code=4c3a&state={}", pending.state());
    /// let code = pending.complete_query(&query)?;
    /// assert_eq!(code.redirect_uri().as_str(), "https://app.example/callback");
    ///
    /// let (_, pending) = builder.build()?;
    /// let query = format!("error=access_denied&state={}", pending.state());
    /// let denied = pending.complete_query(&query).unwrap_err();
    /// assert!(matches!(denied, CallbackError::AccessDenied { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`CallbackError`] saying which check failed.
    pub fn complete_query(self, query: &str) -> Result<AuthorizationCode<S>, CallbackError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let params = CallbackParams::parse(query)?;

        let state = params.state.ok_or(CallbackError::MissingParameter("state"))?;
        let same_state: bool = state.as_bytes().ct_eq(self.state.as_bytes()).into();
        if !same_state {
            return Err(CallbackError::StateMismatch);
        }
        if let Some(error) = params.error {
            let description = params.error_description.map(|text| sanitize(&text));
            return Err(if error == "access_denied" {
                CallbackError::AccessDenied { description }
            } else {
                CallbackError::Authorization { error: sanitize(&error), description }
            });
        }
        let code = params.code.filter(|code| !code.expose_secret().is_empty());
        let code = code.ok_or(CallbackError::MissingParameter("code"))?;
        Ok(AuthorizationCode {
            code,
            verifier: self.verifier,
            redirect_uri: self.redirect_uri,
            requested: self.requested,
            set: PhantomData,
        })
    }
}

/// The parameters of a callback that the checks read, each at most once.
#[derive(Default)]
struct CallbackParams {
    code: Option<SecretString>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl CallbackParams {
    fn parse(query: &str) -> Result<Self, CallbackError> {
        fn set<T>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), CallbackError> {
            match slot.replace(value) {
                Some(_) => Err(CallbackError::RepeatedParameter(name)),
                None => Ok(()),
            }
        }

        let mut params = CallbackParams::default();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*name {
                "code" => set(&mut params.code, "code", SecretString::from(value.into_owned()))?,
                "state" => set(&mut params.state, "state", value.into_owned())?,
                "error" => set(&mut params.error, "error", value.into_owned())?,
                "error_description" => {
                    set(&mut params.error_description, "error_description", value.into_owned())?
                }
                // The redirect URI's own parameters, and any Coinbase adds.
                _ => {}
            }
        }
        Ok(params)
    }
}

/// Whether two URLs name the same redirection endpoint: same scheme, host,
/// port and path. The query may differ, as Coinbase appends to it.
fn same_endpoint(received: &Url, expected: &Url) -> bool {
    received.scheme() == expected.scheme()
        && received.host() == expected.host()
        && received.port_or_known_default() == expected.port_or_known_default()
        && received.path() == expected.path()
}

/// A URL without its query and fragment, which may hold the code.
fn endpoint_text(url: &Url) -> String {
    let mut endpoint = url.clone();
    endpoint.set_query(None);
    endpoint.set_fragment(None);
    endpoint.into()
}

/// Makes text from the callback, which anyone can forge, safe to print and
/// to log: control characters are replaced and the length is capped.
fn sanitize(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut clean: String =
        text.chars().take(MAX_CHARS).map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
    if text.chars().nth(MAX_CHARS).is_some() {
        clean.push('…');
    }
    clean
}

/// Why a callback did not yield an authorization code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackError {
    /// The user declined on Coinbase's consent page (`error=access_denied`).
    AccessDenied {
        /// Coinbase's `error_description`, for display only: it has been
        /// seen localised, so never match on it.
        description: Option<String>,
    },
    /// Coinbase answered with another OAuth2 error, such as `invalid_scope`.
    Authorization {
        /// The `error` code, which is what to match on.
        error: String,
        /// Coinbase's `error_description`, for display only.
        description: Option<String>,
    },
    /// A parameter the callback needs, `code` or `state`, is absent or
    /// empty.
    MissingParameter(&'static str),
    /// A parameter appears more than once, which no genuine callback does.
    RepeatedParameter(&'static str),
    /// The `state` is not the one this authorization sent: the request did
    /// not come from this user's authorization, and may be a forgery.
    StateMismatch,
    /// The browser came back to another endpoint than the redirect URI.
    RedirectUriMismatch {
        /// The pending redirect URI, without its query.
        expected: String,
        /// Where the browser came back to, without its query.
        received: String,
    },
    /// The redirect URL given to [`PendingAuthorization::complete`] is not an
    /// absolute URL.
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let described = |f: &mut fmt::Formatter<'_>, description: &Option<String>| match description
        {
            Some(description) => write!(f, " ({description})"),
            None => Ok(()),
        };
        match self {
            CallbackError::AccessDenied { description } => {
                f.write_str("the user declined the authorization")?;
                described(f, description)
            }
            CallbackError::Authorization { error, description } => {
                write!(f, "Coinbase refused the authorization: {error}")?;
                described(f, description)
            }
            CallbackError::MissingParameter(name) => {
                write!(f, "the callback has no `{name}` parameter")
            }
            CallbackError::RepeatedParameter(name) => {
                write!(f, "the callback has more than one `{name}` parameter")
            }
            CallbackError::StateMismatch => f.write_str(
                "the callback's state does not match the pending authorization's; \
                 it may be a forged request",
            ),
            CallbackError::RedirectUriMismatch { expected, received } => {
                write!(f, "the callback arrived at {received}, not at the redirect URI {expected}")
            }
            CallbackError::InvalidUrl { reason } => {
                write!(f, "the callback URL is not an absolute URL: {reason}")
            }
        }
    }
}

impl std::error::Error for CallbackError {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{AuthorizeUrl, scopes};

    type Reader = scopes!(wallet:accounts:read);

    const REDIRECT: &str = "https://app.example/callback?tenant=7";
    const STATE: &str = "state-1234567890";

    fn pending() -> PendingAuthorization<Reader> {
        AuthorizeUrl::<Reader>::new("id", REDIRECT).state(STATE).build().unwrap().1
    }

    fn complete(query: &str) -> Result<AuthorizationCode<Reader>, CallbackError> {
        pending().complete_query(query)
    }

    #[test]
    fn a_genuine_callback_yields_what_the_exchange_needs() {
        let pending = pending();
        let verifier = pending.verifier.expose_secret().to_owned();
        let url = format!("{REDIRECT}&code=abc%2Fdef&state={STATE}");
        let code = pending.complete(&url).unwrap();
        assert_eq!(code.code().expose_secret(), "abc/def");
        assert_eq!(code.code_verifier().expose_secret(), verifier);
        assert_eq!(code.redirect_uri().as_str(), REDIRECT);
        assert_eq!(code.requested_scopes().to_string(), "wallet:accounts:read,offline_access");
        let debug = format!("{code:?}");
        assert!(!debug.contains("abc/def") && !debug.contains(&verifier), "{debug}");
    }

    #[test]
    fn the_leading_question_mark_is_optional() {
        assert!(complete(&format!("?code=c&state={STATE}")).is_ok());
        assert!(complete(&format!("state={STATE}&code=c")).is_ok());
    }

    #[test]
    fn a_denial_is_reported_with_its_description() {
        let query = format!("error=access_denied&error_description=Nope%0A%1B&state={STATE}");
        assert_eq!(
            complete(&query).unwrap_err(),
            CallbackError::AccessDenied { description: Some("Nope\u{fffd}\u{fffd}".into()) }
        );
        let other = format!("error=invalid_scope&state={STATE}");
        let error = complete(&other).unwrap_err();
        assert_eq!(
            error,
            CallbackError::Authorization { error: "invalid_scope".into(), description: None }
        );
        assert_eq!(error.to_string(), "Coinbase refused the authorization: invalid_scope");
    }

    #[test]
    fn a_denial_with_a_foreign_state_is_a_mismatch() {
        let error = complete("error=access_denied&state=someone-elses").unwrap_err();
        assert_eq!(error, CallbackError::StateMismatch);
    }

    #[test]
    fn missing_and_repeated_parameters_are_rejected() {
        use CallbackError::{MissingParameter, RepeatedParameter};
        let cases = [
            ("code=c".to_owned(), MissingParameter("state")),
            (format!("state={STATE}"), MissingParameter("code")),
            (format!("code=&state={STATE}"), MissingParameter("code")),
            ("".to_owned(), MissingParameter("state")),
            (format!("code=a&code=b&state={STATE}"), RepeatedParameter("code")),
            (format!("code=a&state={STATE}&state={STATE}"), RepeatedParameter("state")),
            (format!("error=x&error=y&state={STATE}"), RepeatedParameter("error")),
        ];
        for (query, expected) in cases {
            assert_eq!(complete(&query).unwrap_err(), expected, "{query}");
        }
    }

    #[test]
    fn a_state_mismatch_is_rejected_whatever_its_length() {
        for state in ["", "state-123456789", "state-12345678901", "STATE-1234567890"] {
            let query = format!("code=c&state={state}");
            assert_eq!(complete(&query).unwrap_err(), CallbackError::StateMismatch, "{state}");
        }
    }

    #[test]
    fn the_redirect_endpoint_must_match() {
        let cases = [
            "http://app.example/callback",
            "https://evil.example/callback",
            "https://app.example:444/callback",
            "https://app.example/callback/",
            "https://app.example/other",
        ];
        for endpoint in cases {
            let url = format!("{endpoint}?code=c&state={STATE}");
            let error = pending().complete(&url).unwrap_err();
            let CallbackError::RedirectUriMismatch { expected, received } = &error else {
                panic!("{endpoint}: {error:?}");
            };
            assert_eq!(expected, "https://app.example/callback");
            assert!(!received.contains("code="), "{received}");
        }
        // The default port and a differently cased host are the same endpoint.
        let url = format!("https://APP.example:443/callback?code=c&state={STATE}");
        assert!(pending().complete(&url).is_ok());
        let error = pending().complete("/callback?code=c").unwrap_err();
        assert!(matches!(error, CallbackError::InvalidUrl { .. }), "{error:?}");
    }

    #[test]
    fn errors_never_show_the_code() {
        let url = format!("https://evil.example/x?code=secret-code&state={STATE}");
        let error = pending().complete(&url).unwrap_err();
        assert!(!format!("{error} {error:?}").contains("secret-code"));
    }

    proptest! {
        #[test]
        fn any_query_is_answered_without_panicking(query in ".{0,200}") {
            let _ = complete(&query);
            let _ = pending().complete(&query);
        }

        #[test]
        fn any_mix_of_parameters_is_answered_without_panicking(
            params in proptest::collection::vec(
                (prop_oneof!["code", "state", "error", "error_description", "[a-z]{1,5}"],
                 prop_oneof![Just(STATE.to_owned()), ".{0,20}"]),
                0..8,
            )
        ) {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish();
            let result = complete(&query);
            let states = params.iter().filter(|(name, _)| name == "state").count();
            let codes = params.iter().filter(|(name, _)| name == "code").count();
            // Whatever else happens, success needs exactly one matching state
            // and exactly one code.
            if result.is_ok() {
                prop_assert_eq!(states, 1);
                prop_assert_eq!(codes, 1);
            }
        }
    }
}
