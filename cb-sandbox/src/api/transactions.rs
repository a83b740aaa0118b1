//! `/v2/accounts/:id/transactions`: listing, and sending, transferring and
//! requesting money, with two-factor challenges, `idem` deduplication and
//! send limits.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::{Api, Caller, find};
use crate::catalogue;
use crate::wire::{
    ApiError, ApiResult, Item, Reply, amount_param, json_body, money, string_param, timestamp,
};
use crate::world::{
    NewTransaction, Transaction, TransactionKind, TransactionStatus, TwoFactorChallenge, World,
    convert,
};

pub(crate) fn json(world: &World, tx: &Transaction) -> Value {
    let native = world
        .accounts
        .get(&tx.account_id)
        .and_then(|account| world.users.get(&account.user_id))
        .map_or("USD", |user| user.native_currency.as_str());
    let to = tx.counterparty.as_ref().map(|party| {
        if party.contains('@') {
            json!({ "resource": "email", "email": party })
        } else if world.accounts.contains_key(party) {
            json!({ "resource": "account", "id": party })
        } else {
            json!({ "resource": "address", "address": party })
        }
    });
    json!({
        "id": tx.id,
        "type": tx.kind,
        "status": tx.status,
        "amount": money(tx.amount, &tx.currency),
        "native_amount": money(convert(tx.amount, &tx.currency, native).unwrap_or_default(), native),
        "description": tx.description,
        "to": to,
        "idem": tx.idem,
        "network": tx.network.as_ref().map(|name| json!({ "status": "confirmed", "name": name })),
        "created_at": timestamp(tx.created_at),
        "updated_at": timestamp(tx.updated_at),
        "resource": "transaction",
        "resource_path": format!("/v2/accounts/{}/transactions/{}", tx.account_id, tx.id),
    })
}

/// `GET /v2/accounts/:id/transactions`
pub(crate) async fn list(api: Api, Path(account): Path<String>) -> Response {
    api.call(Some("wallet:transactions:read"), |world, caller| {
        let account = find(world, caller, &account)?.id.clone();
        let items = world
            .transactions
            .values()
            .filter(|tx| tx.account_id == account)
            .map(|tx| Item { seq: tx.seq, id: tx.id.clone(), json: json(world, tx) })
            .collect();
        Ok(Reply::page(api.paginate(items)?))
    })
}

fn find_tx<'w>(
    world: &'w World,
    caller: &Caller,
    account: &str,
    id: &str,
) -> Result<&'w Transaction, ApiError> {
    let account = find(world, caller, account)?;
    world
        .transactions
        .get(id)
        .filter(|tx| tx.account_id == account.id)
        .ok_or_else(|| ApiError::not_found("Transaction"))
}

/// `GET /v2/accounts/:id/transactions/:tx`
pub(crate) async fn show(api: Api, Path((account, id)): Path<(String, String)>) -> Response {
    api.call(Some("wallet:transactions:read"), |world, caller| {
        Ok(Reply::ok(json(world, find_tx(world, caller, &account, &id)?)))
    })
}

/// `POST /v2/accounts/:id/transactions`: `type` is `send`, `transfer` or
/// `request`, each with its own scope.
pub(crate) async fn create(api: Api, Path(account): Path<String>, body: Bytes) -> Response {
    // As at Coinbase, the token and its scope are checked before the body:
    // a caller that may not use this route learns nothing from its body.
    const ANY: [&str; 3] =
        [catalogue::SEND, "wallet:transactions:transfer", "wallet:transactions:request"];
    let parsed = match json_body(&body) {
        Ok(body) => body,
        Err(error) => return api.call_with_any(&ANY, |_, _| Err(error)),
    };
    match string_param(&parsed, "type") {
        Some("send") => api.call(Some(catalogue::SEND), |world, caller| {
            send(world, caller, &api, &account, &parsed)
        }),
        Some("transfer") => api.call(Some("wallet:transactions:transfer"), |world, caller| {
            transfer(world, caller, &account, &parsed)
        }),
        Some("request") => api.call(Some("wallet:transactions:request"), |world, caller| {
            request(world, caller, &account, &parsed)
        }),
        Some(_) => api.call_with_any(&ANY, |_, _| {
            Err(ApiError::validation("type must be send, transfer or request"))
        }),
        None => api.call_with_any(&ANY, |_, _| Err(ApiError::param_required("type"))),
    }
}

