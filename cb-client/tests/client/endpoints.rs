//! Every endpoint against the sandbox, pagination, sends with 2FA and after
//! a dropped connection, retries under a 429 storm, and a scope Coinbase
//! refuses after the grant was checked.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use cb_client::models::{AccountId, AccountType, TransactionStatus, TransactionType, UserUpdate};
use cb_client::{
    Client, Error, MemoryStore, Order, RequestMoney, SavedSend, SendMoney, TokenStore, TradeOrder,
    Transfer,
};
use cb_sandbox::{Fault, Times};
use cb_scopes::{Scope, scopes};
use futures_util::TryStreamExt as _;
use rust_decimal::Decimal;

use crate::support::*;

scopes! {
    /// Every scope but the restricted 2FA bypass.
    #[send_limit(amount = "500.00", currency = "USD", period = "day")]
    pub(crate) struct Everything(
        wallet:accounts:read, wallet:accounts:update, wallet:accounts:create, wallet:accounts:delete,
        wallet:addresses:read, wallet:addresses:create, wallet:buys:read, wallet:buys:create,
        wallet:deposits:read, wallet:deposits:create, wallet:notifications:read,
        wallet:payment-methods:read, wallet:payment-methods:delete, wallet:payment-methods:limits,
        wallet:sells:read, wallet:sells:create, wallet:transactions:read, wallet:transactions:send,
        wallet:transactions:request, wallet:transactions:transfer, wallet:user:read,
        wallet:user:update, wallet:user:email, wallet:withdrawals:read, wallet:withdrawals:create,
        wallet:trades:read, wallet:trades:create, offline_access
    );
}

/// The id of the demo user's first account in `currency`.
fn account_id(env: &Env, currency: &str) -> AccountId {
    let account =
        env.sandbox.accounts(&env.user).into_iter().find(|a| a.currency == currency).unwrap();
    AccountId::from(account.id.as_str())
}

async fn everything(env: &Env) -> Client<Everything> {
    let oauth = env.oauth();
    let (url, pending) =
        oauth.authorize_url::<Everything>().account(cb_scopes::Account::All).build().unwrap();
    let redirect = env.sandbox.consent(url.as_str()).unwrap().approve().unwrap();
    oauth.exchange(pending.complete(redirect.as_str()).unwrap(), "user-1").await.unwrap()
}

/// Sends, confirming the two-factor challenge with the sandbox's code.
async fn send(
    env: &Env,
    client: &Client<Everything>,
    account: &AccountId,
    send: SendMoney,
) -> Result<cb_client::models::Transaction, Error> {
    match client.send_money(account, send).await {
        Err(Error::TwoFactorRequired(pending)) => {
            let code = env.sandbox.two_factor_code(&env.user).unwrap();
            pending.confirm(&code).await
        }
        other => other,
    }
}

