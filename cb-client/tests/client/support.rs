//! A sandbox, an `OAuthClient` pointed at it, and the authorize-consent-
//! callback steps a user would take.

use std::sync::Arc;

use cb_client::{Client, Error, OAuthClient, OAuthClientBuilder};
use cb_sandbox::{Sandbox, SandboxConfig};
use cb_scopes::{DeclaredScopes, scopes};

pub(crate) const CLIENT_ID: &str = "client-under-test";
pub(crate) const CLIENT_SECRET: &str = "client-secret-do-not-log";
pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

scopes! {
    /// What the tests ask for.
    pub(crate) struct Reader(wallet:accounts:read, wallet:user:read);
}

pub(crate) struct Env {
    pub(crate) sandbox: Arc<Sandbox>,
    pub(crate) user: String,
}

impl Env {
    pub(crate) async fn new() -> Env {
        let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
        sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
        let user = sandbox.seed_demo_user();
        Env { sandbox: Arc::new(sandbox), user }
    }

    pub(crate) fn builder(&self) -> OAuthClientBuilder {
        OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
            .sandbox(self.sandbox.base_url().as_str())
    }

    pub(crate) fn oauth(&self) -> OAuthClient {
        self.builder().build().unwrap()
    }

    /// The user's part: the authorize URL, consent (all of it, or only
    /// `grant`), and the callback, then the exchange.
    pub(crate) async fn connect<S: DeclaredScopes>(
        &self,
        oauth: &OAuthClient,
        key: &str,
        grant: Option<&[&str]>,
    ) -> Result<Client<S>, Error> {
        let (url, pending) = oauth.authorize_url::<S>().build().unwrap();
        let consent = self.sandbox.consent(url.as_str()).unwrap();
        let consent = match grant {
            Some(scopes) => consent.grant_only(scopes),
            None => consent,
        };
        let redirect = consent.approve().unwrap();
        let code = pending.complete(redirect.as_str()).unwrap();
        oauth.exchange(code, key).await
    }
}
