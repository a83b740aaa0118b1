//! Orders: create, preview, edit, cancel and close (`wallet:buys:create`;
//! closing also opens with `wallet:transactions:read`), and the order
//! history and fills (`wallet:transactions:read`).

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{decimal, page, shown};
use crate::api::{Api, Caller};
use crate::wire::{ApiError, json_body, string_param, timestamp};
use crate::world::market::{
    Liquidity, NewOrder, Order, OrderKind, OrderStatus, Plan, Product, Refusal, Side, decimals,
};
use crate::world::{World, new_id};

const CREATE: &str = "wallet:buys:create";
const HISTORY: &str = "wallet:transactions:read";
const CLOSE: &str = "wallet:buys:create|wallet:transactions:read";

fn order_json(order: &Order, product: Option<&Product>) -> Value {
    let quote_dp = product.map_or(2, |product| decimals(&product.quote));
    let (order_type, time_in_force) = match &order.kind {
        OrderKind::MarketQuote(_) | OrderKind::MarketBase(_) => ("MARKET", "IMMEDIATE_OR_CANCEL"),
        OrderKind::Limit { end_time: None, .. } => ("LIMIT", "GOOD_UNTIL_CANCELLED"),
        OrderKind::Limit { .. } => ("LIMIT", "GOOD_UNTIL_DATE_TIME"),
        OrderKind::StopLimit { end_time: None, .. } => ("STOP_LIMIT", "GOOD_UNTIL_CANCELLED"),
        OrderKind::StopLimit { .. } => ("STOP_LIMIT", "GOOD_UNTIL_DATE_TIME"),
    };
    let trigger = match &order.kind {
        OrderKind::StopLimit { triggered: false, .. } => "STOP_PENDING",
        OrderKind::StopLimit { triggered: true, .. } => "STOP_TRIGGERED",
        _ => "INVALID_ORDER_TYPE",
    };
    let filled = order.status == OrderStatus::Filled;
    let average = order.average_price;
    let after_fees = match order.side {
        Side::Buy => order.filled_value + order.fees,
        Side::Sell => order.filled_value - order.fees,
    };
    json!({
        "order_id": order.id,
        "product_id": order.product_id,
        "user_id": order.user_id,
        "order_configuration": order.configuration,
        "side": order.side,
        "client_order_id": order.client_order_id,
        "status": order.status,
        "time_in_force": time_in_force,
        "created_time": timestamp(order.created_at),
        "completion_percentage": if filled { "100" } else { "0" },
        "filled_size": shown(order.filled_size, 8),
        "average_filled_price": shown(average, quote_dp),
        "number_of_fills": if filled { "1" } else { "0" },
        "filled_value": shown(order.filled_value, quote_dp),
        "pending_cancel": false,
        "size_in_quote": matches!(order.kind, OrderKind::MarketQuote(_)),
        "total_fees": shown(order.fees, quote_dp),
        "size_inclusive_of_fees": false,
        "total_value_after_fees": shown(after_fees, quote_dp),
        "trigger_status": trigger,
        "order_type": order_type,
        "reject_reason": "",
        "settled": filled,
        "product_type": "SPOT",
        "reject_message": "",
        "cancel_message": "",
        "order_placement_source": "RETAIL_ADVANCED",
        "outstanding_hold_amount": shown(order.hold, 8),
        "is_liquidation": false,
        "last_fill_time": if filled { timestamp(order.created_at) } else { Value::Null },
        "edit_history": [],
        "leverage": "",
        "margin_type": "UNKNOWN_MARGIN_TYPE",
        "retail_portfolio_id": order.portfolio_id,
    })
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
}

