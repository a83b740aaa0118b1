//! `PendingAuthorization<S>`: what an app keeps between sending the user to
//! Coinbase and the browser coming back.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use crate::{DeclaredScopes, ScopeSet, pkce};

/// An authorization the user has been sent to approve: its `state`, its PKCE
/// code verifier and its redirect URI.
///
/// Keep it server-side until the browser returns to the redirect URI, then
/// hand it to [`complete`](Self::complete) (or
/// [`complete_query`](Self::complete_query)) with the URL the browser
/// brought. Both consume it, so a verifier serves one exchange only.
///
/// It is serde-serializable, so a web app can keep it in its session store
/// between the two requests. The serialized form holds the verifier in
/// clear, as the exchange needs it: keep it in server-side storage or an
/// encrypted cookie, never in a plain one, and delete it when the callback
/// arrives. Deserializing checks every field again, including that the value
/// was made for the same scope set `S`.
///
/// It knows when it was made ([`created_at`](Self::created_at)), so that an
/// app can refuse a callback that comes back too late
/// ([`is_older_than`](Self::is_older_than)) and forget pending values that
/// were abandoned.
///
/// Its `Debug` output shows the redirect URI and the requested scopes only.
pub struct PendingAuthorization<S> {
    pub(crate) state: String,
    pub(crate) verifier: SecretString,
    pub(crate) redirect_uri: Url,
    pub(crate) requested: ScopeSet,
    created_at: SystemTime,
    set: PhantomData<fn() -> S>,
}

impl<S> PendingAuthorization<S> {
    pub(crate) fn new(
        state: String,
        verifier: String,
        redirect_uri: Url,
        requested: ScopeSet,
    ) -> Self {
        PendingAuthorization {
            state,
            verifier: SecretString::from(verifier),
            redirect_uri,
            requested,
            created_at: SystemTime::now(),
            set: PhantomData,
        }
    }

    /// When the authorize URL was built, by the system clock.
    pub fn created_at(&self) -> SystemTime {
        self.created_at
    }

    /// Whether it was made more than `age` ago (a clock that went backwards
    /// counts as not older).
    pub fn is_older_than(&self, age: Duration) -> bool {
        SystemTime::now().duration_since(self.created_at).is_ok_and(|elapsed| elapsed > age)
    }

    /// The `state` sent in the authorize URL. A server that keeps pending
    /// authorizations in a map can key them by it.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The redirect URI sent in the authorize URL, which the token exchange
    /// must repeat.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// The scopes the authorize URL asked for: the set's, and
    /// `offline_access` unless it was left out.
    pub fn requested_scopes(&self) -> ScopeSet {
        self.requested
    }
}

impl<S> fmt::Debug for PendingAuthorization<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("state", &"[REDACTED]")
            .field("code_verifier", &"[REDACTED]")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .field("requested", &self.requested)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The serialized form, borrowed so that serializing copies no secret.
#[derive(Serialize)]
struct SerializedRef<'a> {
    state: &'a str,
    code_verifier: &'a str,
    redirect_uri: &'a Url,
    scope: ScopeSet,
    created_at_unix: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Serialized {
    state: String,
    code_verifier: String,
    redirect_uri: Url,
    scope: ScopeSet,
    /// Absent in values serialized before it existed: then the time of
    /// deserializing stands in.
    #[serde(default)]
    created_at_unix: Option<u64>,
}

impl<S> Serialize for PendingAuthorization<S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        SerializedRef {
            state: &self.state,
            code_verifier: self.verifier.expose_secret(),
            redirect_uri: &self.redirect_uri,
            scope: self.requested,
            created_at_unix: self
                .created_at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
        }
        .serialize(serializer)
    }
}

