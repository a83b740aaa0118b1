//! Golden tests of whole authorize URLs, each parsed back parameter by
//! parameter, and the callback that completes them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cb_scopes::{
    Account, AuthorizeUrl, AuthorizeUrlError, CallbackError, DeclaredScopes, ExposeSecret as _,
    scopes,
};
use sha2::{Digest as _, Sha256};

scopes! {
    /// Pays creators out, seed 000's payouts use case.
    #[send_limit(amount = "50.00", currency = "USD", period = "day")]
    struct Payouts(wallet:accounts:read, wallet:transactions:send);

    /// Seed 000's trading use case.
    struct Trading(wallet:accounts:read, wallet:trades:create, wallet:trades:read);

    /// A yearly limit in euros, with a refresh token declared by the set.
    #[send_limit(amount = "500", currency = "EUR", period = "year")]
    struct Treasury(wallet:transactions:send, offline_access, wallet:accounts:read);
}

type ReadOnly = scopes!(wallet:transactions:read, wallet:accounts:read);

const CLIENT_ID: &str = "cb-client-1";
const REDIRECT: &str = "https://app.example/oauth/callback?tenant=a b";
const STATE: &str = "fixed-state-for-golden-tests";

/// Builds the URL, checks its PKCE challenge against the verifier the
/// callback hands out, and returns the URL with the random challenge replaced
/// by `{challenge}`, so the rest can be compared whole.
fn golden<S: DeclaredScopes>(builder: AuthorizeUrl<S>) -> (String, Vec<(String, String)>) {
    let (url, pending) = builder.state(STATE).build().unwrap();
    assert_eq!(pending.state(), STATE);
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let challenge = pairs.iter().find(|(name, _)| name == "code_challenge").unwrap().1.clone();

    let code = pending.complete_query(&format!("code=c0de&state={STATE}")).unwrap();
    let verifier = code.code_verifier().expose_secret();
    assert!((43..=128).contains(&verifier.len()), "{verifier}");
    let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    assert_eq!(challenge, expected);

    (url.as_str().replace(&challenge, "{challenge}"), pairs)
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|&(name, value)| (name.to_owned(), value.to_owned())).collect()
}

#[test]
fn read_only() {
    let (url, query) = golden(AuthorizeUrl::<ReadOnly>::new(CLIENT_ID, REDIRECT));
    assert_eq!(
        url,
        "https://login.coinbase.com/oauth2/auth?response_type=code&client_id=cb-client-1\
         &redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback%3Ftenant%3Da%2520b\
         &scope=wallet%3Aaccounts%3Aread%2Cwallet%3Atransactions%3Aread%2Coffline_access\
         &state=fixed-state-for-golden-tests&code_challenge={challenge}\
         &code_challenge_method=S256"
    );
    let challenge = query[5].1.as_str();
    assert_eq!(
        query,
        pairs(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", "https://app.example/oauth/callback?tenant=a%20b"),
            ("scope", "wallet:accounts:read,wallet:transactions:read,offline_access"),
            ("state", STATE),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
    );
}

#[test]
fn payouts_with_a_send_limit() {
    let (url, query) = golden(AuthorizeUrl::<Payouts>::new(CLIENT_ID, REDIRECT));
    assert_eq!(
        url,
        "https://login.coinbase.com/oauth2/auth?response_type=code&client_id=cb-client-1\
         &redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback%3Ftenant%3Da%2520b\
         &scope=wallet%3Aaccounts%3Aread%2Cwallet%3Atransactions%3Asend%2Coffline_access\
         &state=fixed-state-for-golden-tests&code_challenge={challenge}\
         &code_challenge_method=S256&meta%5Bsend_limit_amount%5D=50.00\
         &meta%5Bsend_limit_currency%5D=USD&meta%5Bsend_limit_period%5D=day"
    );
    let challenge = query[5].1.as_str();
    assert_eq!(
        query,
        pairs(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", "https://app.example/oauth/callback?tenant=a%20b"),
            ("scope", "wallet:accounts:read,wallet:transactions:send,offline_access"),
            ("state", STATE),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("meta[send_limit_amount]", "50.00"),
            ("meta[send_limit_currency]", "USD"),
            ("meta[send_limit_period]", "day"),
        ])
    );
}