/// The one configuration of `order_configuration`, read.
fn order_kind(configuration: &Value) -> Result<OrderKind, ApiError> {
    let Some(object) = configuration.as_object().filter(|object| object.len() == 1) else {
        return Err(invalid("order_configuration must hold exactly one configuration"));
    };
    let (name, fields) =
        object.iter().next().ok_or_else(|| invalid("empty order_configuration"))?;
    let need = |field: &str| {
        decimal(fields, field)?.ok_or_else(|| invalid(format!("{name}.{field} is required")))
    };
    let end_time = || -> Result<Option<OffsetDateTime>, ApiError> {
        let text = string_param(fields, "end_time")
            .ok_or_else(|| invalid(format!("{name}.end_time is required")))?;
        OffsetDateTime::parse(text, &Rfc3339)
            .map(Some)
            .map_err(|_| invalid("end_time must be RFC 3339"))
    };
    let post_only = fields.get("post_only").and_then(Value::as_bool).unwrap_or(false);
    let stop_up = || match string_param(fields, "stop_direction") {
        Some("STOP_DIRECTION_STOP_UP") => Ok(true),
        Some("STOP_DIRECTION_STOP_DOWN") => Ok(false),
        _ => Err(invalid(
            "stop_direction must be STOP_DIRECTION_STOP_UP or STOP_DIRECTION_STOP_DOWN",
        )),
    };
    Ok(match name.as_str() {
        "market_market_ioc" => {
            match (decimal(fields, "quote_size")?, decimal(fields, "base_size")?) {
                (Some(quote), None) => OrderKind::MarketQuote(quote),
                (None, Some(base)) => OrderKind::MarketBase(base),
                _ => return Err(invalid("a market order has quote_size or base_size")),
            }
        }
        "limit_limit_gtc" => OrderKind::Limit {
            base_size: need("base_size")?,
            limit_price: need("limit_price")?,
            post_only,
            end_time: None,
        },
        "limit_limit_gtd" => OrderKind::Limit {
            base_size: need("base_size")?,
            limit_price: need("limit_price")?,
            post_only,
            end_time: end_time()?,
        },
        "stop_limit_stop_limit_gtc" | "stop_limit_stop_limit_gtd" => OrderKind::StopLimit {
            base_size: need("base_size")?,
            limit_price: need("limit_price")?,
            stop_price: need("stop_price")?,
            stop_up: stop_up()?,
            end_time: if name.ends_with("gtd") { end_time()? } else { None },
            triggered: false,
        },
        other => return Err(invalid(format!("unsupported order configuration {other}"))),
    })
}

/// What an order request names, checked: the product, the side, the kind,
/// and the user's accounts in the product's two currencies.
struct Request {
    product: Product,
    side: Side,
    kind: OrderKind,
    configuration: Value,
    base_account: String,
    quote_account: String,
}

fn side_of(body: &Value) -> Result<Side, ApiError> {
    match string_param(body, "side") {
        Some("BUY") => Ok(Side::Buy),
        Some("SELL") => Ok(Side::Sell),
        _ => Err(invalid("side must be BUY or SELL")),
    }
}

/// The request's order, or the refusal an unknown product is.
fn request(
    world: &mut World,
    caller: &Caller,
    body: &Value,
) -> Result<Result<Request, Refusal>, ApiError> {
    let product_id =
        string_param(body, "product_id").ok_or_else(|| ApiError::param_required("product_id"))?;
    let side = side_of(body)?;
    let configuration = body.get("order_configuration").cloned().unwrap_or(Value::Null);
    let kind = order_kind(&configuration)?;
    let Some(product) = world.product(product_id) else {
        return Ok(Err(Refusal::InvalidProductId));
    };
    let base_account = world.account_in(caller.user_id(), &product.base);
    let quote_account = world.account_in(caller.user_id(), &product.quote);
    Ok(Ok(Request { product, side, kind, configuration, base_account, quote_account }))
}