impl<'de, S: DeclaredScopes> Deserialize<'de> for PendingAuthorization<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;

        let serialized = Serialized::deserialize(deserializer)?;
        let verifier = SecretString::from(serialized.code_verifier);
        // The messages describe the field, never its value.
        if serialized.state.chars().count() < 8 {
            return Err(D::Error::custom("the state is shorter than 8 characters"));
        }
        if !pkce::is_valid_verifier(verifier.expose_secret()) {
            return Err(D::Error::custom("the code verifier is not a valid RFC 7636 verifier"));
        }
        if serialized.redirect_uri.fragment().is_some()
            || serialized.redirect_uri.cannot_be_a_base()
        {
            return Err(D::Error::custom("the redirect URI cannot be a redirection endpoint"));
        }
        if !serialized.scope.is_superset(S::SCOPES) {
            return Err(D::Error::custom(format!(
                "this pending authorization asked for {} and was not made for a set with {}",
                serialized.scope,
                S::SCOPES.difference(serialized.scope)
            )));
        }
        let created_at = match serialized.created_at_unix {
            Some(seconds) => SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(seconds))
                .ok_or_else(|| D::Error::custom("the creation time is out of range"))?,
            None => SystemTime::now(),
        };
        Ok(PendingAuthorization {
            state: serialized.state,
            verifier,
            redirect_uri: serialized.redirect_uri,
            requested: serialized.scope,
            created_at,
            set: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthorizeUrl, scopes};

    scopes! {
        struct Reader(wallet:accounts:read);
        struct Writer(wallet:accounts:read, wallet:accounts:update);
    }

    fn pending() -> PendingAuthorization<Reader> {
        let builder = AuthorizeUrl::<Reader>::new("id", "https://app.example/cb?tenant=7");
        builder.build().unwrap().1
    }

    #[test]
    fn debug_redacts_the_verifier_and_the_state() {
        let pending = pending();
        let debug = format!("{pending:?}");
        assert!(!debug.contains(pending.verifier.expose_secret()), "{debug}");
        assert!(!debug.contains(pending.state()), "{debug}");
        assert!(debug.contains("https://app.example/cb?tenant=7"), "{debug}");
    }

    #[test]
    fn a_serialized_pending_authorization_comes_back_whole() {
        let pending = pending();
        let json = serde_json::to_string(&pending).unwrap();
        let back: PendingAuthorization<Reader> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.state(), pending.state());
        assert_eq!(back.verifier.expose_secret(), pending.verifier.expose_secret());
        assert_eq!(back.redirect_uri(), pending.redirect_uri());
        assert_eq!(back.requested_scopes().to_string(), "wallet:accounts:read,offline_access");
        let to_seconds =
            |time: SystemTime| time.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(to_seconds(back.created_at()), to_seconds(pending.created_at()));
    }

    #[test]
    fn a_pending_authorization_knows_its_age() {
        let pending = pending();
        assert!(!pending.is_older_than(Duration::from_secs(60)));
        let mut json = serde_json::to_value(&pending).unwrap();
        json["created_at_unix"] = 1_000.into();
        let old: PendingAuthorization<Reader> = serde_json::from_value(json.clone()).unwrap();
        assert!(old.is_older_than(Duration::from_secs(600)));
        json["created_at_unix"] = u64::MAX.into();
        let error = serde_json::from_value::<PendingAuthorization<Reader>>(json).unwrap_err();
        assert!(error.to_string().contains("out of range"), "{error}");
    }

    #[test]
    fn deserializing_checks_every_field_and_the_set() {
        let json = serde_json::to_value(pending()).unwrap();
        let with = |field: &str, value: &str| {
            let mut json = json.clone();
            json[field] = value.into();
            serde_json::from_value::<PendingAuthorization<Reader>>(json).unwrap_err().to_string()
        };
        assert!(with("state", "short").contains("shorter than 8"));
        assert!(with("code_verifier", "tooshort").contains("RFC 7636"));
        assert!(with("redirect_uri", "https://a.example/#x").contains("redirection endpoint"));
        assert!(with("scope", "wallet:nope").contains("wallet:nope"));

        let error =
            serde_json::from_value::<PendingAuthorization<Writer>>(json.clone()).unwrap_err();
        assert!(error.to_string().contains("not made for a set with wallet:accounts:update"));
        // The verifier never shows in an error, even when it is the bad field.
        let secret = "x".repeat(42) + "!";
        assert!(!with("code_verifier", &secret).contains(&secret));
    }
}