#[tokio::test]
async fn every_endpoint_answers_with_a_typed_result() {
    let env = Env::new().await;
    let client = everything(&env).await;
    let usd = account_id(&env, "USD");
    let btc = AccountId::from("BTC");

    // Users.
    let me = client.current_user().await.unwrap();
    assert_eq!(me.name.as_deref(), Some("Satoshi Demo"));
    assert_eq!(
        client.current_user_details().await.unwrap().native_currency.as_deref(),
        Some("USD")
    );
    assert_eq!(client.current_user_email().await.unwrap(), "demo@sandbox.example");
    assert_eq!(client.user(&me.id).await.unwrap().id, me.id);
    let info = client.auth_info().await.unwrap();
    assert_eq!(info.send_limit.unwrap().to_string(), "500.00 USD per day");
    let updated = client.update_user(UserUpdate::new().time_zone("Europe/Paris")).await.unwrap();
    assert_eq!(updated.time_zone.as_deref(), Some("Europe/Paris"));

    // Accounts.
    let accounts = client.accounts().all().await.unwrap();
    assert_eq!(accounts.len(), 2);
    let btc_account = client.account("BTC").await.unwrap();
    assert_eq!(
        (btc_account.kind, btc_account.balance.amount),
        (AccountType::Wallet, Decimal::new(5, 1))
    );
    let vault = client.create_account("Vault").await.unwrap();
    assert_eq!(client.update_account(&vault.id, "Cold").await.unwrap().name, "Cold");
    assert!(client.set_primary_account(&vault.id).await.unwrap().primary);
    client.set_primary_account(&btc_account.id).await.unwrap();
    client.delete_account(&vault.id).await.unwrap();
    assert!(matches!(
        client.account(vault.id.as_str()).await,
        Err(Error::Api { status: cb_client::reqwest::StatusCode::NOT_FOUND, .. })
    ));

    // Addresses.
    let address = client.create_address(&btc, Some("Invoices")).await.unwrap();
    assert_eq!(client.address(&btc, &address.id).await.unwrap().address, address.address);
    assert_eq!(client.addresses(&btc).all().await.unwrap().len(), 1);
    assert!(client.address_transactions(&btc, &address.id).all().await.unwrap().is_empty());

    // Transactions.
    let sent = send(
        &env,
        &client,
        &usd,
        SendMoney::new("friend@example.com", Decimal::new(1000, 2), "USD"),
    )
    .await
    .unwrap();
    assert_eq!(
        (sent.kind.clone(), sent.amount.amount),
        (TransactionType::Send, Decimal::new(-1000, 2))
    );
    assert_eq!(client.transaction(&usd, &sent.id).await.unwrap().id, sent.id);
    let savings =
        AccountId::from(env.sandbox.add_account(&env.user, "USD", Decimal::ZERO).as_str());
    let moved = client
        .transfer_money(&usd, Transfer::new(savings.clone(), Decimal::ONE, "USD"))
        .await
        .unwrap();
    assert_eq!(moved.kind, TransactionType::Transfer);
    let asked = RequestMoney::new("payer@example.com", Decimal::new(500, 2), "USD");
    let request = client.request_money(&usd, asked.clone()).await.unwrap();
    assert_eq!(request.status, TransactionStatus::Pending);
    client.resend_request(&usd, &request.id).await.unwrap();
    assert_eq!(
        client.complete_request(&usd, &request.id).await.unwrap().status,
        TransactionStatus::Completed
    );
    let second = client.request_money(&usd, asked).await.unwrap();
    client.cancel_request(&usd, &second.id).await.unwrap();
    assert!(client.transactions(&usd).all().await.unwrap().len() >= 5);

    // Payment methods and notifications.
    let methods = client.payment_methods().all().await.unwrap();
    let bank = methods.iter().find(|m| m.kind == "ach_bank_account").unwrap().id.clone();
    assert_eq!(client.payment_method(&bank).await.unwrap().id, bank);
    let limits = client.payment_method_limits(&bank).await.unwrap();
    assert_eq!(limits.buy[0].period_in_days, 7);
    let notifications = client.notifications().all().await.unwrap();
    assert_eq!(client.notification(&notifications[0].id).await.unwrap().id, notifications[0].id);

    // Buys, sells, deposits and withdrawals, committed now or later.
    let order = |amount: i64, scale, currency: &str| {
        TradeOrder::new(Decimal::new(amount, scale), currency, bank.clone())
    };
    let buy = client.place_buy(&btc, order(100, 0, "USD").without_commit()).await.unwrap();
    assert!(!buy.committed);
    assert!(client.commit_buy(&btc, &buy.id).await.unwrap().committed);
    assert_eq!(client.buy(&btc, &buy.id).await.unwrap().id, buy.id);
    assert_eq!(client.buys(&btc).all().await.unwrap().len(), 1);
    let sell = client.place_sell(&btc, order(1, 3, "BTC")).await.unwrap();
    assert_eq!(client.sell(&btc, &sell.id).await.unwrap().amount.amount, Decimal::new(1, 3));
    assert_eq!(client.sells(&btc).all().await.unwrap().len(), 1);
    let deposit = client.deposit_funds(&usd, order(50, 0, "USD").without_commit()).await.unwrap();
    client.commit_deposit(&usd, &deposit.id).await.unwrap();
    assert_eq!(client.deposit(&usd, &deposit.id).await.unwrap().id, deposit.id);
    assert_eq!(client.deposits(&usd).all().await.unwrap().len(), 1);
    let withdrawal =
        client.withdraw_funds(&usd, order(20, 0, "USD").without_commit()).await.unwrap();
    client.commit_withdrawal(&usd, &withdrawal.id).await.unwrap();
    assert_eq!(client.withdrawal(&usd, &withdrawal.id).await.unwrap().id, withdrawal.id);
    assert_eq!(client.withdrawals(&usd).all().await.unwrap().len(), 1);
    client.delete_payment_method(&bank).await.unwrap();
    assert!(client.payment_method(&bank).await.is_err());

    // The scope each request needed, as the sandbox recorded it, is the one
    // the method was annotated with.
    let needed: HashSet<&str> =
        env.sandbox.requests().iter().filter_map(|r| r.required_scope).collect();
    for scope in Scope::ALL {
        // GET /v2/user needs no scope: its scopes only reveal fields. The
        // limits scope adds a field too, and the rest have no v2 endpoint.
        let expected = !matches!(
            scope,
            Scope::OfflineAccess
                | Scope::WalletTradesRead
                | Scope::WalletTradesCreate
                | Scope::WalletTransactionsSendBypass2fa
                | Scope::WalletPaymentMethodsLimits
                | Scope::WalletUserRead
                | Scope::WalletUserEmail
        );
        assert_eq!(needed.contains(scope.as_str()), expected, "{scope}");
    }
}