/// An OAuth spot order must name the user's portfolio.
fn check_portfolio(world: &mut World, caller: &Caller, body: &Value) -> Result<String, ApiError> {
    let portfolio = world.portfolio_of(caller.user_id());
    match string_param(body, "retail_portfolio_id") {
        None => {
            Err(invalid("retail_portfolio_id is required for orders placed with an OAuth token"))
        }
        Some(given) if given == portfolio => Ok(portfolio),
        Some(_) => Err(invalid("retail_portfolio_id names no portfolio of this user")),
    }
}

fn failure(refusal: Refusal) -> Value {
    let (error, new_order, preview, message) = refusal.wire();
    json!({
        "success": false,
        "failure_reason": "UNKNOWN_FAILURE_REASON",
        "order_id": "",
        "error_response": {
            "error": error,
            "message": message,
            "error_details": message,
            "preview_failure_reason": preview,
            "new_order_failure_reason": new_order,
        },
    })
}

fn success(order: &Order) -> Value {
    json!({
        "success": true,
        "failure_reason": "UNKNOWN_FAILURE_REASON",
        "order_id": order.id,
        "success_response": {
            "order_id": order.id,
            "product_id": order.product_id,
            "side": order.side,
            "client_order_id": order.client_order_id,
        },
        "order_configuration": order.configuration,
    })
}

/// Places an order whose request and plan were checked.
fn place(
    world: &mut World,
    caller: &Caller,
    client_order_id: &str,
    portfolio_id: String,
    request: Request,
    plan: &Plan,
) -> Order {
    let order = NewOrder {
        user_id: caller.user_id().to_owned(),
        client_order_id: client_order_id.to_owned(),
        portfolio_id,
        product_id: request.product.id.clone(),
        side: request.side,
        kind: request.kind,
        configuration: request.configuration,
        base_account: request.base_account,
        quote_account: request.quote_account,
    };
    world.place(order, plan)
}

/// The request's `client_order_id`; or, when this user already placed an
/// order with it, that order's success answer: a retried create answers it
/// again and places nothing.
fn client_order_id(
    world: &World,
    caller: &Caller,
    body: &Value,
) -> Result<Result<String, Value>, ApiError> {
    let id = string_param(body, "client_order_id")
        .ok_or_else(|| ApiError::param_required("client_order_id"))?;
    let placed = world
        .client_orders
        .get(&(caller.user_id().to_owned(), id.to_owned()))
        .and_then(|order| world.orders.get(order));
    Ok(match placed {
        Some(order) => Err(success(order)),
        None => Ok(id.to_owned()),
    })
}

/// `POST /orders`
pub(crate) async fn create(api: Api, body: Bytes) -> Response {
    api.call_v3(CREATE, |world, caller| {
        let body = json_body(&body)?;
        let client_order_id = match client_order_id(world, caller, &body)? {
            Ok(id) => id,
            Err(answered) => return Ok(answered),
        };
        let portfolio = check_portfolio(world, caller, &body)?;
        let request = match request(world, caller, &body)? {
            Ok(request) => request,
            Err(refusal) => return Ok(failure(refusal)),
        };
        let plan = match world.plan(
            &request.product,
            request.side,
            &request.kind,
            &request.base_account,
            &request.quote_account,
        ) {
            Ok(plan) => plan,
            Err(refusal) => return Ok(failure(refusal)),
        };
        Ok(success(&place(world, caller, &client_order_id, portfolio, request, &plan)))
    })
}

