//! Advanced Trade: orders, fills, brokerage accounts, portfolios, the fee
//! summary, and products with their market data
//! (`/api/v3/brokerage/...`). Each endpoint needs the scope Coinbase's
//! "Advanced Trade Scope & Permissions" table gives it; see
//! `docs/advanced-trade.md`.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::api::cursor_list::{CursorList, CursorPage};
use crate::api::models::AccountId;
use crate::api::models::advanced_trade::{
    BrokerageAccount, BrokerageOrder, CancelResult, Candle, EditPreview, Fill, Granularity,
    OrderId, OrderPreview, OrderStatus, PlacedOrder, Portfolio, PortfolioBreakdown, PortfolioId,
    PriceBook, Product, ProductBook, ProductId, Ticker, TransactionSummary,
};
use crate::api::orders::{ClosePosition, NewOrder};
use crate::api::request::ApiRequest;
use crate::api::transport::read_json;
use crate::error::{Error, OrderRefusal};

/// An order call's answer: `success`, and the order or why not.
#[derive(Deserialize)]
struct OrderAnswer {
    success: bool,
    #[serde(default)]
    success_response: Option<PlacedOrder>,
    #[serde(default)]
    error_response: Option<OrderFailure>,
}

/// Advanced Trade's `error_response`.
#[derive(Deserialize, Default)]
struct OrderFailure {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_details: Option<String>,
    #[serde(default)]
    preview_failure_reason: Option<String>,
    #[serde(default)]
    new_order_failure_reason: Option<String>,
}

/// A placed order, or the refusal a `success: false` answer is.
fn read_placed(body: &[u8]) -> Result<PlacedOrder, Error> {
    let answer: OrderAnswer = read_json(body)?;
    match (answer.success, answer.success_response) {
        (true, Some(placed)) => Ok(placed),
        (true, None) => Err(Error::invalid_response("a placed order without its success_response")),
        (false, _) => {
            let failure = answer.error_response.unwrap_or_default();
            let message = failure.message.or(failure.error_details).unwrap_or_default();
            Err(Error::OrderRefused(OrderRefusal::from_codes(
                [
                    failure.new_order_failure_reason.as_deref(),
                    failure.preview_failure_reason.as_deref(),
                    failure.error.as_deref(),
                ],
                message,
            )))
        }
    }
}

/// A preview, or the refusal its `errs` are.
fn read_preview(body: &[u8]) -> Result<OrderPreview, Error> {
    #[derive(Deserialize)]
    struct Errs {
        #[serde(default)]
        errs: Vec<String>,
    }
    let Errs { errs } = read_json(body)?;
    if !errs.is_empty() {
        let codes = errs.iter().map(|code| Some(code.as_str()));
        return Err(Error::OrderRefused(OrderRefusal::from_codes(codes, String::new())));
    }
    read_json(body)
}

/// An edit's `errors`, as a refusal.
#[derive(Deserialize, Default)]
struct EditError {
    #[serde(default)]
    edit_failure_reason: Option<String>,
    #[serde(default)]
    preview_failure_reason: Option<String>,
}

fn edit_refusal(errors: &[EditError]) -> Option<Error> {
    let codes: Vec<Option<&str>> = errors
        .iter()
        .flat_map(|e| [e.preview_failure_reason.as_deref(), e.edit_failure_reason.as_deref()])
        .collect();
    let refusal = OrderRefusal::from_codes(codes, String::new());
    (!errors.is_empty()).then_some(Error::OrderRefused(refusal))
}

fn read_edit(body: &[u8]) -> Result<(), Error> {
    #[derive(Deserialize)]
    struct Answer {
        success: bool,
        #[serde(default)]
        errors: Vec<EditError>,
    }
    let answer: Answer = read_json(body)?;
    match (answer.success, edit_refusal(&answer.errors)) {
        (true, _) => Ok(()),
        (false, Some(refusal)) => Err(refusal),
        (false, None) => Err(Error::OrderRefused(OrderRefusal::from_codes([], String::new()))),
    }
}

fn read_edit_preview(body: &[u8]) -> Result<EditPreview, Error> {
    #[derive(Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<EditError>,
    }
    let Errors { errors } = read_json(body)?;
    match edit_refusal(&errors) {
        Some(refusal) => Err(refusal),
        None => read_json(body),
    }
}

