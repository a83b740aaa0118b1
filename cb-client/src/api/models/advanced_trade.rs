//! Advanced Trade's resources: orders and their fills, products and market
//! data, portfolios, the fee summary, and Convert trades.
//!
//! Field names and nesting follow Coinbase's Advanced Trade reference.
//! Decimal strings are `Decimal`; Coinbase writes an empty string for a
//! value it does not have (an unfilled order's average price), which reads
//! as `None` or zero as the field says. Brokerage accounts are Coinbase's
//! accounts seen through Advanced Trade, so their ids are [`AccountId`]s.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

use super::account::AccountId;
use super::common::{Money, id_type, string_enum, timestamp};
use super::order_configuration::{OrderConfiguration, Side};

id_type! {
    /// An Advanced Trade order's id.
    OrderId
}

id_type! {
    /// A product's id: its base and quote currencies, `BTC-USD`.
    ProductId
}

id_type! {
    /// A portfolio's id; OAuth spot orders must name one
    /// ([`NewOrder::new`](crate::NewOrder::new) asks for it).
    PortfolioId
}

id_type! {
    /// A Convert trade's id, which its quote answers.
    ConvertTradeId
}

string_enum! {
    /// Where an order stands.
    OrderStatus {
        /// Not yet on the book.
        Pending = "PENDING",
        /// On the book, or waiting for its stop.
        Open = "OPEN",
        /// Filled.
        Filled = "FILLED",
        /// Cancelled.
        Cancelled = "CANCELLED",
        /// Past its end time.
        Expired = "EXPIRED",
        /// Failed.
        Failed = "FAILED",
        /// Queued.
        Queued = "QUEUED",
        /// A cancel is queued.
        CancelQueued = "CANCEL_QUEUED",
    }
}

string_enum! {
    /// Whether a fill added liquidity to the book or took it.
    Liquidity {
        /// Added liquidity: the maker fee.
        Maker = "MAKER",
        /// Took liquidity: the taker fee.
        Taker = "TAKER",
    }
}

string_enum! {
    /// Where a Convert trade stands.
    ConvertStatus {
        /// Quoted, not committed.
        Created = "TRADE_STATUS_CREATED",
        /// Committed, not settled.
        Started = "TRADE_STATUS_STARTED",
        /// Done.
        Completed = "TRADE_STATUS_COMPLETED",
        /// Cancelled, or expired before its commit.
        Canceled = "TRADE_STATUS_CANCELED",
    }
}

/// A decimal string that may be empty, as Coinbase writes a value it does
/// not have.
fn maybe_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
    let text = Option::<std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    match text.as_deref() {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// As [`maybe_decimal`], an absent value read as zero.
fn decimal_or_zero<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    maybe_decimal(deserializer).map(Option::unwrap_or_default)
}

/// A number Coinbase writes as a JSON number (the fee summary's totals),
/// read through its shortest decimal spelling into a `Decimal`; a string is
/// read as one.
fn number_as_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number<'a> {
        Number(serde_json::Number),
        Text(&'a str),
    }
    match Number::deserialize(deserializer)? {
        Number::Number(number) => number.to_string().parse().map_err(serde::de::Error::custom),
        Number::Text("") => Ok(Decimal::ZERO),
        Number::Text(text) => text.parse().map_err(serde::de::Error::custom),
    }
}

/// An order.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BrokerageOrder {
    /// Its id.
    pub order_id: OrderId,
    /// The product traded.
    pub product_id: ProductId,
    /// Buy or sell.
    pub side: Side,
    /// The id the app gave it, which makes its create idempotent.
    pub client_order_id: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// What it asked for; `None` for a configuration this version does not
    /// know.
    #[serde(default, deserialize_with = "super::order_configuration::configuration_or_none")]
    pub order_configuration: Option<OrderConfiguration>,
    /// When it was placed.
    #[serde(default, with = "timestamp::option")]
    pub created_time: Option<OffsetDateTime>,
    /// How much of the base it filled.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub filled_size: Decimal,
    /// The quote value it filled, fees excluded.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub filled_value: Decimal,
    /// The average price of its fills, if it filled.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub average_filled_price: Option<Decimal>,
    /// Its fees, in the quote currency.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub total_fees: Decimal,
    /// `MARKET`, `LIMIT`, `STOP_LIMIT`, ...
    #[serde(default)]
    pub order_type: Option<String>,
    /// The portfolio it trades in.
    #[serde(default)]
    pub retail_portfolio_id: Option<PortfolioId>,
}

