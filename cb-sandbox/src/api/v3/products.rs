//! Products and their market data: `wallet:user:read` for every route.

use axum::extract::Path;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::shown;
use crate::api::Api;
use crate::wire::{ApiError, timestamp};
use crate::world::World;
use crate::world::market::{Product, decimals};

const SCOPE: &str = "wallet:user:read";

pub(crate) fn product_json(product: &Product) -> Value {
    let quote_dp = decimals(&product.quote);
    let first = product.history.first().map_or(product.price, |(_, price)| *price);
    let change = if first.is_zero() {
        Decimal::ZERO
    } else {
        ((product.price - first) / first * Decimal::ONE_HUNDRED).round_dp(2)
    };
    json!({
        "product_id": product.id,
        "price": shown(product.price, quote_dp),
        "price_percentage_change_24h": change.to_string(),
        "volume_24h": "0",
        "volume_percentage_change_24h": "0",
        "base_increment": "0.00000001",
        "quote_increment": shown(product.tick(), quote_dp),
        "quote_min_size": shown(product.tick(), quote_dp),
        "quote_max_size": "10000000",
        "base_min_size": "0.00000001",
        "base_max_size": "100000",
        "base_name": product.base,
        "quote_name": product.quote,
        "watched": false,
        "is_disabled": false,
        "new": false,
        "status": "online",
        "cancel_only": false,
        "limit_only": false,
        "post_only": false,
        "trading_disabled": false,
        "auction_mode": false,
        "product_type": "SPOT",
        "quote_currency_id": product.quote,
        "base_currency_id": product.base,
        "mid_market_price": shown(product.price, quote_dp),
        "alias": "",
        "alias_to": [],
        "base_display_symbol": product.base,
        "quote_display_symbol": product.quote,
        "view_only": false,
        "price_increment": shown(product.tick(), quote_dp),
        "display_name": format!("{}-{}", product.base, product.quote),
        "product_venue": "CBE",
    })
}

fn find(world: &mut World, id: &str) -> Result<Product, ApiError> {
    world.product(id).ok_or_else(|| ApiError::not_found("Product"))
}

/// Five levels a side around the price, one of the base each.
fn book(product: &Product, levels: usize, now: OffsetDateTime) -> Value {
    let quote_dp = decimals(&product.quote);
    let level = |price: Decimal| json!({ "price": shown(price, quote_dp), "size": "1.00000000" });
    let steps = (0..levels).map(|k| product.tick() * Decimal::from(k as u64));
    let bids: Vec<Value> = steps.clone().map(|step| level(product.bid() - step)).collect();
    let asks: Vec<Value> = steps.map(|step| level(product.ask() + step)).collect();
    json!({ "product_id": product.id, "bids": bids, "asks": asks, "time": timestamp(now) })
}

/// `GET /products`
pub(crate) async fn list(api: Api) -> Response {
    api.call_v3(SCOPE, |world, _| {
        let wanted: Vec<&str> = api.query.all("product_ids").collect();
        let products: Vec<Value> = world
            .products()
            .iter()
            .filter(|product| wanted.is_empty() || wanted.contains(&product.id.as_str()))
            .map(product_json)
            .collect();
        Ok(json!({ "num_products": products.len(), "products": products }))
    })
}

/// `GET /products/:product_id`: the product itself, unwrapped.
pub(crate) async fn show(api: Api, Path(id): Path<String>) -> Response {
    api.call_v3(SCOPE, |world, _| Ok(product_json(&find(world, &id)?)))
}

/// `GET /best_bid_ask`
pub(crate) async fn best_bid_ask(api: Api) -> Response {
    api.call_v3(SCOPE, |world, _| {
        let now = world.now();
        let wanted: Vec<&str> = api.query.all("product_ids").collect();
        let books: Vec<Value> = world
            .products()
            .iter()
            .filter(|product| wanted.is_empty() || wanted.contains(&product.id.as_str()))
            .map(|product| book(product, 1, now))
            .collect();
        Ok(json!({ "pricebooks": books }))
    })
}

/// `GET /product_book`
pub(crate) async fn product_book(api: Api) -> Response {
    api.call_v3(SCOPE, |world, _| {
        let id = api
            .query
            .one("product_id")
            .map_err(ApiError::validation)?
            .ok_or_else(|| ApiError::param_required("product_id"))?;
        let product = find(world, id)?;
        let levels = match api.query.one("limit").map_err(ApiError::validation)? {
            None => 5,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=50).contains(n))
                .ok_or_else(|| ApiError::validation("limit must be between 1 and 50"))?,
        };
        let quote_dp = decimals(&product.quote);
        let spread = product.ask() - product.bid();
        Ok(json!({
            "pricebook": book(&product, levels, world.now()),
            "last": shown(product.price, quote_dp),
            "mid_market": shown(product.price, quote_dp),
            "spread_bps": (spread / product.price * Decimal::from(10_000)).round_dp(4).to_string(),
            "spread_absolute": shown(spread, quote_dp),
        }))
    })
}

