//! `cb_client::Error`: one type with the kinds callers match on.

use std::fmt;
use std::time::Duration;

use cb_scopes::ScopeSet;
use futures_util::future::BoxFuture;

use crate::api::bodies::SavedSend;
use crate::api::models::transaction::Transaction;
use crate::auth::store::error::StoreError;

/// Everything that can go wrong talking to Coinbase, as kinds to match on.
///
/// Coinbase's `error_description`s have been seen localised at random, so
/// they are shown in messages but never decide a kind: the kind comes from
/// the `error` or `errors[].id` code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The authorization is gone: revoked, rejected at refresh, or its
    /// refresh token lost. Only sending the user through the authorize URL
    /// again helps.
    #[error("the user must authorize the app again: {reason}")]
    ReauthorizationRequired {
        /// Why.
        reason: ReauthorizationReason,
    },

    /// Coinbase granted less than the set needs, usually because the user
    /// unticked scopes on the consent page. Revoke the authorization
    /// ([`OAuthClient::revoke`](crate::OAuthClient::revoke)) and ask the user
    /// to authorize again, explaining why these scopes are needed; the
    /// scopes are [`missing()`](cb_scopes::ScopesNotGranted::missing).
    #[error(transparent)]
    ScopesNotGranted(#[from] cb_scopes::ScopesNotGranted),

    /// Coinbase holds a send until the user confirms it with a two-factor
    /// code: ask them for it and call
    /// [`PendingSend::confirm`].
    #[error("the send needs the user's two-factor code")]
    TwoFactorRequired(PendingSend),

    /// Coinbase answered a send with success, but the answer could not be
    /// read: the money is sent (or on its way). Do not send again; look the
    /// transaction up by its `idem`, or confirm or replay the same send,
    /// which its `idem` makes answer the same transaction.
    #[error("the send was made, but its answer could not be read (idem {idem}): {detail}")]
    SentUnreadable {
        /// The send's idempotency key.
        idem: String,
        /// What was wrong with the answer.
        detail: String,
    },

    /// Coinbase refused a scope the grant was checked to include: the user
    /// changed the authorization since. Revoke and authorize again.
    #[error("Coinbase refused the scope this endpoint needs ({needed}): {}", ApiErrors(errors))]
    ScopeRefused {
        /// The scopes the endpoint needs.
        needed: ScopeSet,
        /// Coinbase's errors.
        errors: Vec<ApiError>,
    },

    /// Coinbase refused a send because it would go over the send limit the
    /// user accepted for this app. Nothing was sent. Tell the user; they can
    /// raise the limit in their Coinbase settings, or authorize again with a
    /// larger one.
    #[error("the send would exceed the authorization's send limit{}: {}", limit.map(|l| format!(" of {l}")).unwrap_or_default(), ApiErrors(errors))]
    SendLimitExceeded {
        /// The limit the user accepted, as the stored authorization knows it.
        limit: Option<cb_scopes::SendLimit>,
        /// Coinbase's errors.
        errors: Vec<ApiError>,
    },

    /// The code was exchanged and its tokens saved under the key, but
    /// Coinbase's account of the grant (`GET /v2/user/auth`) could not be
    /// read, even after retries. The stored grant is the token response's
    /// `scope`: [`OAuthClient::restore`](crate::OAuthClient::restore) works
    /// with it later, and [`OAuthClient::revoke`](crate::OAuthClient::revoke)
    /// ends the authorization. The code is spent either way. (From
    /// [`OAuthClient::upgrade`](crate::OAuthClient::upgrade), the new tokens
    /// were revoked instead, and the earlier authorization is kept.)
    #[error("the tokens were saved, but the grant could not be verified: {source}")]
    GrantNotVerified {
        /// Why `GET /v2/user/auth` failed.
        source: Box<Error>,
    },

    /// Advanced Trade refused an order, its preview or its edit (it answers
    /// `200` with `success: false`, or a preview with `errs`). Nothing was
    /// placed or changed. Match on [`OrderRefusal::reason`].
    #[error("Coinbase refused the order: {0}")]
    OrderRefused(OrderRefusal),

    /// A code was exchanged, but its tokens could not be saved, even after
    /// retries. The tokens were then revoked at Coinbase (`revoked` says
    /// whether that worked), so that no grant is left that nobody can use
    /// or end; the user connects again once the store is back.
    #[error("the exchanged tokens could not be saved ({}): {source}", if *revoked { "they were revoked at Coinbase" } else { "and revoking them failed" })]
    TokensNotSaved {
        /// Whether Coinbase revoked them.
        revoked: bool,
        /// Why the save failed.
        source: Box<Error>,
    },

    /// Coinbase throttled the user: more than 10,000 requests in an hour.
    #[error("rate limited by Coinbase{}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// How long Coinbase asked to wait, when it said.
        retry_after: Option<Duration>,
    },

    /// Coinbase answered with an error.
    #[error("Coinbase answered {status}: {}", ApiErrors(errors))]
    Api {
        /// The HTTP status (`http::StatusCode`, which
        /// [`reqwest::StatusCode`] is).
        status: reqwest::StatusCode,
        /// Coinbase's errors; match on their `id`.
        errors: Vec<ApiError>,
    },

    /// An id given to an endpoint is empty, `.` or `..` (in any
    /// encoding), which would change the route the request goes to. Nothing
    /// was sent.
    #[error("the id {id:?} cannot name a resource: an id may not be empty, `.` or `..`")]
    InvalidId {
        /// The id, decoded.
        id: String,
    },

    /// Coinbase's answer could not be understood.
    #[error("Coinbase's answer could not be understood: {detail}")]
    InvalidResponse {
        /// What was wrong with it.
        detail: String,
    },

    /// The request did not get an answer: a connection error or a timeout.
    #[error("the request to Coinbase failed: {0}")]
    Transport(#[source] reqwest::Error),

    /// The token store failed.
    #[error("the token store failed: {0}")]
    Store(#[from] StoreError),

    /// The client is configured wrongly (from
    /// [`OAuthClientBuilder::build`](crate::OAuthClientBuilder::build), or a
    /// code meant for another configuration).
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),

    /// The authorize URL could not be built.
    #[error(transparent)]
    AuthorizeUrl(#[from] cb_scopes::AuthorizeUrlError),

    /// The redirect back from Coinbase is not the answer to the pending
    /// authorization, or says the user declined.
    #[error(transparent)]
    Callback(#[from] cb_scopes::CallbackError),

    /// A request body (of an [`endpoint!`](crate::endpoint) of the app's)
    /// cannot be written as JSON. Nothing was sent.
    #[error("the request body cannot be written as JSON: {0}")]
    InvalidBody(#[source] serde_json::Error),

    /// The runtime the client's work runs on shut down before the work
    /// finished (the app is stopping). Nothing was lost: a refreshed pair
    /// already saved is in the store, and a refresh not yet sent was not.
    #[error("the runtime shut down before the {0} finished")]
    RuntimeGone(&'static str),
}

/// Why a client could not be built: what is wrong with its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required environment variable
    /// ([`OAuthClient::from_env`](crate::OAuthClient::from_env)) is unset or
    /// empty; its value is never shown.
    #[error("{0} is not set")]
    MissingVariable(&'static str),
    /// The client id is empty.
    #[error("the client id is empty")]
    EmptyClientId,
    /// The client secret is empty.
    #[error("the client secret is empty")]
    EmptyClientSecret,
    /// A URL of the configuration is not a URL.
    #[error("the {what} is not a URL: {source}")]
    InvalidUrl {
        /// Which URL: `redirect URI`, `login base`, `API base`.
        what: &'static str,
        /// Why.
        source: url::ParseError,
    },
    /// A base URL is neither `https` nor `http` on loopback: tokens would
    /// travel in the clear.
    #[error("the {what} must be https (http only on loopback): {url}")]
    InsecureUrl {
        /// Which URL.
        what: &'static str,
        /// The URL as given.
        url: String,
    },
    /// The crate was built without TLS and a base URL is not on loopback.
    #[error("cb-client was built without TLS: enable its `rustls` or `native-tls` feature")]
    NoTls,
    /// reqwest could not build its HTTP client.
    #[error("the HTTP client could not be built: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// An authorization code was requested for another redirect URI than
    /// this client's: it was made by a client configured otherwise.
    #[error(
        "the code was requested for redirect URI {requested} but this client is configured with {configured}"
    )]
    RedirectUriMismatch {
        /// The code's redirect URI.
        requested: String,
        /// This client's.
        configured: String,
    },
}

impl Error {
    /// The first Coinbase error id, such as `two_factor_required`, for an
    /// [`Error::Api`].
    pub fn api_error_id(&self) -> Option<&str> {
        match self {
            Error::Api { errors, .. } => errors.first().map(|error| error.id.as_str()),
            _ => None,
        }
    }

    pub(crate) fn invalid_response(detail: impl Into<String>) -> Self {
        Error::InvalidResponse { detail: detail.into() }
    }

    pub(crate) fn reauthorize(reason: ReauthorizationReason) -> Self {
        Error::ReauthorizationRequired { reason }
    }
}

/// Why Advanced Trade refused an order, read from its failure codes
/// (`new_order_failure_reason`, `preview_failure_reason`,
/// `edit_failure_reason`, `error`), never from its message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderRefusal {
    /// The kind of refusal.
    pub reason: OrderRefusalReason,
    /// The most specific code Coinbase gave, as it spelled it, such as
    /// `INSUFFICIENT_FUNDS` or `PREVIEW_INVALID_LIMIT_PRICE`.
    pub code: String,
    /// Coinbase's message, for people.
    pub message: String,
}

/// The kinds of [`OrderRefusal`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderRefusalReason {
    /// Not enough available in the account that pays: balance less what
    /// open orders hold.
    InsufficientFunds,
    /// The limit price is not valid.
    InvalidLimitPrice,
    /// A post-only order would have filled at once.
    PostOnlyWouldCross,
    /// The stop price is not valid, or was already reached.
    InvalidStopPrice,
    /// The size is too small, too large or too precise.
    InvalidSize,
    /// No such product.
    UnknownProduct,
    /// The order to edit does not exist, or is no longer open.
    OrderNotFound,
    /// Another code; [`OrderRefusal::code`] has it.
    Other,
}