#[tokio::test]
async fn streams_walk_250_transactions_in_both_orders_without_skips_or_repeats() {
    let env = Env::new().await;
    let client = everything(&env).await;
    let usd = account_id(&env, "USD");
    let savings =
        AccountId::from(env.sandbox.add_account(&env.user, "USD", Decimal::ZERO).as_str());
    for _ in 0..249 {
        client
            .transfer_money(&usd, Transfer::new(savings.clone(), Decimal::new(1, 2), "USD"))
            .await
            .unwrap();
    }
    // 249 transfers and the sandbox's funding make 250.
    let desc: Vec<_> = client
        .transactions(&usd)
        .limit(100)
        .stream()
        .map_ok(|tx| tx.id)
        .try_collect()
        .await
        .unwrap();
    let asc: Vec<_> = client
        .transactions(&usd)
        .order(Order::Asc)
        .stream()
        .map_ok(|tx| tx.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(desc.len(), 250);
    assert_eq!(desc.iter().collect::<HashSet<_>>().len(), 250);
    assert_eq!(desc.iter().rev().collect::<Vec<_>>(), asc.iter().collect::<Vec<_>>());

    let page =
        client.transactions(&usd).limit(10).starting_after(desc[9].as_str()).page().await.unwrap();
    assert_eq!(
        page.items.iter().map(|tx| &tx.id).collect::<Vec<_>>(),
        desc[10..20].iter().collect::<Vec<_>>()
    );
    assert!(page.next_uri.is_some() && page.previous_uri.is_some());
}

#[tokio::test]
async fn a_send_with_2fa_leaves_one_transaction_and_balances_that_add_up() {
    let env = Env::new().await;
    let client = everything(&env).await;
    let friend = env.sandbox.add_user("Friend", "friend@sandbox.example");
    let usd = AccountId::from("USD");
    let request = SendMoney::new("friend@sandbox.example", Decimal::new(2500, 2), "USD");
    let Err(Error::TwoFactorRequired(pending)) = client.send_money(&usd, request.clone()).await
    else {
        panic!("the sandbox asks for a code");
    };
    assert_eq!(pending.idem(), Some(request.idem()));
    // A wrong code gets a new challenge, not a send.
    let Err(Error::TwoFactorRequired(pending)) = pending.confirm("0000000").await else {
        panic!("a wrong code is refused");
    };
    let code = env.sandbox.two_factor_code(&env.user).unwrap();
    let tx = pending.confirm(&code).await.unwrap();
    assert_eq!(tx.idem.as_deref(), Some(request.idem()));
    let sends: Vec<_> =
        env.sandbox.ledger().into_iter().filter(|entry| entry.kind == "send").collect();
    assert_eq!(sends.len(), 2, "the debit and the friend's credit");
    let mine = env.sandbox.accounts(&env.user).into_iter().find(|a| a.currency == "USD").unwrap();
    let theirs = env.sandbox.accounts(&friend).into_iter().find(|a| a.currency == "USD").unwrap();
    assert_eq!((mine.balance, theirs.balance), (Decimal::new(97_500, 2), Decimal::new(2_500, 2)));
}

#[tokio::test]
async fn a_held_send_is_kept_and_confirmed_from_another_process_once() {
    let env = Env::new().await;
    let store = Arc::new(MemoryStore::new());
    // Instance A takes the send form; its request ends with the challenge.
    let a = env.builder().shared_store(store.clone()).build().unwrap();
    let (url, pending) = a.authorize_url::<Everything>().build().unwrap();
    let redirect = env.sandbox.consent(url.as_str()).unwrap().approve().unwrap();
    let client = a.exchange(pending.complete(redirect.as_str()).unwrap(), "user-1").await.unwrap();
    let send = SendMoney::new("b@example.com", Decimal::new(1200, 2), "USD");
    let Err(Error::TwoFactorRequired(held)) = client.send_money(&"USD".into(), send.clone()).await
    else {
        panic!("the sandbox asks for a code");
    };
    let kept = serde_json::to_string(&held.saved().unwrap()).unwrap();
    assert!(kept.contains(send.idem()) && !kept.contains("access"), "{kept}");
    drop((held, client, a));

    // Instance B gets the code in a later request.
    let b = env.builder().shared_store(store.clone()).build().unwrap();
    let client = b.restore::<Everything>("user-1").await.unwrap();
    let saved: SavedSend = serde_json::from_str(&kept).unwrap();
    assert_eq!(saved.account().as_str(), "USD");
    let Err(Error::TwoFactorRequired(_)) = client.confirm_send(&saved, "0000000").await else {
        panic!("a wrong code is refused");
    };
    let code = env.sandbox.two_factor_code(&env.user).unwrap();
    let tx = client.confirm_send(&saved, &code).await.unwrap();
    assert_eq!(tx.idem.as_deref(), Some(send.idem()));
    // A second confirm (a double-clicked form) answers the same send.
    let again = client.confirm_send(&saved, &code).await.unwrap();
    assert_eq!(again.id, tx.id);
    let debits = env
        .sandbox
        .ledger()
        .into_iter()
        .filter(|e| e.kind == "send" && e.amount < Decimal::ZERO)
        .count();
    assert_eq!(debits, 1);
}

#[tokio::test]
async fn a_send_whose_success_cannot_be_read_is_reported_as_sent_with_its_idem() {
    let env = Env::new().await;
    let client = everything(&env).await;
    let send = SendMoney::new("c@example.com", Decimal::new(300, 2), "USD");
    let Err(Error::TwoFactorRequired(held)) = client.send_money(&"USD".into(), send.clone()).await
    else {
        panic!("the sandbox asks for a code");
    };
    let code = env.sandbox.two_factor_code(&env.user).unwrap();
    let route = "/v2/accounts/{account}/transactions";
    env.sandbox.inject_fault("POST", route, Fault::GarbledAnswer, Times::Next(1));
    let error = held.confirm(&code).await.unwrap_err();
    let Error::SentUnreadable { idem, .. } = &error else { panic!("{error:?}") };
    assert_eq!(idem, send.idem());
    // It was sent, once.
    let debits = env
        .sandbox
        .ledger()
        .into_iter()
        .filter(|e| e.kind == "send" && e.amount < Decimal::ZERO)
        .count();
    assert_eq!(debits, 1);
}

#[tokio::test]
async fn a_send_whose_answer_was_dropped_is_retried_with_its_idem_and_happens_once() {
    let env = Env::new().await;
    let client = everything(&env).await;
    let usd = AccountId::from("USD");
    let Err(Error::TwoFactorRequired(pending)) =
        client.send_money(&usd, SendMoney::new("a@example.com", Decimal::new(700, 2), "USD")).await
    else {
        panic!("the sandbox asks for a code");
    };
    let code = env.sandbox.two_factor_code(&env.user).unwrap();
    env.sandbox.inject_fault(
        "POST",
        "/v2/accounts/{account}/transactions",
        Fault::DropAfterProcessing,
        Times::Next(1),
    );
    let tx = pending.confirm(&code).await.unwrap();
    let sends: Vec<_> =
        env.sandbox.ledger().into_iter().filter(|entry| entry.kind == "send").collect();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].id, tx.id.as_str());
    let posts = env
        .sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.route.ends_with("/transactions"))
        .count();
    assert_eq!(posts, 3, "the challenge, the dropped confirm, and its retry");
}