/// What a create or a close answered: the order placed (or, for a retried
/// create, the order placed before under the same `client_order_id`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PlacedOrder {
    /// The order's id.
    pub order_id: OrderId,
    /// The product.
    pub product_id: ProductId,
    /// Buy or sell.
    pub side: Side,
    /// The id the app gave it.
    pub client_order_id: String,
}

/// What an order would cost, before it is placed.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OrderPreview {
    /// The quote it would cost (buy) or raise (sell), fees included.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub order_total: Decimal,
    /// Its fees.
    #[serde(deserialize_with = "decimal_or_zero")]
    pub commission_total: Decimal,
    /// The base it would fill, for an order that fills at once.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub base_size: Decimal,
    /// The quote size.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub quote_size: Decimal,
    /// The best bid now.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub best_bid: Option<Decimal>,
    /// The best ask now.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub best_ask: Option<Decimal>,
    /// Coinbase's warnings about the order.
    #[serde(default)]
    pub warning: Vec<String>,
}

/// What an edit would cost, before it is made.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct EditPreview {
    /// The order's new total.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub order_total: Decimal,
    /// Its fees.
    #[serde(default, deserialize_with = "decimal_or_zero")]
    pub commission_total: Decimal,
    /// The best bid now.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub best_bid: Option<Decimal>,
    /// The best ask now.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub best_ask: Option<Decimal>,
}

/// How the cancel of one order went.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CancelResult {
    /// The order.
    pub order_id: OrderId,
    /// Whether it was cancelled.
    pub success: bool,
    /// Why not, as Coinbase says (`UNKNOWN_CANCEL_FAILURE_REASON` when it
    /// was).
    #[serde(default)]
    pub failure_reason: Option<String>,
}

/// One fill of an order.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Fill {
    /// The fill's entry id.
    pub entry_id: String,
    /// The market trade it was part of.
    pub trade_id: String,
    /// The order it filled.
    pub order_id: OrderId,
    /// When.
    #[serde(default, with = "timestamp::option")]
    pub trade_time: Option<OffsetDateTime>,
    /// The price.
    pub price: Decimal,
    /// The base size.
    pub size: Decimal,
    /// The fee, in the quote currency.
    pub commission: Decimal,
    /// The product.
    pub product_id: ProductId,
    /// Maker or taker.
    pub liquidity_indicator: Liquidity,
    /// Buy or sell.
    pub side: Side,
}

/// An account, as Advanced Trade sees it: what is available to trade and
/// what open orders hold.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BrokerageAccount {
    /// Its id, the same as the v2 account's.
    pub uuid: AccountId,
    /// Its name.
    pub name: String,
    /// Its currency.
    pub currency: String,
    /// What can be traded now.
    pub available_balance: Money,
    /// What open orders hold.
    #[serde(default)]
    pub hold: Option<Money>,
    /// Whether it is the user's default account of its currency.
    #[serde(default)]
    pub default: bool,
    /// The portfolio it belongs to.
    #[serde(default)]
    pub retail_portfolio_id: Option<PortfolioId>,
}

/// A portfolio.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Portfolio {
    /// Its id.
    pub uuid: PortfolioId,
    /// Its name.
    pub name: String,
    /// `DEFAULT`, `CONSUMER`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it was deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// A portfolio's balances and positions.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PortfolioBreakdown {
    /// The portfolio.
    pub portfolio: Portfolio,
    /// Its totals.
    pub portfolio_balances: PortfolioBalances,
    /// One position per asset held.
    #[serde(default)]
    pub spot_positions: Vec<SpotPosition>,
}

/// A portfolio's totals.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PortfolioBalances {
    /// Everything, in the user's fiat currency.
    pub total_balance: Money,
    /// Cash and cash equivalents.
    #[serde(default)]
    pub total_cash_equivalent_balance: Option<Money>,
    /// Crypto.
    #[serde(default)]
    pub total_crypto_balance: Option<Money>,
}