impl OrderRefusal {
    /// A refusal from Coinbase's codes, most specific first; `None` codes
    /// are skipped.
    pub(crate) fn from_codes<'a>(
        codes: impl IntoIterator<Item = Option<&'a str>>,
        message: String,
    ) -> Self {
        let codes: Vec<&str> = codes
            .into_iter()
            .flatten()
            .filter(|code| !code.is_empty() && !code.starts_with("UNKNOWN_"))
            .collect();
        let reason = codes.iter().find_map(|code| {
            let code = code.strip_prefix("PREVIEW_").unwrap_or(code);
            Some(match code {
                "INSUFFICIENT_FUND" | "INSUFFICIENT_FUNDS" | "INSUFFICIENT_LEDGER_BALANCE" => {
                    OrderRefusalReason::InsufficientFunds
                }
                "INVALID_LIMIT_PRICE" | "INVALID_PRICE_PRECISION" => {
                    OrderRefusalReason::InvalidLimitPrice
                }
                "INVALID_LIMIT_PRICE_POST_ONLY" => OrderRefusalReason::PostOnlyWouldCross,
                "INVALID_STOP_PRICE" => OrderRefusalReason::InvalidStopPrice,
                "INVALID_PRODUCT_ID" => OrderRefusalReason::UnknownProduct,
                "ORDER_NOT_FOUND" | "ORDER_NOT_OPEN" => OrderRefusalReason::OrderNotFound,
                code if code.starts_with("INVALID_SIZE")
                    || code.starts_with("INVALID_BASE_SIZE")
                    || code.starts_with("INVALID_QUOTE_SIZE") =>
                {
                    OrderRefusalReason::InvalidSize
                }
                _ => return None,
            })
        });
        OrderRefusal {
            reason: reason.unwrap_or(OrderRefusalReason::Other),
            code: codes
                .first()
                .map_or_else(|| "UNKNOWN_FAILURE_REASON".to_owned(), |c| (*c).to_owned()),
            message,
        }
    }
}

