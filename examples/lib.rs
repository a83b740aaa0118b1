//! Runnable examples; see the `[[example]]` entries of this package's
//! manifest. Run one from the workspace root, for example
//! `cargo run --example payouts`.
//!
//! This library holds the steps every example shares: start the embedded
//! sandbox, and connect a user the way a browser would.

pub mod web;

use cb_client::{Client, OAuthClient};
use cb_sandbox::{Sandbox, SandboxConfig};
use cb_scopes::{Account, DeclaredScopes};

/// The example app's registration with the sandbox.
pub const CLIENT_ID: &str = "example-app";
/// Its secret.
pub const CLIENT_SECRET: &str = "example-secret";
/// Its redirect URI.
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";

/// A running sandbox with the example app registered and the demo user
/// signed in, and an `OAuthClient` pointed at it.
pub struct Demo {
    /// The sandbox.
    pub sandbox: Sandbox,
    /// The demo user's id.
    pub user: cb_sandbox::UserId,
    /// The app's OAuth client.
    pub oauth: OAuthClient,
}

impl Demo {
    /// Starts the sandbox.
    ///
    /// # Errors
    ///
    /// When the sandbox cannot bind a port.
    pub async fn start() -> Result<Demo, Box<dyn std::error::Error>> {
        let sandbox = Sandbox::start(SandboxConfig::default()).await?;
        sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
        let user = sandbox.seed_demo_user();
        let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
            .sandbox(sandbox.base_url().as_str())
            .build()?;
        Ok(Demo { sandbox, user, oauth })
    }

    /// The user's part: the authorize URL (for every wallet), approval as
    /// requested, the callback, and the exchange.
    ///
    /// # Errors
    ///
    /// What the authorize URL, the sandbox's consent, the callback and the
    /// exchange return.
    pub async fn connect<S: DeclaredScopes>(
        &self,
        key: &str,
    ) -> Result<Client<S>, Box<dyn std::error::Error>> {
        let (url, pending) = self.oauth.authorize_url::<S>().account(Account::All).build()?;
        println!("authorize URL: {url}");
        let callback = self.sandbox.consent(url.as_str())?.approve()?;
        let code = pending.complete(callback.as_str())?;
        Ok(self.oauth.exchange(code, key).await?)
    }

    /// The two-factor code the sandbox last sent the demo user.
    pub fn two_factor_code(&self) -> String {
        self.sandbox.two_factor_code(&self.user).unwrap_or_default()
    }
}