#[test]
fn trading() {
    let (url, query) =
        golden(AuthorizeUrl::<Trading>::new(CLIENT_ID, REDIRECT).without_refresh_token());
    assert_eq!(
        url,
        "https://login.coinbase.com/oauth2/auth?response_type=code&client_id=cb-client-1\
         &redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback%3Ftenant%3Da%2520b\
         &scope=wallet%3Aaccounts%3Aread%2Cwallet%3Atrades%3Aread%2Cwallet%3Atrades%3Acreate\
         &state=fixed-state-for-golden-tests&code_challenge={challenge}\
         &code_challenge_method=S256"
    );
    assert_eq!(query[3].1, "wallet:accounts:read,wallet:trades:read,wallet:trades:create");
    assert!(query.iter().all(|(name, _)| !name.starts_with("meta")));
}

#[test]
fn every_wallet_with_a_yearly_limit_on_the_sandbox() {
    let builder = AuthorizeUrl::<Treasury>::new(CLIENT_ID, "http://127.0.0.1:8787/cb")
        .endpoint("http://127.0.0.1:8787/oauth2/auth")
        .account(Account::All)
        // The set declares `offline_access`, so it stays.
        .without_refresh_token();
    let (url, query) = golden(builder);
    assert_eq!(
        url,
        "http://127.0.0.1:8787/oauth2/auth?response_type=code&client_id=cb-client-1\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2Fcb\
         &scope=wallet%3Aaccounts%3Aread%2Cwallet%3Atransactions%3Asend%2Coffline_access\
         &state=fixed-state-for-golden-tests&code_challenge={challenge}\
         &code_challenge_method=S256&account=all&meta%5Bsend_limit_amount%5D=500\
         &meta%5Bsend_limit_currency%5D=EUR&meta%5Bsend_limit_period%5D=year"
    );
    let challenge = query[5].1.as_str();
    assert_eq!(
        query,
        pairs(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", "http://127.0.0.1:8787/cb"),
            ("scope", "wallet:accounts:read,wallet:transactions:send,offline_access"),
            ("state", STATE),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("account", "all"),
            ("meta[send_limit_amount]", "500"),
            ("meta[send_limit_currency]", "EUR"),
            ("meta[send_limit_period]", "year"),
        ])
    );
}

#[test]
fn selected_currencies_sign_up_and_referral() {
    let builder = AuthorizeUrl::<ReadOnly>::new(CLIENT_ID, REDIRECT)
        .account_currency(["btc", "ETH"])
        .layout_signup()
        .referral("dev name&1");
    let (url, query) = golden(builder);
    assert_eq!(
        url,
        "https://login.coinbase.com/oauth2/auth?response_type=code&client_id=cb-client-1\
         &redirect_uri=https%3A%2F%2Fapp.example%2Foauth%2Fcallback%3Ftenant%3Da%2520b\
         &scope=wallet%3Aaccounts%3Aread%2Cwallet%3Atransactions%3Aread%2Coffline_access\
         &state=fixed-state-for-golden-tests&code_challenge={challenge}\
         &code_challenge_method=S256&account=select&account_currency=BTC%2CETH\
         &layout=signup&referral=dev+name%261"
    );
    assert_eq!(
        query[7..],
        pairs(&[
            ("account", "select"),
            ("account_currency", "BTC,ETH"),
            ("layout", "signup"),
            ("referral", "dev name&1"),
        ])[..]
    );
}