#[tokio::test]
async fn a_429_storm_is_ridden_out_within_the_retry_bound() {
    let env = Env::new().await;
    let client = everything(&env).await;
    let route = "/v2/accounts";
    let calls = || env.sandbox.requests().iter().filter(|r| r.route == route).count();

    env.sandbox.inject_fault("GET", route, Fault::Status(429), Times::Next(2));
    assert_eq!(client.accounts().all().await.unwrap().len(), 2);
    assert_eq!(calls(), 3);

    env.sandbox.inject_fault("GET", route, Fault::Status(429), Times::Always);
    let error = client.accounts().page().await.unwrap_err();
    env.sandbox.clear_faults();
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    assert_eq!(calls(), 6, "three attempts, no more");

    // A POST that is not idempotent is not retried after a server error.
    env.sandbox.inject_fault("POST", "/v2/accounts", Fault::Status(503), Times::Next(1));
    assert!(matches!(
        client.create_account("Vault").await,
        Err(Error::Api { status: cb_client::reqwest::StatusCode::SERVICE_UNAVAILABLE, .. })
    ));
}

#[tokio::test]
async fn error_pages_that_are_not_json_are_read_by_their_status() {
    let env = Env::new().await;
    let client = everything(&env).await;
    let route = "/v2/accounts";
    // Coinbase's edge answers a rate limit or a gateway failure with HTML:
    // the status decides, so both are retried on a read.
    env.sandbox.inject_fault("GET", route, Fault::HtmlPage(429), Times::Next(1));
    assert_eq!(client.accounts().all().await.unwrap().len(), 2);
    env.sandbox.inject_fault("GET", "/v2/accounts/{account}", Fault::HtmlPage(502), Times::Next(2));
    assert_eq!(client.account("BTC").await.unwrap().currency, "BTC");
    env.sandbox.inject_fault("GET", route, Fault::HtmlPage(429), Times::Always);
    let error = client.accounts().page().await.unwrap_err();
    env.sandbox.clear_faults();
    let Error::RateLimited { retry_after } = error else { panic!("{error:?}") };
    assert_eq!(retry_after, Some(Duration::from_secs(1)));
    // A POST that is not idempotent is not retried: the status is the error.
    env.sandbox.inject_fault("POST", route, Fault::HtmlPage(502), Times::Next(1));
    let error = client.create_account("Vault").await.unwrap_err();
    assert!(
        matches!(&error, Error::Api { status: cb_client::reqwest::StatusCode::BAD_GATEWAY, .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("html"), "the page is not quoted: {error}");
}

#[tokio::test]
async fn a_scope_refused_by_coinbase_is_named() {
    let env = Env::new().await;
    let store = Arc::new(MemoryStore::new());
    let oauth = env.builder().shared_store(store.clone()).build().unwrap();
    type Small = scopes!(wallet:user:read);
    env.connect::<Small>(&oauth, "user-1", None).await.unwrap();
    // The stored grant claims more than Coinbase granted, as when the user
    // narrowed the authorization in their settings afterwards.
    let mut stored = store.load("user-1").await.unwrap().unwrap();
    stored.record.granted = stored.record.granted.with(Scope::WalletAccountsRead);
    store.save("user-1", &stored.record, Some(stored.version)).await.unwrap();
    let client = oauth.restore::<Reader>("user-1").await.unwrap();
    let error = client.accounts().page().await.unwrap_err();
    let Error::ScopeRefused { needed, .. } = &error else { panic!("{error:?}") };
    assert_eq!(needed.to_string(), "wallet:accounts:read");
    assert!(error.to_string().contains("wallet:accounts:read"), "{error}");
}

#[tokio::test]
async fn requests_stop_on_time_and_never_loop() {
    let env = Env::new().await;
    let client = everything(&env).await;
    env.sandbox.inject_fault("GET", "/v2/user", Fault::Status(500), Times::Always);
    let outcome = tokio::time::timeout(Duration::from_secs(20), client.current_user())
        .await
        .expect("bounded");
    assert!(matches!(
        outcome,
        Err(Error::Api { status: cb_client::reqwest::StatusCode::INTERNAL_SERVER_ERROR, .. })
    ));
}

#[tokio::test]
async fn a_long_retry_after_is_reported_not_slept_through() {
    let env = Env::new().await;
    let client = everything(&env).await;
    env.sandbox.configure(|config| config.rate_limit_per_hour = 2);
    let started = std::time::Instant::now();
    let mut outcome = Ok(Vec::new());
    for _ in 0..3 {
        outcome = client.accounts().all().await;
    }
    let Err(Error::RateLimited { retry_after: Some(wait) }) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(wait > Duration::from_secs(60), "{wait:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "the client did not wait an hour");
    let calls = env.sandbox.requests().iter().filter(|r| r.route == "/v2/accounts").count();
    assert_eq!(calls, 3, "a Retry-After beyond the policy's longest wait is not retried");
}

#[tokio::test]
async fn a_send_over_the_send_limit_is_a_typed_error() {
    let env = Env::new().await;
    let client = everything(&env).await;
    let usd = account_id(&env, "USD");
    let over = SendMoney::new("friend@sandbox.example", Decimal::new(60_000, 2), "USD");
    let error = send(&env, &client, &usd, over).await.unwrap_err();
    let Error::SendLimitExceeded { limit, errors } = &error else { panic!("{error:?}") };
    assert_eq!(limit.map(|l| l.to_string()), client.send_limit().map(|l| l.to_string()));
    assert!(limit.is_some());
    assert_eq!(errors[0].id, "send_limit_exceeded");
    assert!(error.to_string().contains("send limit"), "{error}");
    let sends = env.sandbox.ledger().into_iter().filter(|entry| entry.kind == "send").count();
    assert_eq!(sends, 0, "nothing was sent");
}

#[tokio::test]
async fn a_rate_limit_with_retry_after_is_waited_out_or_reported() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let client = env.connect::<crate::support::Reader>(&oauth, "user-1", None).await.unwrap();
    let limited = |seconds| Fault::RateLimited { retry_after: Duration::from_secs(seconds) };
    env.sandbox.inject_fault("GET", "/v2/accounts", limited(1), Times::Next(1));
    let started = std::time::Instant::now();
    client.accounts().all().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was honoured");

    env.sandbox.inject_fault("GET", "/v2/accounts", limited(60), Times::Next(1));
    let started = std::time::Instant::now();
    let error = client.accounts().all().await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(60)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "a long wait is the caller's choice");
}
