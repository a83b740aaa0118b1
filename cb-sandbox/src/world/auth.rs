//! Who may do what: registered clients, authorizations, the codes and
//! tokens that stand for them, consent forms and two-factor challenges.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use time::OffsetDateTime;
use url::Url;

use crate::world::ledger::Account;

/// A client registered with the sandbox, as with Coinbase's developer console.
#[derive(Clone, Debug)]
pub(crate) struct RegisteredClient {
    pub(crate) secret: String,
    pub(crate) redirect_uris: Vec<String>,
}

/// The send limit an authorization was granted with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SendLimit {
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) period: LimitPeriod,
}

/// The window a send limit counts over.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumString,
)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "snake_case")]
pub(crate) enum LimitPeriod {
    Day,
    Month,
    Year,
}

/// What one user granted one client.
#[derive(Clone, Debug)]
pub(crate) struct Authorization {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<&'static str>,
    /// `None` for `account=all`: every account, including later ones.
    pub(crate) accounts: Option<BTreeSet<String>>,
    pub(crate) send_limit: Option<SendLimit>,
    pub(crate) revoked: bool,
}

impl Authorization {
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }

    pub(crate) fn can_access(&self, account: &Account) -> bool {
        account.user_id == self.user_id
            && self.accounts.as_ref().is_none_or(|ids| ids.contains(&account.id))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct CodeGrant {
    pub(crate) authorization_id: String,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<(String, PkceMethod)>,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) used: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PkceMethod {
    Plain,
    S256,
}

#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    pub(crate) authorization_id: String,
    pub(crate) expires_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshToken {
    pub(crate) authorization_id: String,
    pub(crate) spent: bool,
    /// When it was spent, so that it can be forgotten a while later.
    pub(crate) spent_at: Option<OffsetDateTime>,
}

/// An authorize request waiting on the HTML consent page.
#[derive(Clone, Debug)]
pub(crate) struct PendingConsent {
    pub(crate) request: AuthorizeRequest,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// A two-factor challenge: the code, and the request it unlocks.
#[derive(Clone, Debug)]
pub(crate) struct TwoFactorChallenge {
    pub(crate) code: String,
    pub(crate) fingerprint: String,
    pub(crate) expires_at: OffsetDateTime,
}

/// A validated request to the authorize endpoint, waiting for consent.
#[derive(Clone, Debug)]
pub(crate) struct AuthorizeRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) redirect_url: Url,
    pub(crate) scopes: Vec<&'static str>,
    pub(crate) state: Option<String>,
    pub(crate) challenge: Option<(String, PkceMethod)>,
    pub(crate) account_all: bool,
    pub(crate) account_currencies: Option<Vec<String>>,
    pub(crate) send_limit: Option<SendLimit>,
}