/// A v3 list page: its items under `field`, `has_next` and `cursor`.
macro_rules! cursor_page {
    ($name:ident, $field:ident, $item:ty) => {
        fn $name(body: &[u8]) -> Result<CursorPage<$item>, Error> {
            #[derive(Deserialize)]
            struct Page {
                $field: Vec<$item>,
                #[serde(default)]
                has_next: Option<bool>,
                #[serde(default)]
                cursor: Option<String>,
            }
            let page: Page = read_json(body)?;
            // Fills say no `has_next`: an empty cursor ends them.
            let cursor =
                page.cursor.filter(|cursor| !cursor.is_empty() && page.has_next != Some(false));
            Ok((page.$field, cursor))
        }
    };
}

cursor_page!(read_orders, orders, BrokerageOrder);
cursor_page!(read_fills, fills, Fill);
cursor_page!(read_accounts, accounts, BrokerageAccount);

/// One field of an answer, typed.
macro_rules! field {
    ($name:ident, $field:ident, $item:ty) => {
        fn $name(body: &[u8]) -> Result<$item, Error> {
            #[derive(Deserialize)]
            struct Answer {
                $field: $item,
            }
            read_json::<Answer>(body).map(|answer| answer.$field)
        }
    };
}

field!(read_order, order, BrokerageOrder);
field!(read_account, account, BrokerageAccount);
field!(read_portfolios, portfolios, Vec<Portfolio>);
field!(read_breakdown, breakdown, PortfolioBreakdown);
field!(read_products, products, Vec<Product>);
field!(read_pricebooks, pricebooks, Vec<PriceBook>);
field!(read_candles, candles, Vec<Candle>);
field!(read_results, results, Vec<CancelResult>);

/// The user's default portfolio, or the first, from the portfolio list.
fn read_trading_portfolio(body: &[u8]) -> Result<Portfolio, Error> {
    let portfolios = read_portfolios(body)?;
    let live = || portfolios.iter().filter(|p| !p.deleted);
    live()
        .find(|p| p.kind == "DEFAULT")
        .or_else(|| live().next())
        .cloned()
        .ok_or_else(|| Error::invalid_response("the user has no portfolio"))
}