/// One asset of a portfolio. Coinbase writes the position's balances as
/// JSON numbers; they are left out here, where money is never a float
/// (the accounts have them as decimals).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SpotPosition {
    /// The asset, such as `BTC`.
    pub asset: String,
    /// The account that holds it.
    pub account_uuid: AccountId,
    /// Whether it is cash.
    #[serde(default)]
    pub is_cash: bool,
    /// What it cost.
    #[serde(default)]
    pub cost_basis: Option<Money>,
}

/// A product: what can be traded for what, and its price.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Product {
    /// Its id, `BTC-USD`.
    pub product_id: ProductId,
    /// The last price.
    pub price: Decimal,
    /// The smallest step of a base size.
    pub base_increment: Decimal,
    /// The smallest step of a quote size.
    pub quote_increment: Decimal,
    /// The smallest base size of an order.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub base_min_size: Option<Decimal>,
    /// The smallest quote size of an order.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub quote_min_size: Option<Decimal>,
    /// The base currency's code.
    pub base_currency_id: String,
    /// The quote currency's code.
    pub quote_currency_id: String,
    /// `online`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// `SPOT` or `FUTURE`.
    #[serde(default)]
    pub product_type: Option<String>,
    /// Whether trading is disabled.
    #[serde(default)]
    pub trading_disabled: bool,
}

/// One level of an order book.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BookLevel {
    /// The price.
    pub price: Decimal,
    /// The base size at that price.
    pub size: Decimal,
}

/// A product's book: its bids, best first, and its asks, best first.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PriceBook {
    /// The product.
    pub product_id: ProductId,
    /// Bids, highest first.
    pub bids: Vec<BookLevel>,
    /// Asks, lowest first.
    pub asks: Vec<BookLevel>,
    /// When.
    #[serde(default, with = "timestamp::option")]
    pub time: Option<OffsetDateTime>,
}

/// A product's book with its spread.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ProductBook {
    /// The book.
    pub pricebook: PriceBook,
    /// The last price.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub last: Option<Decimal>,
    /// The mid-market price.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub mid_market: Option<Decimal>,
    /// The spread, in basis points.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub spread_bps: Option<Decimal>,
    /// The spread, in the quote currency.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub spread_absolute: Option<Decimal>,
}

/// How wide a candle is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Granularity {
    /// One minute.
    OneMinute,
    /// Five minutes.
    FiveMinutes,
    /// Fifteen minutes.
    FifteenMinutes,
    /// Thirty minutes.
    ThirtyMinutes,
    /// One hour.
    OneHour,
    /// Two hours.
    TwoHours,
    /// Six hours.
    SixHours,
    /// One day.
    OneDay,
}

impl Granularity {
    /// As Coinbase spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::OneMinute => "ONE_MINUTE",
            Granularity::FiveMinutes => "FIVE_MINUTE",
            Granularity::FifteenMinutes => "FIFTEEN_MINUTE",
            Granularity::ThirtyMinutes => "THIRTY_MINUTE",
            Granularity::OneHour => "ONE_HOUR",
            Granularity::TwoHours => "TWO_HOUR",
            Granularity::SixHours => "SIX_HOUR",
            Granularity::OneDay => "ONE_DAY",
        }
    }
}

/// A candle: the prices of one interval.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Candle {
    /// Its start, in UNIX seconds as Coinbase writes it.
    #[serde(deserialize_with = "unix_seconds")]
    pub start: OffsetDateTime,
    /// The lowest price.
    pub low: Decimal,
    /// The highest price.
    pub high: Decimal,
    /// The first price.
    pub open: Decimal,
    /// The last price.
    pub close: Decimal,
    /// The base traded.
    pub volume: Decimal,
}

fn unix_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
    let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
    let seconds: i64 = text.parse().map_err(serde::de::Error::custom)?;
    OffsetDateTime::from_unix_timestamp(seconds).map_err(serde::de::Error::custom)
}