/// The fingerprint of a request: a replay must match it exactly.
fn fingerprint(api: &Api, body: &Value) -> String {
    let digest = Sha256::digest(format!("POST {}\n{body}", api.path()).as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

fn send(world: &mut World, caller: &Caller, api: &Api, account: &str, body: &Value) -> ApiResult {
    let source = find(world, caller, account)?.clone();
    let to = string_param(body, "to").ok_or_else(|| ApiError::param_required("to"))?.to_owned();
    let amount = amount_param(body, "amount")?;
    let currency =
        string_param(body, "currency").ok_or_else(|| ApiError::param_required("currency"))?;
    let debit = convert(amount, currency, &source.currency)
        .ok_or_else(|| ApiError::validation(format!("Unsupported currency {currency}")))?;
    let fingerprint = fingerprint(api, body);
    let idem = string_param(body, "idem").map(str::to_owned);

    // A replay of a send that happened returns it: never a second debit.
    if let Some(idem) = &idem
        && let Some((tx, original)) = world.idempotency.get(&(source.id.clone(), idem.clone()))
    {
        if *original != fingerprint {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "This idem was already used for a different request",
            ));
        }
        let tx = world.transactions.get(tx).ok_or_else(|| ApiError::not_found("Transaction"))?;
        return Ok(Reply::created(json(world, tx)));
    }

    let authorization = &caller.authorization;
    if !authorization.has_scope(catalogue::BYPASS_2FA) {
        check_two_factor(world, caller, api, &fingerprint)?;
    }

    let limit_amount = match &authorization.send_limit {
        Some(limit) => {
            let counted = convert(amount, currency, &limit.currency)
                .ok_or_else(|| ApiError::validation(format!("Unsupported currency {currency}")))?;
            let since = world.limit_window_start(limit.period);
            let used = world
                .transactions
                .values()
                .filter(|tx| tx.authorization_id.as_deref() == Some(authorization.id.as_str()))
                .filter(|tx| tx.created_at >= since && tx.status != TransactionStatus::Canceled)
                .filter_map(|tx| tx.limit_amount)
                .try_fold(Decimal::ZERO, Decimal::checked_add)
                .ok_or_else(ApiError::out_of_range)?;
            let total = used.checked_add(counted).ok_or_else(ApiError::out_of_range)?;
            if total > limit.amount {
                // Coinbase's reference names no error id for this; the
                // sandbox answers one of its own so that clients can tell
                // it from other validation errors without reading text.
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "send_limit_exceeded",
                    format!(
                        "Send limit exceeded: {used} of {} {} per {} already sent",
                        limit.amount, limit.currency, limit.period
                    ),
                ));
            }
            Some(counted)
        }
        None => None,
    };
    if source.balance < debit {
        return Err(ApiError::validation("Insufficient funds"));
    }

    let recipient = world
        .users
        .values()
        .find(|user| user.email.eq_ignore_ascii_case(&to))
        .map(|u| u.id.clone());
    let credit_account = recipient.map(|user| world.account_in(&user, &source.currency));
    let mut legs = vec![(source.id.as_str(), -debit)];
    let mut outside = Vec::new();
    match &credit_account {
        Some(account) => legs.push((account.as_str(), debit)),
        None => outside.push((source.currency.as_str(), debit)),
    }
    world.check_movement(&legs, &outside)?;
    match credit_account {
        Some(credit_account) => {
            let sender = world.users.get(caller.user_id()).map(|u| u.email.clone());
            world.post(NewTransaction {
                counterparty: sender,
                description: string_param(body, "description").map(str::to_owned),
                ..NewTransaction::new(
                    &credit_account,
                    TransactionKind::Send,
                    TransactionStatus::Completed,
                    debit,
                    &source.currency,
                )
            });
        }
        None => world.outside(&source.currency, debit),
    }
    let id = world.post(NewTransaction {
        description: string_param(body, "description").map(str::to_owned),
        counterparty: Some(to),
        idem: idem.clone(),
        network: string_param(body, "network").map(str::to_owned),
        authorization_id: Some(authorization.id.clone()),
        limit_amount,
        ..NewTransaction::new(
            &source.id,
            TransactionKind::Send,
            TransactionStatus::Pending,
            -debit,
            &source.currency,
        )
    });
    world.pending_sends.push(id.clone());
    if let Some(idem) = idem {
        world.idempotency.insert((source.id.clone(), idem), (id.clone(), fingerprint));
    }
    let tx = world.transactions.get(&id).ok_or_else(|| ApiError::not_found("Transaction"))?;
    Ok(Reply::created(json(world, tx)))
}