impl fmt::Display for OrderRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// One error of a Coinbase answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub struct ApiError {
    /// The error id, such as `invalid_scope` or `validation_error`.
    pub id: String,
    /// Coinbase's message, for people.
    #[serde(default)]
    pub message: String,
    /// A link to documentation, when given.
    #[serde(default)]
    pub url: Option<String>,
}

impl ApiError {
    pub(crate) fn new(id: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError { id: id.into(), message: message.into(), url: None }
    }
}

struct ApiErrors<'a>(&'a [ApiError]);

impl fmt::Display for ApiErrors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}", error.id)?;
            if !error.message.is_empty() {
                write!(f, " ({})", error.message)?;
            }
        }
        Ok(())
    }
}

/// Why an authorization cannot be used any more.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReauthorizationReason {
    /// Nothing is stored under this key.
    NotStored,
    /// The authorization was revoked, here or by the user.
    Revoked,
    /// Coinbase refused the refresh token (`invalid_grant`): it was spent or
    /// revoked.
    RefreshRejected {
        /// Coinbase's description, for display only.
        description: Option<String>,
    },
    /// A refresh request reached Coinbase but its answer was lost (a
    /// timeout or a dropped connection), and the retry was refused. Coinbase
    /// most likely spent the old refresh token on the lost answer; its new
    /// tokens cannot be recovered.
    RefreshResponseLost,
    /// The authorization has no refresh token (it was made without
    /// `offline_access`) and its access token expired.
    NoRefreshToken,
    /// Coinbase refused the authorization code (`invalid_grant`): it was
    /// used already, expired, or its redirect URI or PKCE verifier did not
    /// match.
    CodeRejected {
        /// Coinbase's description, for display only.
        description: Option<String>,
    },
}

