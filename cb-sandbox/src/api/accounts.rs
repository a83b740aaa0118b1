//! `/v2/accounts` and the addresses under them.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Api, Caller, find};
use crate::wire::{ApiError, Item, Reply, json_body, money, string_param, timestamp};
use crate::world::{Account, Address, World, is_fiat, new_id};

fn currency_name(code: &str) -> &str {
    match code {
        "USD" => "US Dollar",
        "EUR" => "Euro",
        "GBP" => "British Pound",
        "BTC" => "Bitcoin",
        "ETH" => "Ethereum",
        "LTC" => "Litecoin",
        "USDC" => "USD Coin",
        other => other,
    }
}

pub(crate) fn json(account: &Account) -> Value {
    let fiat = is_fiat(&account.currency);
    json!({
        "id": account.id,
        "name": account.name,
        "primary": account.primary,
        "type": if fiat { "fiat" } else { "wallet" },
        "currency": {
            "code": account.currency,
            "name": currency_name(&account.currency),
            "type": if fiat { "fiat" } else { "crypto" },
            "exponent": if fiat { 2 } else { 8 },
        },
        "balance": money(account.balance, &account.currency),
        "allow_deposits": true,
        "allow_withdrawals": true,
        "created_at": timestamp(account.created_at),
        "updated_at": timestamp(account.updated_at),
        "resource": "account",
        "resource_path": format!("/v2/accounts/{}", account.id),
    })
}

/// `GET /v2/accounts`
pub(crate) async fn list(api: Api) -> Response {
    api.call(Some("wallet:accounts:read"), |world, caller| {
        let items = world
            .accounts
            .values()
            .filter(|account| caller.authorization.can_access(account))
            .map(|account| Item { seq: account.seq, id: account.id.clone(), json: json(account) })
            .collect();
        Ok(Reply::page(api.paginate(items)?))
    })
}

/// `GET /v2/accounts/:id`
pub(crate) async fn show(api: Api, Path(id): Path<String>) -> Response {
    api.call(Some("wallet:accounts:read"), |world, caller| {
        Ok(Reply::ok(json(find(world, caller, &id)?)))
    })
}

/// `POST /v2/accounts`: a new crypto wallet (BTC unless `currency` says).
pub(crate) async fn create(api: Api, body: Bytes) -> Response {
    api.call(Some("wallet:accounts:create"), |world, caller| {
        let body = json_body(&body)?;
        let name = string_param(&body, "name").ok_or_else(|| ApiError::param_required("name"))?;
        let currency = string_param(&body, "currency").unwrap_or("BTC").to_ascii_uppercase();
        if crate::world::usd_price(&currency).is_none() || is_fiat(&currency) {
            return Err(ApiError::validation(format!("Unsupported currency {currency}")));
        }
        let id = world.add_account(caller.user_id(), name, &currency, false);
        // The app that made the wallet may use it.
        if let Some(accounts) = world
            .authorizations
            .get_mut(&caller.authorization.id)
            .and_then(|authorization| authorization.accounts.as_mut())
        {
            accounts.insert(id.clone());
        }
        let account = world.accounts.get(&id).ok_or_else(|| ApiError::not_found("Account"))?;
        Ok(Reply::created(json(account)))
    })
}

/// `PUT /v2/accounts/:id`: renames.
pub(crate) async fn update(api: Api, Path(id): Path<String>, body: Bytes) -> Response {
    api.call(Some("wallet:accounts:update"), |world, caller| {
        let body = json_body(&body)?;
        let name = string_param(&body, "name").ok_or_else(|| ApiError::param_required("name"))?;
        let id = find(world, caller, &id)?.id.clone();
        let now = world.now();
        let account = world.accounts.get_mut(&id).ok_or_else(|| ApiError::not_found("Account"))?;
        account.name = name.to_owned();
        account.updated_at = now;
        Ok(Reply::ok(json(account)))
    })
}

/// `POST /v2/accounts/:id/primary`
pub(crate) async fn set_primary(api: Api, Path(id): Path<String>) -> Response {
    api.call(Some("wallet:accounts:update"), |world, caller| {
        let id = find(world, caller, &id)?.id.clone();
        let user = caller.user_id().to_owned();
        for account in world.accounts.values_mut().filter(|account| account.user_id == user) {
            account.primary = account.id == id;
        }
        let account = world.accounts.get(&id).ok_or_else(|| ApiError::not_found("Account"))?;
        Ok(Reply::ok(json(account)))
    })
}