/// Passes when the request carries the code issued for this exact request;
/// otherwise issues a code and answers `two_factor_required`.
fn check_two_factor(
    world: &mut World,
    caller: &Caller,
    api: &Api,
    fingerprint: &str,
) -> Result<(), ApiError> {
    let now = world.now();
    let key = caller.authorization.id.clone();
    if let (Some(code), Some(challenge)) = (api.header("cb-2fa-token"), world.two_factor.get(&key))
        && challenge.code == code
        && challenge.fingerprint == fingerprint
        && challenge.expires_at > now
    {
        world.two_factor.remove(&key);
        return Ok(());
    }
    let code = format!("{:07}", u32::from_be_bytes(random4()) % 10_000_000);
    let expires_at = now + world.config.two_factor_lifetime;
    world.two_factor.insert(
        key,
        TwoFactorChallenge { code: code.clone(), fingerprint: fingerprint.to_owned(), expires_at },
    );
    world.last_two_factor_code.insert(caller.user_id().to_owned(), code);
    world.stats.two_factor_challenges += 1;
    let status = StatusCode::from_u16(world.config.two_factor_status.code())
        .unwrap_or(StatusCode::PAYMENT_REQUIRED);
    Err(ApiError::new(
        status,
        "two_factor_required",
        "Two-step verification code required to complete this request. \
         Re-send the request with the CB-2FA-TOKEN header",
    ))
}

fn random4() -> [u8; 4] {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        bytes = uuid::Uuid::new_v4().as_bytes()[..4].try_into().unwrap_or_default();
    }
    bytes
}

fn transfer(world: &mut World, caller: &Caller, account: &str, body: &Value) -> ApiResult {
    let source = find(world, caller, account)?.clone();
    let to = string_param(body, "to").ok_or_else(|| ApiError::param_required("to"))?;
    let target = find(world, caller, to)?.clone();
    let amount = amount_param(body, "amount")?;
    let currency =
        string_param(body, "currency").ok_or_else(|| ApiError::param_required("currency"))?;
    if target.id == source.id {
        return Err(ApiError::validation("A transfer needs two different accounts"));
    }
    if currency != source.currency || target.currency != source.currency {
        return Err(ApiError::validation("A transfer moves one currency between its own wallets"));
    }
    if source.balance < amount {
        return Err(ApiError::validation("Insufficient funds"));
    }
    world.check_movement(&[(target.id.as_str(), amount), (source.id.as_str(), -amount)], &[])?;
    let description = string_param(body, "description").map(str::to_owned);
    world.post(NewTransaction {
        counterparty: Some(source.id.clone()),
        description: description.clone(),
        ..NewTransaction::new(
            &target.id,
            TransactionKind::Transfer,
            TransactionStatus::Completed,
            amount,
            currency,
        )
    });
    let id = world.post(NewTransaction {
        counterparty: Some(target.id.clone()),
        description,
        authorization_id: Some(caller.authorization.id.clone()),
        ..NewTransaction::new(
            &source.id,
            TransactionKind::Transfer,
            TransactionStatus::Completed,
            -amount,
            currency,
        )
    });
    let tx = world.transactions.get(&id).ok_or_else(|| ApiError::not_found("Transaction"))?;
    Ok(Reply::created(json(world, tx)))
}