/// The candle widths Coinbase names, in seconds.
fn granularity(name: &str) -> Option<i64> {
    Some(match name {
        "ONE_MINUTE" => 60,
        "FIVE_MINUTE" => 300,
        "FIFTEEN_MINUTE" => 900,
        "THIRTY_MINUTE" => 1_800,
        "ONE_HOUR" => 3_600,
        "TWO_HOUR" => 7_200,
        "SIX_HOUR" => 21_600,
        "ONE_DAY" => 86_400,
        _ => return None,
    })
}

/// `GET /products/:product_id/candles`: from the price's history, newest
/// first, at most 350.
pub(crate) async fn candles(api: Api, Path(id): Path<String>) -> Response {
    api.call_v3(SCOPE, |world, _| {
        let product = find(world, &id)?;
        let param = |name| -> Result<&str, ApiError> {
            api.query
                .one(name)
                .map_err(ApiError::validation)?
                .ok_or_else(|| ApiError::param_required(name))
        };
        let unix = |name| -> Result<i64, ApiError> {
            param(name)?
                .parse::<i64>()
                .map_err(|_| ApiError::validation(format!("{name} must be UNIX seconds")))
        };
        let (start, end) = (unix("start")?, unix("end")?);
        let width = granularity(param("granularity")?)
            .ok_or_else(|| ApiError::validation("Unknown granularity"))?;
        if end <= start || (end - start) / width > 350 {
            return Err(ApiError::validation("start and end span 1 to 350 candles"));
        }
        let quote_dp = decimals(&product.quote);
        let price_at = |at: i64| {
            product
                .history
                .iter()
                .take_while(|(when, _)| when.unix_timestamp() <= at)
                .last()
                .or(product.history.first())
                .map_or(product.price, |(_, price)| *price)
        };
        let mut candles = Vec::new();
        let mut bucket = start - start.rem_euclid(width);
        while bucket < end {
            let open = price_at(bucket);
            let inside: Vec<Decimal> = product
                .history
                .iter()
                .filter(|(when, _)| (bucket..bucket + width).contains(&when.unix_timestamp()))
                .map(|(_, price)| *price)
                .collect();
            let close = inside.last().copied().unwrap_or(open);
            let high = inside.iter().copied().fold(open, Decimal::max);
            let low = inside.iter().copied().fold(open, Decimal::min);
            let volume: Decimal = world
                .fills
                .iter()
                .filter(|fill| {
                    fill.product_id == id
                        && (bucket..bucket + width).contains(&fill.time.unix_timestamp())
                })
                .map(|fill| fill.size)
                .sum();
            candles.push(json!({
                "start": bucket.to_string(),
                "low": shown(low, quote_dp),
                "high": shown(high, quote_dp),
                "open": shown(open, quote_dp),
                "close": shown(close, quote_dp),
                "volume": shown(volume, 8),
            }));
            bucket += width;
        }
        candles.reverse();
        Ok(json!({ "candles": candles }))
    })
}

/// `GET /products/:product_id/ticker`: the latest trades, newest first.
pub(crate) async fn ticker(api: Api, Path(id): Path<String>) -> Response {
    api.call_v3(SCOPE, |world, _| {
        let product = find(world, &id)?;
        let limit = match api.query.one("limit").map_err(ApiError::validation)? {
            None => 100,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| ApiError::validation("limit must be between 1 and 1000"))?,
        };
        let quote_dp = decimals(&product.quote);
        let trades: Vec<Value> = world
            .fills
            .iter()
            .rev()
            .filter(|fill| fill.product_id == id)
            .take(limit)
            .map(|fill| {
                json!({
                    "trade_id": fill.trade_id,
                    "product_id": fill.product_id,
                    "price": shown(fill.price, quote_dp),
                    "size": shown(fill.size, 8),
                    "time": timestamp(fill.time),
                    "side": fill.side,
                    "bid": "",
                    "ask": "",
                })
            })
            .collect();
        Ok(json!({
            "trades": trades,
            "best_bid": shown(product.bid(), quote_dp),
            "best_ask": shown(product.ask(), quote_dp),
        }))
    })
}