#[test]
fn each_build_draws_a_new_state_and_verifier() {
    let builder = AuthorizeUrl::<ReadOnly>::new(CLIENT_ID, REDIRECT);
    let (first_url, first) = builder.build().unwrap();
    let (second_url, second) = builder.build().unwrap();
    assert_ne!(first.state(), second.state());
    assert_eq!(first.state().len(), 43, "32 bytes, base64url without padding");
    let challenge = |url: &url::Url| {
        url.query_pairs().find(|(name, _)| name == "code_challenge").unwrap().1.into_owned()
    };
    assert_ne!(challenge(&first_url), challenge(&second_url));
}

#[test]
fn misuse_is_a_typed_error() {
    let new = || AuthorizeUrl::<ReadOnly>::new(CLIENT_ID, REDIRECT);
    let error = |builder: AuthorizeUrl<ReadOnly>| builder.build().unwrap_err();

    assert!(matches!(error(new().state("7chars!")), AuthorizeUrlError::StateTooShort));
    assert!(new().state("8 chars!").build().is_ok());
    assert!(matches!(
        error(new().account(Account::All).account_currency(["BTC"])),
        AuthorizeUrlError::AccountCurrencyNeedsSelect
    ));
    assert!(matches!(
        error(new().account_currency(["BTC", "B-C"])),
        AuthorizeUrlError::InvalidAccountCurrency(code) if code == "B-C"
    ));
    let empty: [&str; 0] = [];
    assert!(matches!(
        error(new().account_currency(empty)),
        AuthorizeUrlError::InvalidAccountCurrency(code) if code.is_empty()
    ));
    assert!(matches!(error(new().referral(" ")), AuthorizeUrlError::EmptyReferral));
    assert!(matches!(error(AuthorizeUrl::new("", REDIRECT)), AuthorizeUrlError::EmptyClientId));
    for redirect in ["/callback", "https://app.example/cb#frag", "mailto:me@app.example"] {
        let builder = AuthorizeUrl::<ReadOnly>::new(CLIENT_ID, redirect);
        assert!(
            matches!(error(builder), AuthorizeUrlError::InvalidRedirectUri { .. }),
            "{redirect}"
        );
    }
    for endpoint in ["http://login.example/auth", "ftp://127.0.0.1/", "https://x.example/?a=1"] {
        assert!(
            matches!(error(new().endpoint(endpoint)), AuthorizeUrlError::InvalidEndpoint { .. }),
            "{endpoint}"
        );
    }
    assert!(new().endpoint("http://localhost:8787/oauth2/auth").build().is_ok());
    assert!(new().endpoint("http://[::1]:8787/oauth2/auth").build().is_ok());
}

#[test]
fn a_user_supplied_state_never_shows_in_debug() {
    let builder = AuthorizeUrl::<ReadOnly>::new(CLIENT_ID, REDIRECT).state(STATE);
    assert!(!format!("{builder:?}").contains(STATE));
}

#[test]
fn the_callback_of_a_real_url_completes_it() {
    let (url, pending) = AuthorizeUrl::<Payouts>::new(CLIENT_ID, REDIRECT).build().unwrap();
    let state = url.query_pairs().find(|(name, _)| name == "state").unwrap().1.into_owned();
    let back = format!("https://app.example/oauth/callback?tenant=a%20b&code=xyz&state={state}");
    let code = pending.complete(&back).unwrap();
    assert_eq!(code.code().expose_secret(), "xyz");
    assert_eq!(code.redirect_uri().as_str(), "https://app.example/oauth/callback?tenant=a%20b");

    let (_, pending) = AuthorizeUrl::<Payouts>::new(CLIENT_ID, REDIRECT).build().unwrap();
    let denied = format!(
        "https://app.example/oauth/callback?error=access_denied\
         &error_description=The+user+denied&state={}",
        pending.state()
    );
    let error = pending.complete(&denied).unwrap_err();
    assert_eq!(error.to_string(), "the user declined the authorization (The user denied)");
    assert!(matches!(error, CallbackError::AccessDenied { .. }));
}