/// A trade of the market, as the ticker lists them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MarketTrade {
    /// Its id.
    pub trade_id: String,
    /// The product.
    pub product_id: ProductId,
    /// The price.
    pub price: Decimal,
    /// The base size.
    pub size: Decimal,
    /// When.
    #[serde(default, with = "timestamp::option")]
    pub time: Option<OffsetDateTime>,
    /// The taker's side.
    pub side: Side,
}

/// A product's latest trades and its best bid and ask.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Ticker {
    /// The latest trades, newest first.
    pub trades: Vec<MarketTrade>,
    /// The best bid.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub best_bid: Option<Decimal>,
    /// The best ask.
    #[serde(default, deserialize_with = "maybe_decimal")]
    pub best_ask: Option<Decimal>,
}

/// The fee tier the user trades at.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FeeTier {
    /// Its name.
    pub pricing_tier: String,
    /// The taker fee, as a fraction (`0.006` is 0.6%).
    pub taker_fee_rate: Decimal,
    /// The maker fee, as a fraction.
    pub maker_fee_rate: Decimal,
}

/// The user's trading volume, fees and fee tier.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TransactionSummary {
    /// The volume traded, in USD. Coinbase writes it as a JSON number; it
    /// is read through its shortest decimal spelling.
    #[serde(deserialize_with = "number_as_decimal")]
    pub total_volume: Decimal,
    /// The fees paid, in USD, read as `total_volume` is.
    #[serde(deserialize_with = "number_as_decimal")]
    pub total_fees: Decimal,
    /// The fee tier.
    pub fee_tier: FeeTier,
}

/// A fee of a Convert trade.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ConvertFee {
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// The amount.
    pub amount: Money,
}

/// A Convert trade: a quote until it is committed.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ConvertTrade {
    /// Its id.
    pub id: ConvertTradeId,
    /// Where it stands.
    pub status: ConvertStatus,
    /// The amount the app asked to convert, in the source currency.
    pub user_entered_amount: Money,
    /// The amount as Coinbase states it (the sandbox: what the target
    /// account receives).
    pub amount: Money,
    /// The amount less fees.
    #[serde(default)]
    pub subtotal: Option<Money>,
    /// What the source account pays, fees included.
    pub total: Money,
    /// The fees, all together.
    #[serde(default)]
    pub total_fee: Option<ConvertFee>,
    /// The source account.
    pub source_id: AccountId,
    /// The target account.
    pub target_id: AccountId,
    /// The source currency.
    #[serde(default, alias = "source_curency")]
    pub source_currency: Option<String>,
    /// The target currency.
    #[serde(default)]
    pub target_currency: Option<String>,
    /// The rate, target per source.
    #[serde(default)]
    pub exchange_rate: Option<Money>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_decimal_strings_read_as_absent_and_numbers_as_decimals() {
        let order: BrokerageOrder = serde_json::from_str(
            r#"{"order_id":"o","product_id":"BTC-USD","side":"BUY","client_order_id":"c",
                "status":"OPEN","filled_size":"","average_filled_price":"","total_fees":"0",
                "order_configuration":{"limit_limit_gtc":{"base_size":"0.001","limit_price":"50000.00","post_only":true}},
                "created_time":"2024-01-01T00:00:00Z","unknown_field":[1,2]}"#,
        )
        .unwrap();
        assert_eq!(order.filled_size, Decimal::ZERO);
        assert_eq!(order.average_filled_price, None);
        assert_eq!(order.status, OrderStatus::Open);
        assert!(matches!(
            order.order_configuration,
            Some(OrderConfiguration::LimitGtc { post_only: true, .. })
        ));
        let summary: TransactionSummary = serde_json::from_str(
            r#"{"total_volume":1000.1,"total_fees":25,"fee_tier":{"pricing_tier":"<$10k",
                "usd_from":"0","usd_to":"10,000","taker_fee_rate":"0.0010","maker_fee_rate":"0.0020"}}"#,
        )
        .unwrap();
        assert_eq!(summary.total_volume, Decimal::new(10_001, 1));
        assert_eq!(summary.fee_tier.maker_fee_rate, Decimal::new(20, 4));
        assert!(
            serde_json::from_str::<Candle>(
                r#"{"start":"x","low":"1","high":"1","open":"1","close":"1","volume":"1"}"#
            )
            .is_err()
        );
    }
}
