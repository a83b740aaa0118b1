//! Buys, sells, deposits and withdrawals: one shape, four routes each.
//! Placing with `"commit": false` leaves the trade `created` until
//! `POST .../commit`; money moves on commit.

use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Api, Caller, find};
use crate::wire::{ApiError, Item, Reply, amount_param, json_body, money, string_param, timestamp};
use crate::world::{
    NewTransaction, Trade, TradeKind, TradeStatus, TransactionStatus, World, convert, is_fiat,
    new_id,
};

fn scopes(kind: TradeKind) -> (&'static str, &'static str) {
    match kind {
        TradeKind::Buy => ("wallet:buys:read", "wallet:buys:create"),
        TradeKind::Sell => ("wallet:sells:read", "wallet:sells:create"),
        TradeKind::Deposit => ("wallet:deposits:read", "wallet:deposits:create"),
        TradeKind::Withdrawal => ("wallet:withdrawals:read", "wallet:withdrawals:create"),
    }
}

fn json(trade: &Trade) -> Value {
    let zero = money(rust_decimal::Decimal::ZERO, &trade.total_currency);
    json!({
        "id": trade.id,
        "status": trade.status,
        "committed": trade.status != TradeStatus::Created,
        "instant": true,
        "payment_method": {
            "id": trade.payment_method_id,
            "resource": "payment_method",
            "resource_path": format!("/v2/payment-methods/{}", trade.payment_method_id),
        },
        "transaction": trade.transaction_id.as_ref().map(|id| json!({
            "id": id,
            "resource": "transaction",
            "resource_path": format!("/v2/accounts/{}/transactions/{id}", trade.account_id),
        })),
        "amount": money(trade.amount, &trade.currency),
        "total": money(trade.total, &trade.total_currency),
        "subtotal": money(trade.total, &trade.total_currency),
        "fee": zero,
        "created_at": timestamp(trade.created_at),
        "updated_at": timestamp(trade.updated_at),
        "payout_at": timestamp(trade.created_at),
        "resource": trade.kind.resource(),
        "resource_path": format!("/v2/accounts/{}/{}/{}", trade.account_id, trade.kind.collection(), trade.id),
    })
}

/// `GET /v2/accounts/:id/{buys,sells,deposits,withdrawals}`
pub(crate) async fn list(kind: TradeKind, api: Api, Path(account): Path<String>) -> Response {
    api.call(Some(scopes(kind).0), |world, caller| {
        let account = find(world, caller, &account)?.id.clone();
        let items = world
            .trades
            .values()
            .filter(|trade| trade.kind == kind && trade.account_id == account)
            .map(|trade| Item { seq: trade.seq, id: trade.id.clone(), json: json(trade) })
            .collect();
        Ok(Reply::page(api.paginate(items)?))
    })
}

fn find_trade<'w>(
    world: &'w World,
    caller: &Caller,
    kind: TradeKind,
    account: &str,
    id: &str,
) -> Result<&'w Trade, ApiError> {
    let account = find(world, caller, account)?;
    world
        .trades
        .get(id)
        .filter(|trade| trade.kind == kind && trade.account_id == account.id)
        .ok_or_else(|| ApiError::not_found(kind.resource()))
}

/// `GET /v2/accounts/:id/{kind}/:trade`
pub(crate) async fn show(
    kind: TradeKind,
    api: Api,
    Path((account, id)): Path<(String, String)>,
) -> Response {
    api.call(Some(scopes(kind).0), |world, caller| {
        Ok(Reply::ok(json(find_trade(world, caller, kind, &account, &id)?)))
    })
}