fn request(world: &mut World, caller: &Caller, account: &str, body: &Value) -> ApiResult {
    let account = find(world, caller, account)?.clone();
    let to = string_param(body, "to").ok_or_else(|| ApiError::param_required("to"))?;
    if !to.contains('@') {
        return Err(ApiError::validation("Money is requested from an email address"));
    }
    let amount = amount_param(body, "amount")?;
    let currency =
        string_param(body, "currency").ok_or_else(|| ApiError::param_required("currency"))?;
    let amount = convert(amount, currency, &account.currency)
        .ok_or_else(|| ApiError::validation(format!("Unsupported currency {currency}")))?;
    // A request moves nothing until it is completed.
    let id = world.post(NewTransaction {
        counterparty: Some(to.to_owned()),
        description: string_param(body, "description").map(str::to_owned),
        authorization_id: Some(caller.authorization.id.clone()),
        ..NewTransaction::new(
            &account.id,
            TransactionKind::Request,
            TransactionStatus::Pending,
            Decimal::ZERO,
            &account.currency,
        )
    });
    if let Some(tx) = world.transactions.get_mut(&id) {
        // The requested amount is shown; the balance moves on completion.
        tx.amount = amount;
    }
    let tx = world.transactions.get(&id).ok_or_else(|| ApiError::not_found("Transaction"))?;
    Ok(Reply::created(json(world, tx)))
}

fn pending_request(
    world: &World,
    caller: &Caller,
    account: &str,
    id: &str,
) -> Result<Transaction, ApiError> {
    let tx = find_tx(world, caller, account, id)?;
    if tx.kind != TransactionKind::Request || tx.status != TransactionStatus::Pending {
        return Err(ApiError::validation("Only a pending money request can be changed"));
    }
    Ok(tx.clone())
}

/// `POST .../transactions/:tx/complete`: the requested money arrives.
pub(crate) async fn complete_request(
    api: Api,
    Path((account, id)): Path<(String, String)>,
) -> Response {
    api.call(Some("wallet:transactions:request"), |world, caller| {
        let tx = pending_request(world, caller, &account, &id)?;
        let payer = tx.counterparty.as_deref().and_then(|email| {
            world
                .users
                .values()
                .find(|user| user.email.eq_ignore_ascii_case(email))
                .map(|u| u.id.clone())
        });
        let paid_by_payer = payer.and_then(|payer| {
            let from = world.account_in(&payer, &tx.currency);
            (world.accounts.get(&from)?.balance >= tx.amount).then_some(from)
        });
        match &paid_by_payer {
            Some(from) => world.check_movement(
                &[(from.as_str(), -tx.amount), (tx.account_id.as_str(), tx.amount)],
                &[],
            )?,
            None => world.check_movement(
                &[(tx.account_id.as_str(), tx.amount)],
                &[(tx.currency.as_str(), -tx.amount)],
            )?,
        }
        match paid_by_payer {
            Some(from) => {
                world.post(NewTransaction {
                    counterparty: world.users.get(caller.user_id()).map(|u| u.email.clone()),
                    ..NewTransaction::new(
                        &from,
                        TransactionKind::Request,
                        TransactionStatus::Completed,
                        -tx.amount,
                        &tx.currency,
                    )
                });
            }
            None => world.outside(&tx.currency, -tx.amount),
        }
        let now = world.now();
        if let Some(stored) = world.transactions.get_mut(&tx.id) {
            stored.status = TransactionStatus::Completed;
            stored.updated_at = now;
        }
        if let Some(account) = world.accounts.get_mut(&tx.account_id) {
            // Checked above, with the payer's side.
            account.balance = account.balance.checked_add(tx.amount).unwrap_or(account.balance);
        }
        let tx =
            world.transactions.get(&tx.id).ok_or_else(|| ApiError::not_found("Transaction"))?;
        Ok(Reply::ok(json(world, tx)))
    })
}

/// `POST .../transactions/:tx/resend`: reminds the payer; changes nothing.
pub(crate) async fn resend_request(
    api: Api,
    Path((account, id)): Path<(String, String)>,
) -> Response {
    api.call(Some("wallet:transactions:request"), |world, caller| {
        let tx = pending_request(world, caller, &account, &id)?;
        Ok(Reply::ok(json(world, &tx)))
    })
}

/// `DELETE .../transactions/:tx`: cancels a pending request.
pub(crate) async fn cancel_request(
    api: Api,
    Path((account, id)): Path<(String, String)>,
) -> Response {
    api.call(Some("wallet:transactions:request"), |world, caller| {
        let tx = pending_request(world, caller, &account, &id)?;
        let now = world.now();
        if let Some(stored) = world.transactions.get_mut(&tx.id) {
            stored.status = TransactionStatus::Canceled;
            stored.updated_at = now;
        }
        Ok(Reply::no_content())
    })
}
