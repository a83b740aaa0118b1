//! Arbitrary answers to every kind of call the client makes: whatever the
//! status, headers and body, the client returns a typed error or a value,
//! never panics or hangs, and goes on working once Coinbase answers
//! normally again.

use std::time::{Duration, SystemTime};

use cb_client::{Client, Error, OAuthClient};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::*;

fn answer() -> impl Strategy<Value = Answer> {
    let status = prop_oneof![
        Just(200u16),
        Just(201),
        Just(400),
        Just(401),
        Just(402),
        Just(403),
        Just(404),
        Just(429),
        Just(500),
        Just(503),
        100u16..600,
    ]
    .prop_filter("a status an HTTP/1.1 answer can carry", |s| *s >= 200 && *s != 204 && *s != 304);
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        Just(b"{}".to_vec()),
        Just(br#"{"data":null}"#.to_vec()),
        Just(br#"{"data":[],"pagination":{"next_uri":"//evil.example/v2/accounts"}}"#.to_vec()),
        Just(br#"{"errors":[]}"#.to_vec()),
        Just(br#"{"errors":[{"id":"expired_token"}]}"#.to_vec()),
        Just(br#"{"errors":[{"id":"two_factor_required","message":7}]}"#.to_vec()),
        Just(br#"{"access_token":"","expires_in":-1e400}"#.to_vec()),
        Just(br#"{"access_token":"a","expires_in":"soon","scope":[1]}"#.to_vec()),
        Just(br#"{"error":"invalid_grant"}"#.to_vec()),
        Just(br#"{"data":{"id":7,"balance":{"amount":1.5,"currency":null}}}"#.to_vec()),
    ];
    let retry_after = prop_oneof![
        Just(None),
        Just(Some("1".to_owned())),
        Just(Some("Wed, 21 Oct 2015 07:28:00 GMT".to_owned())),
        Just(Some("99999999999999999999".to_owned())),
        "[ -~]{0,30}".prop_map(Some),
    ];
    (status, body, retry_after).prop_map(|(status, body, retry_after)| Answer {
        status,
        headers: retry_after.into_iter().map(|value| ("retry-after".to_owned(), value)).collect(),
        body,
    })
}

/// One call of each kind, by number.
async fn call(client: &Client<Reader>, which: u8) -> Result<(), Error> {
    match which % 5 {
        0 => client.auth_info().await.map(drop),
        1 => client.accounts().limit(1).page().await.map(drop),
        2 => client.accounts().all().await.map(drop),
        3 => client.account("USD").await.map(drop),
        _ => client.current_user().await.map(drop),
    }
}

#[test]
fn arbitrary_answers_give_typed_errors_and_the_client_recovers() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (env, proxy, oauth) = runtime.block_on(async {
        let env = Env::new().await;
        let proxy = Proxy::start(env.sandbox.base_url().as_str(), 11).await;
        let sandbox = env.sandbox.clone();
        let oauth: OAuthClient = env
            .builder()
            .sandbox(&proxy.base)
            .clock(move || SystemTime::from(sandbox.now()))
            // No waiting between retries: this test is about parsing.
            .retry_policy(
                cb_client::RetryPolicy::default()
                    .attempts(2)
                    .base_delay(Duration::ZERO)
                    .max_delay(Duration::from_millis(10)),
            )
            .build()
            .unwrap();
        (env, proxy, oauth)
    });
    let client = runtime.block_on(env.connect::<Reader>(&oauth, "user-1", None)).unwrap();
    let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
    let outcome = runner.run(&(answer(), any::<u8>(), any::<bool>()), |(answer, which, expire)| {
        runtime.block_on(async {
            if expire {
                // The call refreshes first, so the token endpoint gets the
                // made-up answer too.
                env.sandbox.advance(Duration::from_secs(3600));
            }
            proxy.replace_answers(Some(answer.clone()));
            let outcome = tokio::time::timeout(Duration::from_secs(10), call(&client, which)).await;
            proxy.replace_answers(None);
            prop_assert!(outcome.is_ok(), "the call hung on {answer:?}");
            // Errors are typed by construction; their messages never quote
            // more than a bounded part of what came back.
            if let Ok(Err(error)) = &outcome {
                prop_assert!(error.to_string().len() < 2_000, "{error}");
            }
            // With normal answers again, the client works, or says the
            // authorization ended; then the user connects again.
            if let Err(error) = client.auth_info().await {
                prop_assert!(
                    matches!(error, Error::ReauthorizationRequired { .. } | Error::Store(_)),
                    "after {answer:?}: {error:?}"
                );
                // The new authorization replaces the session this client
                // shares.
                env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
                client.auth_info().await.unwrap();
            }
            Ok(())
        })
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
}