/// `POST /orders/preview`
pub(crate) async fn preview(api: Api, body: Bytes) -> Response {
    api.call_v3(CREATE, |world, caller| {
        let body = json_body(&body)?;
        let request = request(world, caller, &body)?;
        let (product, plan) = match request {
            Ok(request) => {
                let plan = world.plan(
                    &request.product,
                    request.side,
                    &request.kind,
                    &request.base_account,
                    &request.quote_account,
                );
                (Some(request.product), plan)
            }
            Err(refusal) => (None, Err(refusal)),
        };
        let quote_dp = product.as_ref().map_or(2, |product| decimals(&product.quote));
        let (errs, total, fee, base, quote) = match &plan {
            Ok(plan) => {
                let base = plan.fill.map_or(Decimal::ZERO, |(_, size)| size);
                (Vec::new(), plan.total, plan.fee, base, plan.total)
            }
            Err(refusal) => {
                (vec![refusal.wire().2], Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
            }
        };
        Ok(json!({
            "preview_id": new_id(),
            "order_total": shown(total, quote_dp),
            "commission_total": shown(fee, quote_dp),
            "errs": errs,
            "warning": [],
            "quote_size": shown(quote, quote_dp),
            "base_size": shown(base, 8),
            "best_bid": product.as_ref().map(|p| shown(p.bid(), quote_dp)),
            "best_ask": product.as_ref().map(|p| shown(p.ask(), quote_dp)),
            "is_max": false,
            "slippage": "0",
        }))
    })
}

/// An edit that can be made: the order, its new kind and its plan; or why
/// not, as `edit_failure_reason` and the market's refusal.
type EditPlan = Result<(Order, OrderKind, Plan), (&'static str, Option<Refusal>)>;

/// The caller's open limit order `id`, and what an edit to `price` and
/// `size` would hold, or why it cannot be made.
fn edit_plan(world: &mut World, caller: &Caller, body: &Value) -> Result<EditPlan, ApiError> {
    let id = string_param(body, "order_id").ok_or_else(|| ApiError::param_required("order_id"))?;
    let price = decimal(body, "price")?.ok_or_else(|| ApiError::param_required("price"))?;
    let size = decimal(body, "size")?.ok_or_else(|| ApiError::param_required("size"))?;
    let Some(order) =
        world.orders.get(id).filter(|order| order.user_id == caller.user_id()).cloned()
    else {
        return Ok(Err(("ORDER_NOT_FOUND", None)));
    };
    let kind = match (&order.kind, order.status) {
        (OrderKind::Limit { post_only, end_time: None, .. }, OrderStatus::Open) => {
            OrderKind::Limit {
                base_size: size,
                limit_price: price,
                post_only: *post_only,
                end_time: None,
            }
        }
        (OrderKind::Limit { .. }, OrderStatus::Open) => {
            return Ok(Err(("INVALID_EDITED_ORDER_TYPE", None)));
        }
        (_, OrderStatus::Open) => return Ok(Err(("INVALID_EDITED_ORDER_TYPE", None))),
        _ => return Ok(Err(("ORDER_NOT_OPEN", None))),
    };
    let Some(product) = world.product(&order.product_id) else {
        return Ok(Err(("ORDER_NOT_FOUND", None)));
    };
    // The order's own hold is free for the edit to take again.
    let held =
        world.orders.get_mut(id).map(|order| std::mem::take(&mut order.hold)).unwrap_or_default();
    let plan = world.plan(&product, order.side, &kind, &order.base_account, &order.quote_account);
    if let Some(order) = world.orders.get_mut(id) {
        order.hold = held;
    }
    Ok(match plan {
        Ok(plan) => Ok((order, kind, plan)),
        Err(refusal) => Err(("UNKNOWN_EDIT_ORDER_FAILURE_REASON", Some(refusal))),
    })
}

fn edit_errors(reason: &str, refusal: Option<Refusal>) -> Value {
    json!([{
        "edit_failure_reason": reason,
        "preview_failure_reason": refusal.map_or("UNKNOWN_PREVIEW_FAILURE_REASON", |refusal| refusal.wire().2),
    }])
}

/// `POST /orders/edit`: a resting good-till-cancelled limit order takes a
/// new price and size; one that now crosses the book fills at once.
pub(crate) async fn edit(api: Api, body: Bytes) -> Response {
    api.call_v3(CREATE, |world, caller| {
        let body = json_body(&body)?;
        match edit_plan(world, caller, &body)? {
            Ok((order, kind, plan)) => {
                if let Some(stored) = world.orders.get_mut(&order.id) {
                    stored.kind = kind;
                    stored.hold = plan.hold;
                }
                if let Some((price, size)) = plan.fill {
                    world.fill(&order.id, price, size, Liquidity::Taker);
                }
                Ok(json!({ "success": true, "errors": [] }))
            }
            Err((reason, refusal)) => {
                Ok(json!({ "success": false, "errors": edit_errors(reason, refusal) }))
            }
        }
    })
}

/// `POST /orders/edit_preview`
pub(crate) async fn edit_preview(api: Api, body: Bytes) -> Response {
    api.call_v3(CREATE, |world, caller| {
        let body = json_body(&body)?;
        match edit_plan(world, caller, &body)? {
            Ok((order, _, plan)) => {
                let quote_dp = world.product(&order.product_id).map_or(2, |p| decimals(&p.quote));
                Ok(json!({
                    "errors": [],
                    "slippage": "0",
                    "order_total": shown(plan.total, quote_dp),
                    "commission_total": shown(plan.fee, quote_dp),
                    "quote_size": shown(plan.total, quote_dp),
                    "base_size": body.get("size").cloned().unwrap_or(Value::Null),
                    "best_bid": world.product(&order.product_id).map(|p| shown(p.bid(), quote_dp)),
                    "best_ask": world.product(&order.product_id).map(|p| shown(p.ask(), quote_dp)),
                    "average_filled_price": "0",
                }))
            }
            Err((reason, refusal)) => Ok(json!({ "errors": edit_errors(reason, refusal) })),
        }
    })
}

/// `POST /orders/batch_cancel`
pub(crate) async fn batch_cancel(api: Api, body: Bytes) -> Response {
    api.call_v3(CREATE, |world, caller| {
        let body = json_body(&body)?;
        let ids: Vec<String> = body
            .get("order_ids")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::param_required("order_ids"))?
            .iter()
            .map(|id| id.as_str().unwrap_or_default().to_owned())
            .collect();
        let results: Vec<Value> = ids
            .into_iter()
            .map(|id| {
                let order =
                    world.orders.get_mut(&id).filter(|order| order.user_id == caller.user_id());
                let (success, reason) = match order {
                    None => (false, "INVALID_CANCEL_REQUEST"),
                    Some(order) if order.status != OrderStatus::Open => {
                        (false, "DUPLICATE_CANCEL_REQUEST")
                    }
                    Some(order) => {
                        order.status = OrderStatus::Cancelled;
                        order.hold = Decimal::ZERO;
                        (true, "UNKNOWN_CANCEL_FAILURE_REASON")
                    }
                };
                json!({ "success": success, "failure_reason": reason, "order_id": id })
            })
            .collect();
        Ok(json!({ "results": results }))
    })
}

/// `POST /orders/close_position`: the sandbox has no derivatives, so a
/// position is what the user holds of the product's base, and closing sells
/// `size` of it (all of it without `size`) at the market.
pub(crate) async fn close_position(api: Api, body: Bytes) -> Response {
    api.call_v3(CLOSE, |world, caller| {
        let body = json_body(&body)?;
        let client_order_id = match client_order_id(world, caller, &body)? {
            Ok(id) => id,
            Err(answered) => return Ok(answered),
        };
        let product_id = string_param(&body, "product_id")
            .ok_or_else(|| ApiError::param_required("product_id"))?;
        let Some(product) = world.product(product_id) else {
            return Ok(failure(Refusal::InvalidProductId));
        };
        let base_account = world.account_in(caller.user_id(), &product.base);
        let quote_account = world.account_in(caller.user_id(), &product.quote);
        let size = match decimal(&body, "size")? {
            Some(size) => size,
            None => world.available(&base_account),
        };
        let kind = OrderKind::MarketBase(size);
        let configuration = json!({ "market_market_ioc": { "base_size": shown(size, 8) } });
        let plan = match world.plan(&product, Side::Sell, &kind, &base_account, &quote_account) {
            Ok(plan) => plan,
            Err(refusal) => return Ok(failure(refusal)),
        };
        let portfolio = world.portfolio_of(caller.user_id());
        let request =
            Request { product, side: Side::Sell, kind, configuration, base_account, quote_account };
        Ok(success(&place(world, caller, &client_order_id, portfolio, request, &plan)))
    })
}

/// The caller's orders, newest first, as the query filters them.
fn history(world: &mut World, caller: &Caller, api: &Api) -> Result<Vec<Value>, ApiError> {
    let products: Vec<&str> = api.query.all("product_ids").collect();
    let statuses: Vec<&str> = api.query.all("order_status").collect();
    let ids: Vec<&str> = api.query.all("order_ids").collect();
    let mut orders: Vec<Order> = world
        .orders
        .values()
        .filter(|order| order.user_id == caller.user_id())
        .filter(|order| products.is_empty() || products.contains(&order.product_id.as_str()))
        .filter(|order| statuses.is_empty() || statuses.contains(&<&str>::from(order.status)))
        .filter(|order| ids.is_empty() || ids.contains(&order.id.as_str()))
        .cloned()
        .collect();
    orders.sort_by_key(|order| std::cmp::Reverse(order.seq));
    Ok(orders
        .iter()
        .map(|order| order_json(order, world.product(&order.product_id).as_ref()))
        .collect())
}

/// `GET /orders/historical/batch`
pub(crate) async fn list(api: Api) -> Response {
    api.call_v3(HISTORY, |world, caller| {
        let items = history(world, caller, &api)?;
        let (orders, has_next, cursor) = page(&api.query, items, 100, 1000)?;
        Ok(json!({ "orders": orders, "sequence": "0", "has_next": has_next, "cursor": cursor }))
    })
}

/// `GET /orders/historical/:order_id`
pub(crate) async fn show(api: Api, Path(id): Path<String>) -> Response {
    api.call_v3(HISTORY, |world, caller| {
        let order = world
            .orders
            .get(&id)
            .filter(|order| order.user_id == caller.user_id())
            .cloned()
            .ok_or_else(|| ApiError::not_found("Order"))?;
        Ok(json!({ "order": order_json(&order, world.product(&order.product_id).as_ref()) }))
    })
}

/// `GET /orders/historical/fills`
pub(crate) async fn fills(api: Api) -> Response {
    api.call_v3(HISTORY, |world, caller| {
        let orders: Vec<&str> = api.query.all("order_ids").collect();
        let products: Vec<&str> = api.query.all("product_ids").collect();
        let items: Vec<Value> = world
            .fills
            .iter()
            .rev()
            .filter(|fill| fill.user_id == caller.user_id())
            .filter(|fill| orders.is_empty() || orders.contains(&fill.order_id.as_str()))
            .filter(|fill| products.is_empty() || products.contains(&fill.product_id.as_str()))
            .map(|fill| {
                let quote = fill.product_id.rsplit('-').next().unwrap_or("USD");
                json!({
                    "entry_id": fill.entry_id,
                    "trade_id": fill.trade_id,
                    "order_id": fill.order_id,
                    "trade_time": timestamp(fill.time),
                    "trade_type": "FILL",
                    "price": shown(fill.price, decimals(quote)),
                    "size": shown(fill.size, 8),
                    "commission": shown(fill.commission, decimals(quote)),
                    "product_id": fill.product_id,
                    "sequence_timestamp": timestamp(fill.time),
                    "liquidity_indicator": fill.liquidity,
                    "size_in_quote": false,
                    "user_id": fill.user_id,
                    "side": fill.side,
                    "retail_portfolio_id": world.portfolios.get(&fill.user_id),
                })
            })
            .collect();
        let (fills, _, cursor) = page(&api.query, items, 100, 1000)?;
        Ok(json!({ "fills": fills, "cursor": cursor }))
    })
}