endpoints! {
    /// Places an order. The order carries its portfolio and its `client_order_id`; the client
    /// retries a create that got no answer with the same id, which Coinbase answers with the order
    /// placed the first time. A refused order is [`Error::OrderRefused`], never an `Ok`.
    #[endpoint(POST "/api/v3/brokerage/orders", wallet:buys:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// # let portfolio = PortfolioId::from("7d0f4a1e-6f4b-4c35-9c0e-8a0b6d2a4f11");
    /// // The portfolio is `client.trading_portfolio().await?.uuid`, with `wallet:accounts:read`.
    /// let buy = NewOrder::buy("BTC-USD", OrderConfiguration::MarketQuote { quote_size: Decimal::new(2500, 2) }, &portfolio);
    /// let placed = client.create_order(buy).await?;
    /// println!("{}", placed.order_id);
    pub fn create_order(&self, order: NewOrder) -> ApiRequest<PlacedOrder> {
        let mut call = ENDPOINT.at([]).body(order.body());
        call.idempotent = true;
        self.fetch_as(call, read_placed)
    }

    /// What an order would cost and fill, without placing it; a refusal is
    /// [`Error::OrderRefused`].
    #[endpoint(POST "/api/v3/brokerage/orders/preview", wallet:buys:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// # let portfolio = PortfolioId::from("p");
    /// let buy = NewOrder::buy("BTC-USD", OrderConfiguration::MarketBase { base_size: Decimal::new(1, 3) }, &portfolio);
    /// let preview = client.preview_order(&buy).await?;
    /// println!("{} with {} in fees", preview.order_total, preview.commission_total);
    pub fn preview_order(&self, order: &NewOrder) -> ApiRequest<OrderPreview> {
        let mut call = ENDPOINT.at([]).body(order.preview_body());
        call.idempotent = true;
        self.fetch_as(call, read_preview)
    }

    /// Changes a resting limit order's price and size.
    #[endpoint(POST "/api/v3/brokerage/orders/edit", wallet:buys:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// client.edit_order(&"0a7b3c5e-1f2d-4e6a-8b9c-0d1e2f3a4b5c".into(), Decimal::new(51_000, 0), Decimal::new(1, 3)).await?;
    pub fn edit_order(&self, id: &OrderId, price: Decimal, size: Decimal) -> ApiRequest<()> {
        let body = json!({ "order_id": id, "price": price.to_string(), "size": size.to_string() });
        // Setting absolute values twice is setting them once.
        let mut call = ENDPOINT.at([]).body(body);
        call.idempotent = true;
        self.fetch_as(call, read_edit)
    }

    /// What an edit would cost, without making it.
    #[endpoint(POST "/api/v3/brokerage/orders/edit_preview", wallet:buys:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let preview = client.preview_edit_order(&"0a7b3c5e-1f2d-4e6a-8b9c-0d1e2f3a4b5c".into(), Decimal::new(51_000, 0), Decimal::new(1, 3)).await?;
    /// println!("{}", preview.order_total);
    pub fn preview_edit_order(&self, id: &OrderId, price: Decimal, size: Decimal) -> ApiRequest<EditPreview> {
        let body = json!({ "order_id": id, "price": price.to_string(), "size": size.to_string() });
        let mut call = ENDPOINT.at([]).body(body);
        call.idempotent = true;
        self.fetch_as(call, read_edit_preview)
    }

    /// Cancels orders; each result says whether its order was cancelled.
    #[endpoint(POST "/api/v3/brokerage/orders/batch_cancel", wallet:buys:create)]
    #[example]
    /// let results = client.cancel_orders(&["0a7b3c5e-1f2d-4e6a-8b9c-0d1e2f3a4b5c".into()]).await?;
    /// println!("{}", results[0].success);
    pub fn cancel_orders(&self, ids: &[OrderId]) -> ApiRequest<Vec<CancelResult>> {
        // A cancel repeated cancels nothing more.
        let mut call = ENDPOINT.at([]).body(json!({ "order_ids": ids }));
        call.idempotent = true;
        self.fetch_as(call, read_results)
    }

    /// Closes a position at the market. Coinbase's table accepts either scope for this route, so
    /// the bound is a choice: a set with `wallet:buys:create` or with `wallet:transactions:read`
    /// may call it.
    #[endpoint(POST "/api/v3/brokerage/orders/close_position", any(wallet:buys:create, wallet:transactions:read))]
    #[example]
    /// let placed = client.close_position(ClosePosition::new("BTC-USD")).await?;
    /// println!("{}", placed.order_id);
    pub fn close_position(&self, close: ClosePosition) -> ApiRequest<PlacedOrder> {
        let mut call = ENDPOINT.at([]).body(close.body());
        call.idempotent = true;
        self.fetch_as(call, read_placed)
    }

    /// The user's orders, newest first; filter with
    /// [`product`](CursorList::product) and [`status`](CursorList::status).
    #[endpoint(GET "/api/v3/brokerage/orders/historical/batch", wallet:transactions:read)]
    #[example]
    /// let open = client.orders().status(OrderStatus::Open).all().await?;
    /// println!("{} open orders", open.len());
    pub fn orders(&self) -> CursorList<BrokerageOrder> {
        self.cursor_list(ENDPOINT.at([]), read_orders)
    }

    /// One order.
    #[endpoint(GET "/api/v3/brokerage/orders/historical/:order_id", wallet:transactions:read)]
    #[example]
    /// let order = client.order(&"0a7b3c5e-1f2d-4e6a-8b9c-0d1e2f3a4b5c".into()).await?;
    /// println!("{}", order.status);
    pub fn order(&self, id: &OrderId) -> ApiRequest<BrokerageOrder> {
        self.fetch_as(ENDPOINT.at([id.as_str()]), read_order)
    }

    /// The user's fills, newest first; filter with [`order`](CursorList::order) and
    /// [`product`](CursorList::product).
    #[endpoint(GET "/api/v3/brokerage/orders/historical/fills", wallet:transactions:read)]
    #[example]
    /// for fill in client.fills().all().await? {
    ///     println!("{} at {} (fee {})", fill.size, fill.price, fill.commission);
    /// }
    pub fn fills(&self) -> CursorList<Fill> {
        self.cursor_list(ENDPOINT.at([]), read_fills)
    }

    /// The user's accounts as Advanced Trade sees them: available and held.
    #[endpoint(GET "/api/v3/brokerage/accounts", wallet:accounts:read)]
    #[example]
    /// for account in client.brokerage_accounts().all().await? {
    ///     println!("{}: {}", account.currency, account.available_balance);
    /// }
    pub fn brokerage_accounts(&self) -> CursorList<BrokerageAccount> {
        self.cursor_list(ENDPOINT.at([]), read_accounts)
    }

    /// One account as Advanced Trade sees it.
    #[endpoint(GET "/api/v3/brokerage/accounts/:account_uuid", wallet:accounts:read)]
    #[example]
    /// let account = client.brokerage_account(&"2bbf394c-193b-5b2a-9155-3b4732659ede".into()).await?;
    /// println!("{}", account.available_balance);
    pub fn brokerage_account(&self, id: &AccountId) -> ApiRequest<BrokerageAccount> {
        self.fetch_as(ENDPOINT.at([id.as_str()]), read_account)
    }

    /// The user's portfolios.
    #[endpoint(GET "/api/v3/brokerage/portfolios", wallet:accounts:read)]
    #[example]
    /// for portfolio in client.portfolios().await? {
    ///     println!("{} ({})", portfolio.name, portfolio.kind);
    /// }
    pub fn portfolios(&self) -> ApiRequest<Vec<Portfolio>> {
        self.fetch_as(ENDPOINT.at([]), read_portfolios)
    }

    /// The portfolio an OAuth order trades in: the user's default one (or their first), which
    /// holds the accounts the app sees. Pass its `uuid` to [`NewOrder::new`](crate::NewOrder::new).
    #[endpoint(GET "/api/v3/brokerage/portfolios", wallet:accounts:read)]
    #[example]
    /// let portfolio = client.trading_portfolio().await?;
    /// println!("{}", portfolio.uuid);
    pub fn trading_portfolio(&self) -> ApiRequest<Portfolio> {
        self.fetch_as(ENDPOINT.at([]), read_trading_portfolio)
    }

    /// A portfolio's balances and positions.
    #[endpoint(GET "/api/v3/brokerage/portfolios/:portfolio_uuid", wallet:accounts:read)]
    #[example]
    /// let breakdown = client.portfolio(&"7d0f4a1e-6f4b-4c35-9c0e-8a0b6d2a4f11".into()).await?;
    /// println!("{}", breakdown.portfolio_balances.total_balance);
    pub fn portfolio(&self, id: &PortfolioId) -> ApiRequest<PortfolioBreakdown> {
        self.fetch_as(ENDPOINT.at([id.as_str()]), read_breakdown)
    }

    /// The user's trading volume, fees and fee tier.
    #[endpoint(GET "/api/v3/brokerage/transaction_summary", wallet:transactions:read)]
    #[example]
    /// let summary = client.transaction_summary().await?;
    /// println!("taker fee {}", summary.fee_tier.taker_fee_rate);
    pub fn transaction_summary(&self) -> ApiRequest<TransactionSummary> {
        self.fetch_as(ENDPOINT.at([]), read_json)
    }

    /// Every product that can be traded.
    #[endpoint(GET "/api/v3/brokerage/products", wallet:user:read)]
    #[example]
    /// for product in client.products().await? {
    ///     println!("{} at {}", product.product_id, product.price);
    /// }
    pub fn products(&self) -> ApiRequest<Vec<Product>> {
        self.fetch_as(ENDPOINT.at([]), read_products)
    }

    /// One product.
    #[endpoint(GET "/api/v3/brokerage/products/:product_id", wallet:user:read)]
    #[example]
    /// let btc = client.product(&"BTC-USD".into()).await?;
    /// println!("{}", btc.price);
    pub fn product(&self, id: &ProductId) -> ApiRequest<Product> {
        self.fetch_as(ENDPOINT.at([id.as_str()]), read_json)
    }

    /// The best bid and ask of each product (of every product, for none).
    #[endpoint(GET "/api/v3/brokerage/best_bid_ask", wallet:user:read)]
    #[example]
    /// let books = client.best_bid_ask(&["BTC-USD".into()]).await?;
    /// println!("{:?}", books[0].bids.first().map(|level| level.price));
    pub fn best_bid_ask(&self, ids: &[ProductId]) -> ApiRequest<Vec<PriceBook>> {
        let call = ids.iter().fold(ENDPOINT.at([]), |call, id| call.query("product_ids", id.as_str()));
        self.fetch_as(call, read_pricebooks)
    }

    /// A product's order book; [`limit`](ApiRequest::limit) sets its depth.
    #[endpoint(GET "/api/v3/brokerage/product_book", wallet:user:read)]
    #[example]
    /// let book = client.product_book(&"BTC-USD".into()).limit(10).await?;
    /// println!("spread {:?}", book.spread_absolute);
    pub fn product_book(&self, id: &ProductId) -> ApiRequest<ProductBook> {
        self.fetch_as(ENDPOINT.at([]).query("product_id", id.as_str()), read_json)
    }

    /// A product's candles between `start` and `end`, newest first (at most 350).
    #[endpoint(GET "/api/v3/brokerage/products/:product_id/candles", wallet:user:read)]
    #[example]
    /// let end = time::OffsetDateTime::now_utc();
    /// let candles = client.candles(&"BTC-USD".into(), end - time::Duration::DAY, end, Granularity::OneHour).await?;
    /// println!("{} candles", candles.len());
    pub fn candles(
        &self,
        id: &ProductId,
        start: OffsetDateTime,
        end: OffsetDateTime,
        granularity: Granularity,
    ) -> ApiRequest<Vec<Candle>> {
        let call = ENDPOINT
            .at([id.as_str()])
            .query("start", &start.unix_timestamp().to_string())
            .query("end", &end.unix_timestamp().to_string())
            .query("granularity", granularity.as_str());
        self.fetch_as(call, read_candles)
    }

    /// A product's latest trades and its best bid and ask; [`limit`](ApiRequest::limit) sets how
    /// many trades.
    #[endpoint(GET "/api/v3/brokerage/products/:product_id/ticker", wallet:user:read)]
    #[example]
    /// let ticker = client.ticker(&"BTC-USD".into()).limit(5).await?;
    /// println!("{:?}", ticker.best_ask);
    pub fn ticker(&self, id: &ProductId) -> ApiRequest<Ticker> {
        self.fetch_as(ENDPOINT.at([id.as_str()]), read_json)
    }
}

