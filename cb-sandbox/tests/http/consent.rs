//! The HTML consent page's form.

use reqwest::StatusCode;
use url::Url;

use crate::support::*;

fn between<'a>(page: &'a str, before: &str, after: &str) -> &'a str {
    let start = page.find(before).unwrap() + before.len();
    &page[start..start + page[start..].find(after).unwrap()]
}

async fn submit(env: &Env, form: &[(&str, &str)]) -> Url {
    let response = env.http.post(env.url("/oauth2/consent")).form(form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

#[tokio::test]
async fn approving_a_subset_on_the_page_grants_exactly_that_subset() {
    let env = Env::new().await;
    let btc = env.account("BTC");
    let scopes = "wallet:accounts:read,wallet:transactions:read,wallet:user:read";
    let page =
        env.http.get(env.authorize_url(scopes, &[])).send().await.unwrap().text().await.unwrap();
    for scope in scopes.split(',') {
        assert!(page.contains(&format!("value=\"{scope}\" checked")), "{page}");
    }
    assert!(page.contains("USD Wallet") && page.contains("BTC Wallet"), "{page}");
    let consent = between(&page, "name=\"consent\" value=\"", "\"");

    let form = [
        ("consent", consent),
        ("scope", "wallet:accounts:read"),
        ("scope", "wallet:user:read"),
        ("scope", "wallet:buys:create"), // not requested: ignored
        ("account", btc.as_str()),
        ("decision", "approve"),
    ];
    let redirect = submit(&env, &form).await;
    let (status, body) = env.exchange(&Env::code_of(&redirect)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scope"], "wallet:accounts:read,wallet:user:read");
    let tokens = Tokens::from(body);
    let (_, accounts) = env.get("/v2/accounts", &tokens.access).await;
    assert_eq!(accounts["data"].as_array().unwrap().len(), 1);

    // The form is single use.
    let response = env.http.post(env.url("/oauth2/consent")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deny_on_the_page_redirects_with_access_denied() {
    let env = Env::new().await;
    let page = env
        .http
        .get(env.authorize_url("wallet:user:read", &[]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let consent = between(&page, "name=\"consent\" value=\"", "\"");
    let redirect = submit(&env, &[("consent", consent), ("decision", "deny")]).await;
    assert!(redirect.query().unwrap().contains("error=access_denied"));
}
