//! The whole thing, start to finish, on an embedded Coinbase sandbox:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! It declares a scope set with a send limit, prints the authorize URL,
//! approves it as the user would, exchanges the code for a verified client,
//! lists balances, sends money through a two-factor challenge, lets the
//! access token expire to show a refresh, and revokes.
//!
//! With `CB_CLIENT_ID`, `CB_CLIENT_SECRET` and `CB_REDIRECT_URI` set (the
//! redirect URI on `http://127.0.0.1:PORT/...`), it talks to Coinbase
//! instead: it opens the URL in the browser (or prints it), waits for the
//! callback on that port with `LoopbackRedirect`, and lists the accounts. That path needs a real Coinbase app, so it is not
//! exercised by the tests.

use std::error::Error as StdError;
use std::time::Duration;

use cb_client::models::AccountId;
use cb_client::{Error, FileStore, LoopbackRedirect, OAuthClient, SendMoney, TokenStore};
use cb_sandbox::{Sandbox, SandboxConfig};
use cb_scopes::{ExposeSecret as _, scopes};
use rust_decimal::Decimal;

scopes! {
    /// What the quickstart asks the user for: read balances, send payouts.
    #[send_limit(amount = "100.00", currency = "USD", period = "day")]
    pub struct Payouts(wallet:accounts:read, wallet:transactions:send, wallet:user:read);
}

const CLIENT_ID: &str = "quickstart";
const CLIENT_SECRET: &str = "quickstart-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";

type Result<T> = std::result::Result<T, Box<dyn StdError>>;

#[tokio::main]
async fn main() -> Result<()> {
    let real = ["CB_CLIENT_ID", "CB_CLIENT_SECRET", "CB_REDIRECT_URI"]
        .map(|name| std::env::var(name).ok());
    match real {
        [Some(id), Some(secret), Some(redirect)] => against_coinbase(&id, &secret, &redirect).await,
        _ => against_the_sandbox().await,
    }
}

async fn against_the_sandbox() -> Result<()> {
    let step = |n: u32, text: &str| println!("{n}. {text}");

    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI]);
    let user = sandbox.seed_demo_user();
    sandbox.add_user("A Creator", "creator@example.com");
    step(1, &format!("sandbox running at {}", sandbox.base_url()));

    let tokens = tempfile::tempdir()?;
    let oauth = OAuthClient::builder(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)
        .sandbox(sandbox.base_url().as_str())
        .store(FileStore::new(tokens.path())?)
        .build()?;
    let (url, pending) = oauth.authorize_url::<Payouts>().build()?;
    step(2, &format!("authorize URL: {url}"));

    // The user approves on the consent page; the sandbox lets us do it
    // directly, and the browser would then come back with this URL.
    let callback = sandbox.consent(url.as_str())?.approve()?;
    step(3, "the user approved; the browser came back to the redirect URI");
    let code = pending.complete(callback.as_str())?;
    let client = oauth.exchange(code, "demo-user").await?;
    let limit = client.send_limit().map_or_else(|| "none".to_owned(), |limit| limit.to_string());
    step(4, &format!("verified grant: {} (send limit {limit})", client.granted()));

    let accounts = client.accounts().all().await?;
    step(5, "balances:");
    for account in &accounts {
        println!("     {:<12} {}", account.name, account.balance);
    }

    let usd = accounts.iter().find(|account| account.currency == "USD").map(|a| a.id.clone());
    let usd = usd.unwrap_or_else(|| AccountId::from("USD"));
    let payout =
        SendMoney::new("creator@example.com", Decimal::new(2500, 2), "USD").description("Payout");
    let transaction = match client.send_money(&usd, payout).await {
        Err(Error::TwoFactorRequired(pending)) => {
            let code = sandbox.two_factor_code(&user).ok_or("the sandbox sent no code")?;
            step(6, &format!("2FA: Coinbase asked for the user's code; they typed {code}"));
            pending.confirm(&code).await?
        }
        other => other?,
    };
    step(
        7,
        &format!(
            "sent {} ({}), idem {}",
            transaction.amount,
            transaction.status,
            transaction.idem.unwrap_or_default()
        ),
    );

    let store = FileStore::new(tokens.path())?;
    let before = store.load("demo-user").await?.ok_or("nothing stored")?;
    let old_refresh = before.record.refresh_token.clone().ok_or("no refresh token")?;
    sandbox.advance(Duration::from_secs(3600));
    client.auth_info().await?;
    let after = store.load("demo-user").await?.ok_or("nothing stored")?;
    let spent = sandbox.refresh_token_spent(old_refresh.expose_secret()) == Some(true);
    step(
        8,
        &format!(
            "an hour later the token expired: refreshed ({} -> {}), old refresh token spent: {spent}, \
             new pair stored as version {}",
            cb_client::fingerprint(&before.record.access_token),
            cb_client::fingerprint(&after.record.access_token),
            after.version,
        ),
    );

    client.revoke().await?;
    match client.accounts().page().await {
        Err(Error::ReauthorizationRequired { reason }) => {
            step(9, &format!("revoked; the next call says: reauthorization required ({reason})"));
        }
        other => return Err(format!("expected a revoked authorization, got {other:?}").into()),
    }
    println!("done");
    println!(
        "where next: cargo run --example payouts | pay_with_coinbase | trading (Convert and \
         Advanced Trade orders) | web_app; docs/advanced-trade.md for the trading scopes"
    );
    Ok(())
}

/// The same flow against Coinbase: open the URL in the browser, come back
/// to the loopback redirect URI (`LoopbackRedirect` listens there for that
/// one callback, for at most five minutes), list accounts.
async fn against_coinbase(client_id: &str, client_secret: &str, redirect_uri: &str) -> Result<()> {
    let listener = LoopbackRedirect::bind_to(redirect_uri).await?;
    let oauth = OAuthClient::builder(client_id, client_secret, listener.redirect_uri()).build()?;
    let (url, pending) = oauth.authorize_url::<Payouts>().build()?;
    if !LoopbackRedirect::open_browser(&url) {
        println!("Open this URL in a browser:\n\n{url}\n");
    }
    println!("waiting for the browser on {redirect_uri} ...");
    let code = listener.wait(pending, Duration::from_secs(300)).await?;

    let client = oauth.exchange(code, "me").await?;
    println!("verified grant: {}", client.granted());
    for account in client.accounts().all().await? {
        println!("  {:<12} {}", account.name, account.balance);
    }
    Ok(())
}