/// The order history's filters.
impl CursorList<BrokerageOrder> {
    /// Only orders of this product (repeat for several).
    pub fn product(self, id: &ProductId) -> Self {
        self.filter("product_ids", id.as_str())
    }

    /// Only orders in this status (repeat for several).
    pub fn status(self, status: OrderStatus) -> Self {
        self.filter("order_status", status.as_str())
    }
}

/// The fills' filters.
impl CursorList<Fill> {
    /// Only fills of this order (repeat for several).
    pub fn order(self, id: &OrderId) -> Self {
        self.filter("order_ids", id.as_str())
    }

    /// Only fills of this product (repeat for several).
    pub fn product(self, id: &ProductId) -> Self {
        self.filter("product_ids", id.as_str())
    }
}

/// The book's depth.
impl ApiRequest<ProductBook> {
    /// Levels per side.
    pub fn limit(self, levels: u32) -> Self {
        self.query("limit", &levels.to_string())
    }
}

/// The ticker's length.
impl ApiRequest<Ticker> {
    /// How many of the latest trades.
    pub fn limit(self, trades: u32) -> Self {
        self.query("limit", &trades.to_string())
    }
}

/// Coinbase's documented answers, with the field names, nesting and types of
/// its Advanced Trade reference and realistic values in place of its
/// schema placeholders, read as the endpoints read them.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::advanced_trade::Liquidity;
    use crate::api::models::order_configuration::Side;
    use crate::error::OrderRefusalReason;

    fn read<T>(read: fn(&[u8]) -> Result<T, Error>, body: &str) -> T {
        read(body.as_bytes()).unwrap_or_else(|error| panic!("{error}: {body}"))
    }

    #[test]
    fn orders_and_their_answers() {
        let placed = read(
            read_placed,
            r#"{"success":true,"failure_reason":"UNKNOWN_FAILURE_REASON","order_id":"11111-00000-000000",
            "success_response":{"order_id":"11111-00000-000000","product_id":"BTC-USD","side":"BUY",
            "client_order_id":"0000-00000-000000"},
            "order_configuration":{"market_market_ioc":{"quote_size":"10.00"}}}"#,
        );
        assert_eq!((placed.order_id.as_str(), placed.side), ("11111-00000-000000", Side::Buy));
        let refused = read_placed(
            br#"{"success":false,"failure_reason":"UNKNOWN_FAILURE_REASON","order_id":"",
            "error_response":{"error":"INSUFFICIENT_FUND","message":"Insufficient balance in source account",
            "error_details":"","preview_failure_reason":"PREVIEW_INSUFFICIENT_FUND",
            "new_order_failure_reason":"INSUFFICIENT_FUNDS"}}"#,
        );
        let Err(Error::OrderRefused(refusal)) = refused else { panic!("{refused:?}") };
        assert_eq!(refusal.reason, OrderRefusalReason::InsufficientFunds);
        assert_eq!(refusal.code, "INSUFFICIENT_FUNDS");
        let other = read_placed(
            br#"{"success":false,"error_response":{"error":"UNSUPPORTED_ORDER_CONFIGURATION"}}"#,
        );
        let Err(Error::OrderRefused(refusal)) = other else { panic!("{other:?}") };
        assert_eq!(
            (refusal.reason, refusal.code.as_str()),
            (OrderRefusalReason::Other, "UNSUPPORTED_ORDER_CONFIGURATION")
        );

        let preview = read(
            read_preview,
            r#"{"order_total":"10.06","commission_total":"0.06","errs":[],"warning":[],"quote_size":"10",
            "base_size":"0.00016","best_bid":"60000.00","best_ask":"60000.02","is_max":false,
            "order_margin_total":"","leverage":"","long_leverage":"","short_leverage":"","slippage":"0",
            "preview_id":"b40bbff9-17ce-4726-8b64-9de7ae57ad26"}"#,
        );
        assert_eq!(preview.order_total, Decimal::new(1006, 2));
        let refused = read_preview(
            br#"{"order_total":"0","commission_total":"0","errs":["PREVIEW_INVALID_LIMIT_PRICE"]}"#,
        );
        assert!(
            matches!(refused, Err(Error::OrderRefused(r)) if r.reason == OrderRefusalReason::InvalidLimitPrice)
        );

        read(read_edit, r#"{"success":true,"errors":[]}"#);
        let refused = read_edit(
            br#"{"success":false,"errors":[{"edit_failure_reason":"ORDER_NOT_FOUND","preview_failure_reason":"UNKNOWN_PREVIEW_FAILURE_REASON"}]}"#,
        );
        assert!(
            matches!(refused, Err(Error::OrderRefused(r)) if r.reason == OrderRefusalReason::OrderNotFound)
        );
        let edit = read(
            read_edit_preview,
            r#"{"errors":[],"slippage":"0","order_total":"640.00","commission_total":"2.56","quote_size":"640",
            "base_size":"0.01","best_bid":"63999.99","best_ask":"64000.01","average_filled_price":"0"}"#,
        );
        assert_eq!(edit.commission_total, Decimal::new(256, 2));

        let results = read(
            read_results,
            r#"{"results":[{"success":true,"failure_reason":"UNKNOWN_CANCEL_FAILURE_REASON","order_id":"0000-00000"}]}"#,
        );
        assert!(results[0].success);

        let order = read(
            read_order,
            r#"{"order":{"order_id":"0000-000000-000000","product_id":"BTC-USD","user_id":"2222-000000-000000",
            "order_configuration":{"limit_limit_gtc":{"base_size":"0.001","limit_price":"10000.00","post_only":false}},
            "side":"BUY","client_order_id":"11111-000000-000000","status":"OPEN","time_in_force":"GOOD_UNTIL_CANCELLED",
            "created_time":"2021-05-31T09:59:59Z","completion_percentage":"0","filled_size":"0","average_filled_price":"",
            "fee":"","number_of_fills":"0","filled_value":"0","pending_cancel":false,"size_in_quote":false,
            "total_fees":"0","size_inclusive_of_fees":false,"total_value_after_fees":"0","trigger_status":"INVALID_ORDER_TYPE",
            "order_type":"LIMIT","reject_reason":"","settled":false,"product_type":"SPOT","reject_message":"",
            "cancel_message":"","order_placement_source":"RETAIL_ADVANCED","outstanding_hold_amount":"10.06",
            "is_liquidation":false,"last_fill_time":null,"edit_history":[],"leverage":"","margin_type":"UNKNOWN_MARGIN_TYPE",
            "retail_portfolio_id":"7d0f4a1e-6f4b-4c35-9c0e-8a0b6d2a4f11"}}"#,
        );
        assert_eq!(order.order_type.as_deref(), Some("LIMIT"));
        assert!(matches!(
            order.order_configuration,
            Some(crate::OrderConfiguration::LimitGtc { .. })
        ));

        let (orders, cursor) =
            read(read_orders, r#"{"orders":[],"sequence":"0","has_next":true,"cursor":"789100"}"#);
        assert!(orders.is_empty());
        assert_eq!(cursor.as_deref(), Some("789100"));
        let (fills, cursor) = read(
            read_fills,
            r#"{"fills":[{"entry_id":"22222-2222222-22222222","trade_id":"1111-11111-111111","order_id":"0000-000000-000000",
            "trade_time":"2021-05-31T09:59:59Z","trade_type":"FILL","price":"10000.00","size":"0.001",
            "commission":"1.25","product_id":"BTC-USD","sequence_timestamp":"2021-05-31T09:58:59Z",
            "liquidity_indicator":"MAKER","size_in_quote":false,"user_id":"3333-333333-3333333","side":"BUY",
            "retail_portfolio_id":"7d0f4a1e-6f4b-4c35-9c0e-8a0b6d2a4f11"}],"cursor":""}"#,
        );
        assert_eq!(fills[0].liquidity_indicator, Liquidity::Maker);
        assert_eq!(cursor, None, "an empty cursor ends the fills");
    }

    #[test]
    fn accounts_portfolios_and_the_summary() {
        let (accounts, cursor) = read(
            read_accounts,
            r#"{"accounts":[{"uuid":"8bfc20d7-f7c6-4422-bf07-8243ca4169fe","name":"BTC Wallet","currency":"BTC",
            "available_balance":{"value":"1.23","currency":"BTC"},"default":false,"active":true,
            "created_at":"2021-05-31T09:59:59Z","updated_at":"2021-05-31T09:59:59Z","deleted_at":null,
            "type":"ACCOUNT_TYPE_CRYPTO","ready":true,"hold":{"value":"0.1","currency":"BTC"},
            "retail_portfolio_id":"7d0f4a1e-6f4b-4c35-9c0e-8a0b6d2a4f11"}],"has_next":false,"cursor":"","size":1}"#,
        );
        assert_eq!(accounts[0].available_balance.amount, Decimal::new(123, 2));
        assert_eq!(cursor, None);
        let portfolios = read(
            read_portfolios,
            r#"{"portfolios":[{"name":"Default","uuid":"7d0f4a1e-6f4b-4c35-9c0e-8a0b6d2a4f11","type":"DEFAULT","deleted":false}]}"#,
        );
        assert_eq!(portfolios[0].kind, "DEFAULT");
        let breakdown = read(
            read_breakdown,
            r#"{"breakdown":{"portfolio":{"name":"Default","uuid":"7d0f4a1e","type":"DEFAULT","deleted":false},
            "portfolio_balances":{"total_balance":{"value":"1000.00","currency":"USD"},
            "total_futures_balance":{"value":"0","currency":"USD"},"total_cash_equivalent_balance":{"value":"500.00","currency":"USD"},
            "total_crypto_balance":{"value":"500.00","currency":"USD"}},
            "spot_positions":[{"asset":"BTC","account_uuid":"8bfc20d7","total_balance_fiat":500.0,"total_balance_crypto":0.0083,
            "available_to_trade_fiat":500.0,"allocation":0.5,"cost_basis":{"value":"450.00","currency":"USD"},
            "asset_img_url":"","is_cash":false}],"perp_positions":[],"futures_positions":[]}}"#,
        );
        assert_eq!(
            breakdown.spot_positions[0].cost_basis.as_ref().unwrap().amount,
            Decimal::new(45_000, 2)
        );
        let summary: TransactionSummary = read(
            read_json,
            r#"{"total_volume":1000,"total_fees":25,"fee_tier":{"pricing_tier":"<$10k","usd_from":"0","usd_to":"10,000",
            "taker_fee_rate":"0.0010","maker_fee_rate":"0.0020","aop_from":"","aop_to":""},"margin_rate":{"value":""},
            "goods_and_services_tax":{"rate":"","type":"INCLUSIVE"},"advanced_trade_only_volume":1000,
            "advanced_trade_only_fees":25,"coinbase_pro_volume":1000,"coinbase_pro_fees":25,"total_balance":"","has_promo_fee":false}"#,
        );
        assert_eq!(
            (summary.total_volume, summary.total_fees),
            (Decimal::new(1000, 0), Decimal::new(25, 0))
        );
        let portfolio = read(
            read_trading_portfolio,
            r#"{"portfolios":[{"name":"Old","uuid":"a","type":"CONSUMER","deleted":true},{"name":"Default","uuid":"b","type":"DEFAULT","deleted":false}]}"#,
        );
        assert_eq!(portfolio.uuid.as_str(), "b");
        assert!(read_trading_portfolio(br#"{"portfolios":[]}"#).is_err());
    }

    #[test]
    fn products_and_market_data() {
        let product: Product = read(
            read_json,
            r#"{"product_id":"BTC-USD","price":"140.21","price_percentage_change_24h":"9.43%","volume_24h":"1908432",
            "volume_percentage_change_24h":"9.43%","base_increment":"0.00000001","quote_increment":"0.00000001",
            "quote_min_size":"0.00000001","quote_max_size":"1000","base_min_size":"0.00000001","base_max_size":"1000",
            "base_name":"Bitcoin","quote_name":"US Dollar","watched":true,"is_disabled":false,"new":true,"status":"online",
            "cancel_only":true,"limit_only":true,"post_only":true,"trading_disabled":false,"auction_mode":true,
            "product_type":"SPOT","quote_currency_id":"USD","base_currency_id":"BTC","fcm_trading_session_details":null,
            "mid_market_price":"140.22","alias":"BTC-USD","alias_to":["BTC-USDC"],"base_display_symbol":"BTC",
            "quote_display_symbol":"USD","view_only":true,"price_increment":"0.00000001","display_name":"BTC PERP-INTX",
            "product_venue":"CBE"}"#,
        );
        assert_eq!(
            (product.base_currency_id.as_str(), product.price),
            ("BTC", Decimal::new(14_021, 2))
        );
        let products = read(read_products, r#"{"products":[],"num_products":100}"#);
        assert!(products.is_empty());
        let books = read(
            read_pricebooks,
            r#"{"pricebooks":[{"product_id":"BTC-USD","bids":[{"price":"59999.99","size":"0.5"}],
            "asks":[{"price":"60000.01","size":"0.25"}],"time":"2023-10-26T10:05:30.123Z"}]}"#,
        );
        assert_eq!(books[0].asks[0].size, Decimal::new(25, 2));
        let book: ProductBook = read(
            read_json,
            r#"{"pricebook":{"product_id":"BTC-USD","bids":[],"asks":[],"time":"2023-10-26T10:05:30.123Z"},
            "last":"60000","mid_market":"60000","spread_bps":"0.0033","spread_absolute":"0.02"}"#,
        );
        assert_eq!(book.spread_absolute, Some(Decimal::new(2, 2)));
        let candles = read(
            read_candles,
            r#"{"candles":[{"start":"1639508050","low":"140.21","high":"140.21","open":"140.21","close":"140.21","volume":"56437345"}]}"#,
        );
        assert_eq!(candles[0].start.unix_timestamp(), 1_639_508_050);
        let ticker: Ticker = read(
            read_json,
            r#"{"trades":[{"trade_id":"34b080bf-fcfd-445a-832b-46b5ddc65601","product_id":"BTC-USD","price":"140.91",
            "size":"4","time":"2021-05-31T09:59:59.000Z","side":"BUY","bid":"","ask":"","exchange":"CBE"}],
            "best_bid":"291.13","best_ask":"292.40"}"#,
        );
        assert_eq!(ticker.trades[0].side, Side::Buy);
    }
}