/// `DELETE /v2/accounts/:id`: only an empty, non-primary account.
pub(crate) async fn remove(api: Api, Path(id): Path<String>) -> Response {
    api.call(Some("wallet:accounts:delete"), |world, caller| {
        let account = find(world, caller, &id)?;
        if account.primary {
            return Err(ApiError::validation("The primary account cannot be deleted"));
        }
        if !account.balance.is_zero() {
            return Err(ApiError::validation("Only an empty account can be deleted"));
        }
        let id = account.id.clone();
        world.accounts.remove(&id);
        Ok(Reply::no_content())
    })
}

fn address_json(address: &Address) -> Value {
    json!({
        "id": address.id,
        "address": address.address,
        "name": address.name,
        "network": address.network,
        "created_at": timestamp(address.created_at),
        "updated_at": timestamp(address.created_at),
        "resource": "address",
        "resource_path": format!("/v2/accounts/{}/addresses/{}", address.account_id, address.id),
    })
}

fn find_address<'w>(
    world: &'w World,
    caller: &Caller,
    account: &str,
    id: &str,
) -> Result<&'w Address, ApiError> {
    let account = find(world, caller, account)?;
    world
        .addresses
        .get(id)
        .filter(|address| address.account_id == account.id)
        .or_else(|| {
            world.addresses.values().find(|a| a.account_id == account.id && a.address == id)
        })
        .ok_or_else(|| ApiError::not_found("Address"))
}

/// `GET /v2/accounts/:id/addresses`
pub(crate) async fn addresses(api: Api, Path(account): Path<String>) -> Response {
    api.call(Some("wallet:addresses:read"), |world, caller| {
        let account = find(world, caller, &account)?.id.clone();
        let items = world
            .addresses
            .values()
            .filter(|address| address.account_id == account)
            .map(|address| Item {
                seq: address.seq,
                id: address.id.clone(),
                json: address_json(address),
            })
            .collect();
        Ok(Reply::page(api.paginate(items)?))
    })
}

/// `GET /v2/accounts/:id/addresses/:address_id`
pub(crate) async fn address(api: Api, Path((account, id)): Path<(String, String)>) -> Response {
    api.call(Some("wallet:addresses:read"), |world, caller| {
        Ok(Reply::ok(address_json(find_address(world, caller, &account, &id)?)))
    })
}

/// `POST /v2/accounts/:id/addresses`
pub(crate) async fn create_address(api: Api, Path(account): Path<String>, body: Bytes) -> Response {
    api.call(Some("wallet:addresses:create"), |world, caller| {
        let body = json_body(&body)?;
        let account = find(world, caller, &account)?;
        if is_fiat(&account.currency) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Fiat accounts have no addresses",
            ));
        }
        let (account_id, network) = (account.id.clone(), account.currency.to_ascii_lowercase());
        let id = new_id();
        let now = world.now();
        let seq = world.seq();
        let address = Address {
            id: id.clone(),
            account_id,
            address: format!("sandbox-{}", id.replace('-', "")),
            name: string_param(&body, "name").map(str::to_owned),
            network,
            created_at: now,
            seq,
        };
        let json = address_json(&address);
        world.addresses.insert(id, address);
        Ok(Reply::created(json))
    })
}

/// `GET /v2/accounts/:id/addresses/:address_id/transactions`
pub(crate) async fn address_transactions(
    api: Api,
    Path((account, id)): Path<(String, String)>,
) -> Response {
    api.call(Some("wallet:transactions:read"), |world, caller| {
        let address = find_address(world, caller, &account, &id)?.clone();
        let items = world
            .transactions
            .values()
            .filter(|tx| tx.account_id == address.account_id)
            .filter(|tx| tx.counterparty.as_deref() == Some(address.address.as_str()))
            .map(|tx| Item {
                seq: tx.seq,
                id: tx.id.clone(),
                json: super::transactions::json(world, tx),
            })
            .collect();
        Ok(Reply::page(api.paginate(items)?))
    })
}