/// `POST /v2/accounts/:id/{kind}`
pub(crate) async fn create(
    kind: TradeKind,
    api: Api,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    api.call(Some(scopes(kind).1), |world, caller| {
        let body = json_body(&body)?;
        let account = find(world, caller, &account)?.clone();
        let amount = amount_param(&body, "amount")?;
        let currency = string_param(&body, "currency").unwrap_or(&account.currency);
        let method_id = string_param(&body, "payment_method")
            .ok_or_else(|| ApiError::param_required("payment_method"))?;
        let method = world
            .payment_methods
            .get(method_id)
            .filter(|method| method.user_id == caller.user_id())
            .ok_or_else(|| ApiError::not_found("Payment method"))?
            .clone();
        let fiat_account = is_fiat(&account.currency);
        match kind {
            TradeKind::Buy | TradeKind::Sell if fiat_account => {
                return Err(ApiError::validation("Buys and sells use a crypto account"));
            }
            TradeKind::Deposit | TradeKind::Withdrawal
                if !fiat_account || method.account_id.is_some() =>
            {
                return Err(ApiError::validation(
                    "Deposits and withdrawals move fiat between a fiat account and a bank",
                ));
            }
            _ => {}
        }
        let amount = convert(amount, currency, &account.currency)
            .ok_or_else(|| ApiError::validation(format!("Unsupported currency {currency}")))?;
        let total = convert(amount, &account.currency, &method.currency)
            .ok_or_else(|| ApiError::validation("Unsupported payment method currency"))?;
        let now = world.now();
        let seq = world.seq();
        let id = new_id();
        world.trades.insert(
            id.clone(),
            Trade {
                id: id.clone(),
                kind,
                account_id: account.id.clone(),
                payment_method_id: method.id.clone(),
                amount,
                currency: account.currency.clone(),
                total,
                total_currency: method.currency.clone(),
                status: TradeStatus::Created,
                transaction_id: None,
                created_at: now,
                updated_at: now,
                seq,
            },
        );
        let commit = body.get("commit").and_then(Value::as_bool).unwrap_or(true);
        if commit {
            execute(world, &id)?;
        }
        let trade = world.trades.get(&id).ok_or_else(|| ApiError::not_found(kind.resource()))?;
        Ok(Reply::created(json(trade)))
    })
}

/// `POST /v2/accounts/:id/{kind}/:trade/commit`
pub(crate) async fn commit(
    kind: TradeKind,
    api: Api,
    Path((account, id)): Path<(String, String)>,
) -> Response {
    api.call(Some(scopes(kind).1), |world, caller| {
        let trade = find_trade(world, caller, kind, &account, &id)?;
        if trade.status != TradeStatus::Created {
            return Err(ApiError::validation("This was already committed"));
        }
        let id = trade.id.clone();
        execute(world, &id)?;
        let trade = world.trades.get(&id).ok_or_else(|| ApiError::not_found(kind.resource()))?;
        Ok(Reply::ok(json(trade)))
    })
}

/// Moves the money of a trade and marks it completed. Money from or to a
/// bank, and crypto from or to the market, crosses the sandbox's edge.
fn execute(world: &mut World, id: &str) -> Result<(), ApiError> {
    let trade = world.trades.get(id).ok_or_else(|| ApiError::not_found("Trade"))?.clone();
    let method = world
        .payment_methods
        .get(&trade.payment_method_id)
        .ok_or_else(|| ApiError::not_found("Payment method"))?
        .clone();
    let balance = |world: &World, account: &str| {
        world.accounts.get(account).map(|a| a.balance).unwrap_or_default()
    };
    let kind_name = trade.kind.transaction_kind();
    let (account_delta, method_delta) = match trade.kind {
        TradeKind::Buy => (trade.amount, -trade.total),
        TradeKind::Sell => (-trade.amount, trade.total),
        TradeKind::Deposit => (trade.amount, -trade.total),
        TradeKind::Withdrawal => (-trade.amount, trade.total),
    };
    if account_delta.is_sign_negative() && balance(world, &trade.account_id) < -account_delta {
        return Err(ApiError::validation("Insufficient funds"));
    }
    if let Some(wallet) = &method.account_id
        && method_delta.is_sign_negative()
        && balance(world, wallet) < -method_delta
    {
        return Err(ApiError::validation("Insufficient funds in the payment method"));
    }
    let mut legs = vec![(trade.account_id.as_str(), account_delta)];
    let mut outside = vec![(trade.currency.as_str(), -account_delta)];
    if let Some(wallet) = &method.account_id {
        legs.push((wallet.as_str(), method_delta));
        outside.push((trade.total_currency.as_str(), -method_delta));
    }
    world.check_movement(&legs, &outside)?;
    let tx = world.post(NewTransaction::new(
        &trade.account_id,
        kind_name,
        TransactionStatus::Completed,
        account_delta,
        &trade.currency,
    ));
    world.outside(&trade.currency, -account_delta);
    if let Some(wallet) = &method.account_id {
        world.post(NewTransaction::new(
            wallet,
            kind_name,
            TransactionStatus::Completed,
            method_delta,
            &trade.total_currency,
        ));
        world.outside(&trade.total_currency, -method_delta);
    }
    let now = world.now();
    if let Some(stored) = world.trades.get_mut(id) {
        stored.status = TradeStatus::Completed;
        stored.transaction_id = Some(tx);
        stored.updated_at = now;
    }
    Ok(())
}