impl fmt::Display for ReauthorizationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let described = |f: &mut fmt::Formatter<'_>, text: &str, description: &Option<String>| {
            f.write_str(text)?;
            match description {
                Some(description) => write!(f, " ({description})"),
                None => Ok(()),
            }
        };
        match self {
            ReauthorizationReason::NotStored => f.write_str("no tokens are stored for this key"),
            ReauthorizationReason::Revoked => f.write_str("the authorization was revoked"),
            ReauthorizationReason::RefreshRejected { description } => {
                described(f, "Coinbase refused the refresh token", description)
            }
            ReauthorizationReason::RefreshResponseLost => f.write_str(
                "a refresh reached Coinbase but its answer was lost, so the single-use refresh \
                 token is most likely spent and its replacement unknown",
            ),
            ReauthorizationReason::NoRefreshToken => f.write_str(
                "the access token expired and there is no refresh token (authorize with \
                 offline_access to get one)",
            ),
            ReauthorizationReason::CodeRejected { description } => {
                described(f, "Coinbase refused the authorization code", description)
            }
        }
    }
}

/// A send Coinbase holds until the user confirms it with a two-factor code.
///
/// [`confirm`](Self::confirm) replays the identical request, same `idem`
/// included, with the code in `CB-2FA-TOKEN`.
pub struct PendingSend {
    held: Box<dyn Replay>,
}

/// What a held send needs to be made again. The executor implements it;
/// the error type only carries it, so that it depends on no part of the
/// client.
pub(crate) trait Replay: Send + Sync {
    /// The send's idempotency key.
    fn idem(&self) -> Option<&str>;
    /// The route it was sent to, for `Debug`.
    fn path(&self) -> &str;
    /// The send in a form to keep between requests.
    fn saved(&self) -> Option<SavedSend>;
    /// The same send, with the user's code.
    fn with_code(self: Box<Self>, code: String) -> BoxFuture<'static, Result<Transaction, Error>>;
}

impl PendingSend {
    pub(crate) fn new(held: impl Replay + 'static) -> Self {
        PendingSend { held: Box::new(held) }
    }

    /// The send's idempotency key.
    pub fn idem(&self) -> Option<&str> {
        self.held.idem()
    }

    /// The send in a form to keep until the user's code arrives, in a later
    /// request and perhaps another process: confirm it there with
    /// [`Client::confirm_send`](crate::Client::confirm_send).
    pub fn saved(&self) -> Option<SavedSend> {
        self.held.saved()
    }

    /// Replays the send with the user's two-factor `code`.
    ///
    /// # Errors
    ///
    /// [`Error::TwoFactorRequired`] again when the code is wrong or expired
    /// (Coinbase sends a new one), and the errors of any send.
    pub async fn confirm(self, code: &str) -> Result<Transaction, Error> {
        self.held.with_code(code.trim().to_owned()).await
    }
}

impl fmt::Debug for PendingSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSend")
            .field("path", &self.held.path())
            .field("idem", &self.idem())
            .finish()
    }
}
