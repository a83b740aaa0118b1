//! The Advanced Trade market: products whose prices tests move, orders that
//! fill at once or rest until the price crosses them, stop-limit triggers,
//! fills with fees, and Convert quotes that expire and commit once.
//!
//! Money moves through the same ledger as the v2 API: a fill debits one of
//! the user's accounts and credits another, and the market (outside the
//! sandbox) takes and gives the other side, so balances and the outside
//! totals still sum to zero per currency.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::ledger::{NewTransaction, TransactionKind, TransactionStatus, is_fiat, usd_price};
use super::{World, new_id};

/// The products the sandbox lists: base, quote. Prices start at the fixed
/// v2 prices and move only when a test moves them.
pub(crate) const PRODUCTS: &[(&str, &str)] =
    &[("BTC", "USD"), ("ETH", "USD"), ("LTC", "USD"), ("USDC", "USD"), ("ETH", "BTC")];

/// Coinbase's entry fee tier: 0.60% for takers, 0.40% for makers.
pub(crate) const TAKER_FEE: Decimal = Decimal::from_parts(6, 0, 0, false, 3);
pub(crate) const MAKER_FEE: Decimal = Decimal::from_parts(4, 0, 0, false, 3);
/// The Convert fee, taken from the amount converted: 1%.
pub(crate) const CONVERT_FEE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// How long a Convert quote can be committed, in the sandbox's time.
pub(crate) const QUOTE_LIFETIME: time::Duration = time::Duration::seconds(30);

/// Decimals of an amount in `currency`: 2 for fiat, 8 for crypto.
pub(crate) fn decimals(currency: &str) -> u32 {
    if is_fiat(currency) { 2 } else { 8 }
}

/// One product's market.
#[derive(Clone, Debug)]
pub(crate) struct Product {
    pub(crate) id: String,
    pub(crate) base: String,
    pub(crate) quote: String,
    pub(crate) price: Decimal,
    /// Every price the product had, with when: candles and the ticker.
    pub(crate) history: Vec<(OffsetDateTime, Decimal)>,
}

impl Product {
    /// The smallest step of a price: a cent, or a satoshi of a crypto quote.
    pub(crate) fn tick(&self) -> Decimal {
        Decimal::new(1, decimals(&self.quote))
    }

    /// The best ask: one tick above the price.
    pub(crate) fn ask(&self) -> Decimal {
        self.price + self.tick()
    }

    /// The best bid: one tick below the price.
    pub(crate) fn bid(&self) -> Decimal {
        (self.price - self.tick()).max(self.tick())
    }
}

/// An order's side, as Advanced Trade spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "UPPERCASE")]
pub(crate) enum Side {
    Buy,
    Sell,
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "UPPERCASE")]
pub(crate) enum OrderStatus {
    Open,
    Filled,
    Cancelled,
    Expired,
}

/// What an order asks for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum OrderKind {
    /// A market order spending (buy) or raising (sell) this much quote.
    MarketQuote(Decimal),
    /// A market order of this much base.
    MarketBase(Decimal),
    /// A limit order, good till cancelled or till `end_time`.
    Limit {
        base_size: Decimal,
        limit_price: Decimal,
        post_only: bool,
        end_time: Option<OffsetDateTime>,
    },
    /// A stop-limit order: a limit order once the price reaches the stop.
    StopLimit {
        base_size: Decimal,
        limit_price: Decimal,
        stop_price: Decimal,
        /// Triggers when the price rises to the stop (else when it falls).
        stop_up: bool,
        end_time: Option<OffsetDateTime>,
        triggered: bool,
    },
}

impl OrderKind {
    pub(crate) fn end_time(&self) -> Option<OffsetDateTime> {
        match self {
            OrderKind::Limit { end_time, .. } | OrderKind::StopLimit { end_time, .. } => *end_time,
            _ => None,
        }
    }

    /// The limit price and base size of a resting order.
    pub(crate) fn limit(&self) -> Option<(Decimal, Decimal)> {
        match self {
            OrderKind::Limit { base_size, limit_price, .. }
            | OrderKind::StopLimit { base_size, limit_price, .. } => {
                Some((*limit_price, *base_size))
            }
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub(crate) id: String,
    pub(crate) client_order_id: String,
    pub(crate) user_id: String,
    pub(crate) portfolio_id: String,
    pub(crate) product_id: String,
    pub(crate) side: Side,
    pub(crate) kind: OrderKind,
    /// The `order_configuration` as the request sent it, echoed back.
    pub(crate) configuration: serde_json::Value,
    pub(crate) status: OrderStatus,
    pub(crate) filled_size: Decimal,
    pub(crate) filled_value: Decimal,
    /// The price of its fill (orders fill whole, once).
    pub(crate) average_price: Decimal,
    pub(crate) fees: Decimal,
    /// What the order holds while it rests: quote for a buy, base for a sell.
    pub(crate) hold: Decimal,
    pub(crate) base_account: String,
    pub(crate) quote_account: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// An order to place, checked by its handler: who places it, what, and on
/// which of the user's accounts.
pub(crate) struct NewOrder {
    pub(crate) user_id: String,
    pub(crate) client_order_id: String,
    pub(crate) portfolio_id: String,
    pub(crate) product_id: String,
    pub(crate) side: Side,
    pub(crate) kind: OrderKind,
    pub(crate) configuration: serde_json::Value,
    pub(crate) base_account: String,
    pub(crate) quote_account: String,
}

/// Whether a fill took liquidity or added it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(into = "&'static str")]
#[strum(serialize_all = "UPPERCASE")]
pub(crate) enum Liquidity {
    Maker,
    Taker,
}

#[derive(Clone, Debug)]
pub(crate) struct Fill {
    pub(crate) trade_id: String,
    pub(crate) entry_id: String,
    pub(crate) order_id: String,
    pub(crate) user_id: String,
    pub(crate) product_id: String,
    pub(crate) side: Side,
    pub(crate) price: Decimal,
    pub(crate) size: Decimal,
    pub(crate) commission: Decimal,
    pub(crate) liquidity: Liquidity,
    pub(crate) time: OffsetDateTime,
}

/// Where a Convert trade stands, as Coinbase spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(into = "&'static str")]
pub(crate) enum ConvertStatus {
    #[strum(serialize = "TRADE_STATUS_CREATED")]
    Created,
    #[strum(serialize = "TRADE_STATUS_COMPLETED")]
    Completed,
}

#[derive(Clone, Debug)]
pub(crate) struct ConvertTrade {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) from_account: String,
    pub(crate) to_account: String,
    pub(crate) from_currency: String,
    pub(crate) to_currency: String,
    /// Taken from the source account.
    pub(crate) amount: Decimal,
    pub(crate) fee: Decimal,
    /// Given to the target account.
    pub(crate) total: Decimal,
    pub(crate) status: ConvertStatus,
    pub(crate) expires_at: OffsetDateTime,
}

/// Why the market refused an order, as Advanced Trade's
/// `new_order_failure_reason` and `preview_failure_reason` spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    InsufficientFund,
    InvalidLimitPrice,
    InvalidLimitPricePostOnly,
    InvalidProductId,
    InvalidSize,
    InvalidStopPrice,
}

impl Refusal {
    /// `error`, `new_order_failure_reason`, `preview_failure_reason` and a
    /// message.
    pub(crate) fn wire(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Refusal::InsufficientFund => (
                "INSUFFICIENT_FUND",
                "INSUFFICIENT_FUNDS",
                "PREVIEW_INSUFFICIENT_FUND",
                "Insufficient balance in source account",
            ),
            Refusal::InvalidLimitPrice => (
                "INVALID_LIMIT_PRICE",
                "INVALID_LIMIT_PRICE",
                "PREVIEW_INVALID_LIMIT_PRICE",
                "The limit price is not valid",
            ),
            Refusal::InvalidLimitPricePostOnly => (
                "INVALID_LIMIT_PRICE_POST_ONLY",
                "INVALID_LIMIT_PRICE_POST_ONLY",
                "PREVIEW_INVALID_LIMIT_PRICE_POST_ONLY",
                "A post-only order would cross the book",
            ),
            Refusal::InvalidProductId => (
                "INVALID_PRODUCT_ID",
                "INVALID_PRODUCT_ID",
                "PREVIEW_INVALID_PRODUCT_ID",
                "The product does not exist",
            ),
            Refusal::InvalidSize => (
                "INVALID_SIZE_PRECISION",
                "INVALID_SIZE_PRECISION",
                "PREVIEW_INVALID_SIZE_PRECISION",
                "The size is not a positive amount of at most 8 decimals",
            ),
            Refusal::InvalidStopPrice => (
                "INVALID_STOP_PRICE",
                "INVALID_STOP_PRICE",
                "PREVIEW_INVALID_STOP_PRICE",
                "The stop price is not valid",
            ),
        }
    }
}

/// What a new order would do, computed before anything moves.
pub(crate) struct Plan {
    /// A fill now, at this price and size, as a taker.
    pub(crate) fill: Option<(Decimal, Decimal)>,
    /// What the order holds if it rests.
    pub(crate) hold: Decimal,
    /// The quote it costs (buy) or raises (sell), fees included.
    pub(crate) total: Decimal,
    pub(crate) fee: Decimal,
}

impl World {
    /// The products, made the first time the market is used.
    pub(crate) fn products(&mut self) -> &mut Vec<Product> {
        if self.products.is_empty() {
            let now = self.now();
            self.products = PRODUCTS
                .iter()
                .filter_map(|(base, quote)| {
                    let price = usd_price(base)?.checked_div(usd_price(quote)?)?;
                    let price = price.round_dp(decimals(quote)).normalize();
                    Some(Product {
                        id: format!("{base}-{quote}"),
                        base: (*base).to_owned(),
                        quote: (*quote).to_owned(),
                        price,
                        history: vec![(now, price)],
                    })
                })
                .collect();
        }
        &mut self.products
    }

    pub(crate) fn product(&mut self, id: &str) -> Option<Product> {
        self.products().iter().find(|product| product.id == id).cloned()
    }

    /// The user's default portfolio, made the first time it is asked for.
    pub(crate) fn portfolio_of(&mut self, user_id: &str) -> String {
        self.portfolios.entry(user_id.to_owned()).or_insert_with(new_id).clone()
    }

    /// What the user's open orders hold on `account`.
    pub(crate) fn held(&self, account: &str) -> Decimal {
        self.orders
            .values()
            .filter(|order| order.status == OrderStatus::Open)
            .map(|order| match order.side {
                Side::Buy if order.quote_account == account => order.hold,
                Side::Sell if order.base_account == account => order.hold,
                _ => Decimal::ZERO,
            })
            .sum()
    }

    /// An account's balance less what open orders hold.
    pub(crate) fn available(&self, account: &str) -> Decimal {
        let balance = self.accounts.get(account).map_or(Decimal::ZERO, |a| a.balance);
        balance - self.held(account)
    }

    /// What an order would do now, or why it is refused.
    pub(crate) fn plan(
        &self,
        product: &Product,
        side: Side,
        kind: &OrderKind,
        base_account: &str,
        quote_account: &str,
    ) -> Result<Plan, Refusal> {
        let (base_dp, quote_dp) = (8, decimals(&product.quote));
        let positive = |amount: Decimal, dp: u32| amount > Decimal::ZERO && amount.scale() <= dp;
        let taker = |price: Decimal, size: Decimal| {
            let value = (price * size).round_dp(quote_dp);
            let fee = (value * TAKER_FEE).round_dp(quote_dp);
            (value, fee)
        };
        let plan = match (side, kind) {
            (_, OrderKind::MarketQuote(quote)) if !positive(*quote, quote_dp) => {
                return Err(Refusal::InvalidSize);
            }
            (_, OrderKind::MarketBase(base)) if !positive(*base, base_dp) => {
                return Err(Refusal::InvalidSize);
            }
            (Side::Buy, OrderKind::MarketQuote(quote)) => {
                // The quote spent includes the fee.
                let size = (*quote / (Decimal::ONE + TAKER_FEE) / product.ask())
                    .round_dp_with_strategy(base_dp, rust_decimal::RoundingStrategy::ToZero);
                let (value, fee) = taker(product.ask(), size);
                Plan {
                    fill: Some((product.ask(), size)),
                    hold: Decimal::ZERO,
                    total: value + fee,
                    fee,
                }
            }
            (Side::Sell, OrderKind::MarketQuote(quote)) => {
                let size = (*quote / product.bid())
                    .round_dp_with_strategy(base_dp, rust_decimal::RoundingStrategy::ToZero);
                let (value, fee) = taker(product.bid(), size);
                Plan {
                    fill: Some((product.bid(), size)),
                    hold: Decimal::ZERO,
                    total: value - fee,
                    fee,
                }
            }
            (Side::Buy, OrderKind::MarketBase(size)) => {
                let (value, fee) = taker(product.ask(), *size);
                Plan {
                    fill: Some((product.ask(), *size)),
                    hold: Decimal::ZERO,
                    total: value + fee,
                    fee,
                }
            }
            (Side::Sell, OrderKind::MarketBase(size)) => {
                let (value, fee) = taker(product.bid(), *size);
                Plan {
                    fill: Some((product.bid(), *size)),
                    hold: Decimal::ZERO,
                    total: value - fee,
                    fee,
                }
            }
            (_, OrderKind::Limit { base_size, limit_price, post_only, .. }) => {
                if !positive(*base_size, base_dp) {
                    return Err(Refusal::InvalidSize);
                }
                if !positive(*limit_price, quote_dp) {
                    return Err(Refusal::InvalidLimitPrice);
                }
                self.plan_limit(product, side, *base_size, *limit_price, *post_only)?
            }
            (_, OrderKind::StopLimit { base_size, limit_price, stop_price, stop_up, .. }) => {
                if !positive(*base_size, base_dp) {
                    return Err(Refusal::InvalidSize);
                }
                if !positive(*limit_price, quote_dp) {
                    return Err(Refusal::InvalidLimitPrice);
                }
                // A stop already reached would trigger at once: Coinbase
                // refuses it.
                let reached = if *stop_up {
                    product.price >= *stop_price
                } else {
                    product.price <= *stop_price
                };
                if !positive(*stop_price, quote_dp) || reached {
                    return Err(Refusal::InvalidStopPrice);
                }
                let value = (*limit_price * *base_size).round_dp(quote_dp);
                let fee = (value * TAKER_FEE).round_dp(quote_dp);
                let hold = match side {
                    Side::Buy => value + fee,
                    Side::Sell => *base_size,
                };
                Plan { fill: None, hold, total: value, fee }
            }
        };
        // Funds: a buy's quote, a sell's base, less what other orders hold.
        let (account, needed) = match side {
            Side::Buy => (quote_account, plan.fill.map_or(plan.hold, |_| plan.total)),
            Side::Sell => (base_account, plan.fill.map_or(plan.hold, |(_, size)| size)),
        };
        if plan.fill.is_some_and(|(_, size)| size <= Decimal::ZERO) {
            return Err(Refusal::InvalidSize);
        }
        if self.available(account) < needed {
            return Err(Refusal::InsufficientFund);
        }
        Ok(plan)
    }

    fn plan_limit(
        &self,
        product: &Product,
        side: Side,
        size: Decimal,
        limit: Decimal,
        post_only: bool,
    ) -> Result<Plan, Refusal> {
        let quote_dp = decimals(&product.quote);
        let crosses = match side {
            Side::Buy => limit >= product.ask(),
            Side::Sell => limit <= product.bid(),
        };
        if crosses && post_only {
            return Err(Refusal::InvalidLimitPricePostOnly);
        }
        if crosses {
            // A crossing limit order takes the book at its best price.
            let price = if side == Side::Buy { product.ask() } else { product.bid() };
            let value = (price * size).round_dp(quote_dp);
            let fee = (value * TAKER_FEE).round_dp(quote_dp);
            let total = if side == Side::Buy { value + fee } else { value - fee };
            return Ok(Plan { fill: Some((price, size)), hold: Decimal::ZERO, total, fee });
        }
        let value = (limit * size).round_dp(quote_dp);
        let fee = (value * MAKER_FEE).round_dp(quote_dp);
        let hold = if side == Side::Buy { value + fee } else { size };
        Ok(Plan { fill: None, hold, total: value, fee })
    }

    /// Places an order that was planned: records it under its
    /// `client_order_id`, and fills it at once as a taker when the plan
    /// says so.
    pub(crate) fn place(&mut self, order: NewOrder, plan: &Plan) -> Order {
        let id = new_id();
        let seq = self.seq();
        let key = (order.user_id.clone(), order.client_order_id.clone());
        let placed = Order {
            id: id.clone(),
            client_order_id: order.client_order_id,
            user_id: order.user_id,
            portfolio_id: order.portfolio_id,
            product_id: order.product_id,
            side: order.side,
            kind: order.kind,
            configuration: order.configuration,
            status: OrderStatus::Open,
            filled_size: Decimal::ZERO,
            filled_value: Decimal::ZERO,
            average_price: Decimal::ZERO,
            fees: Decimal::ZERO,
            hold: plan.hold,
            base_account: order.base_account,
            quote_account: order.quote_account,
            created_at: self.now(),
            seq,
        };
        self.orders.insert(id.clone(), placed);
        self.client_orders.insert(key, id.clone());
        if let Some((price, size)) = plan.fill {
            self.fill(&id, price, size, Liquidity::Taker);
        }
        self.orders[&id].clone()
    }

    /// Fills `size` of the order at `price`: moves the money, records the
    /// fill and the order's progress. The caller planned it, so the funds
    /// are there.
    pub(crate) fn fill(
        &mut self,
        order_id: &str,
        price: Decimal,
        size: Decimal,
        liquidity: Liquidity,
    ) {
        let Some(order) = self.orders.get(order_id).cloned() else { return };
        let Some(product) = self.product(&order.product_id) else { return };
        let quote_dp = decimals(&product.quote);
        let value = (price * size).round_dp(quote_dp);
        let rate = if liquidity == Liquidity::Maker { MAKER_FEE } else { TAKER_FEE };
        let fee = (value * rate).round_dp(quote_dp);
        let (base_move, quote_move) = match order.side {
            Side::Buy => (size, -(value + fee)),
            Side::Sell => (-size, value - fee),
        };
        let movement =
            [(order.base_account.as_str(), base_move), (order.quote_account.as_str(), quote_move)];
        let outside = [(product.base.as_str(), -base_move), (product.quote.as_str(), -quote_move)];
        if self.check_movement(&movement, &outside).is_err() {
            tracing::error!(target: "cb_sandbox", "a planned fill is out of range");
            return;
        }
        for (currency, amount) in outside {
            self.outside(currency, amount);
        }
        for ((account, amount), currency) in
            movement.into_iter().zip([&product.base, &product.quote])
        {
            self.post(NewTransaction {
                description: Some(format!("Advanced Trade fill of order {order_id}")),
                counterparty: Some("market".to_owned()),
                ..NewTransaction::new(
                    account,
                    TransactionKind::AdvancedTradeFill,
                    TransactionStatus::Completed,
                    amount,
                    currency,
                )
            });
        }
        let now = self.now();
        self.fills.push(Fill {
            trade_id: new_id(),
            entry_id: new_id(),
            order_id: order_id.to_owned(),
            user_id: order.user_id.clone(),
            product_id: order.product_id.clone(),
            side: order.side,
            price,
            size,
            commission: fee,
            liquidity,
            time: now,
        });
        if let Some(order) = self.orders.get_mut(order_id) {
            order.filled_size += size;
            order.filled_value += value;
            order.average_price = price;
            order.fees += fee;
            order.hold = Decimal::ZERO;
            order.status = OrderStatus::Filled;
        }
    }

    /// Moves a product's price and lets the market react: stops that the
    /// price reached trigger, and resting orders it crossed fill.
    pub(crate) fn set_price(&mut self, product_id: &str, price: Decimal) -> bool {
        let now = self.now();
        let Some(product) = self.products().iter_mut().find(|p| p.id == product_id) else {
            return false;
        };
        product.price = price;
        product.history.push((now, price));
        self.match_orders(product_id);
        true
    }

    /// Triggers reached stops, fills crossed limits and expires orders past
    /// their end time, oldest order first.
    pub(crate) fn match_orders(&mut self, product_id: &str) {
        let Some(product) = self.product(product_id) else { return };
        let now = self.now();
        let mut open: Vec<(u64, String)> = self
            .orders
            .values()
            .filter(|o| o.product_id == product_id && o.status == OrderStatus::Open)
            .map(|o| (o.seq, o.id.clone()))
            .collect();
        open.sort();
        for (_, id) in open {
            let Some(order) = self.orders.get_mut(&id) else { continue };
            if order.kind.end_time().is_some_and(|end| end <= now) {
                order.status = OrderStatus::Expired;
                order.hold = Decimal::ZERO;
                continue;
            }
            if let OrderKind::StopLimit { stop_price, stop_up, triggered, .. } = &mut order.kind {
                let reached = if *stop_up {
                    product.price >= *stop_price
                } else {
                    product.price <= *stop_price
                };
                if !*triggered && reached {
                    *triggered = true;
                }
                if !*triggered {
                    continue;
                }
            }
            let Some((limit, size)) = order.kind.limit() else { continue };
            let crossed = match order.side {
                Side::Buy => product.ask() <= limit,
                Side::Sell => product.bid() >= limit,
            };
            if crossed {
                self.fill(&id, limit, size, Liquidity::Maker);
            }
        }
    }

    /// Expires what is past its time on every product.
    pub(crate) fn settle_market(&mut self) {
        let ids: Vec<String> = self.products.iter().map(|p| p.id.clone()).collect();
        for id in ids {
            self.match_orders(&id);
        }
    }

    /// A Convert quote from one account of the user to another.
    pub(crate) fn convert_quote(
        &mut self,
        user_id: &str,
        from: &str,
        to: &str,
        amount: Decimal,
    ) -> Result<ConvertTrade, &'static str> {
        let (Some(source), Some(target)) = (self.accounts.get(from), self.accounts.get(to)) else {
            return Err("unknown account");
        };
        if source.user_id != user_id || target.user_id != user_id || source.id == target.id {
            return Err("unknown account");
        }
        let (from_currency, to_currency) = (source.currency.clone(), target.currency.clone());
        if amount <= Decimal::ZERO || amount.scale() > decimals(&from_currency) {
            return Err("the amount is not a positive amount in the source currency");
        }
        if self.available(from) < amount {
            return Err("insufficient balance in the source account");
        }
        let fee = (amount * CONVERT_FEE).round_dp(decimals(&from_currency));
        let total = super::convert(amount - fee, &from_currency, &to_currency)
            .ok_or("the currencies cannot be converted")?
            .round_dp_with_strategy(decimals(&to_currency), rust_decimal::RoundingStrategy::ToZero);
        let now = self.now();
        let trade = ConvertTrade {
            id: new_id(),
            user_id: user_id.to_owned(),
            from_account: from.to_owned(),
            to_account: to.to_owned(),
            from_currency,
            to_currency,
            amount,
            fee,
            total,
            status: ConvertStatus::Created,
            expires_at: now + QUOTE_LIFETIME,
        };
        self.convert_trades.insert(trade.id.clone(), trade.clone());
        Ok(trade)
    }

    /// Commits a quote once: a second commit answers the completed trade
    /// and moves nothing.
    pub(crate) fn commit_convert(&mut self, id: &str) -> Result<ConvertTrade, &'static str> {
        let now = self.now();
        let trade = self.convert_trades.get(id).cloned().ok_or("unknown trade")?;
        if trade.status == ConvertStatus::Completed {
            return Ok(trade);
        }
        if trade.expires_at <= now {
            return Err("the quote expired");
        }
        if self.available(&trade.from_account) < trade.amount {
            return Err("insufficient balance in the source account");
        }
        let movement = [
            (trade.from_account.as_str(), -trade.amount),
            (trade.to_account.as_str(), trade.total),
        ];
        let outside = [
            (trade.from_currency.as_str(), trade.amount),
            (trade.to_currency.as_str(), -trade.total),
        ];
        self.check_movement(&movement, &outside).map_err(|_| "the amount is out of range")?;
        for (currency, amount) in outside {
            self.outside(currency, amount);
        }
        for ((account, amount), currency) in
            movement.into_iter().zip([&trade.from_currency, &trade.to_currency])
        {
            self.post(NewTransaction {
                description: Some(format!("Convert trade {id}")),
                counterparty: Some("market".to_owned()),
                ..NewTransaction::new(
                    account,
                    TransactionKind::Trade,
                    TransactionStatus::Completed,
                    amount,
                    currency,
                )
            });
        }
        let trade = self.convert_trades.get_mut(id).ok_or("unknown trade")?;
        trade.status = ConvertStatus::Completed;
        Ok(trade.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SandboxConfig;

    fn world_with_money() -> (World, String, String, String) {
        let mut world = World::new(SandboxConfig::default());
        let user = world.add_user("T", "t@example.com");
        let btc = world.add_account(&user, "BTC", "BTC", true);
        let usd = world.add_account(&user, "USD", "USD", false);
        world.fund(&usd, Decimal::new(100_000, 2)).unwrap();
        (world, user, btc, usd)
    }

    fn order(
        world: &mut World,
        user: &str,
        side: Side,
        kind: OrderKind,
        btc: &str,
        usd: &str,
    ) -> String {
        let product = world.product("BTC-USD").unwrap();
        let plan = world.plan(&product, side, &kind, btc, usd).unwrap();
        let portfolio_id = world.portfolio_of(user);
        let order = NewOrder {
            user_id: user.to_owned(),
            client_order_id: new_id(),
            portfolio_id,
            product_id: "BTC-USD".into(),
            side,
            kind,
            configuration: serde_json::Value::Null,
            base_account: btc.to_owned(),
            quote_account: usd.to_owned(),
        };
        world.place(order, &plan).id
    }

    fn conserved(world: &World) {
        for currency in ["USD", "BTC"] {
            let balances: Decimal =
                world.accounts.values().filter(|a| a.currency == currency).map(|a| a.balance).sum();
            let outside = world.outside.get(currency).copied().unwrap_or_default();
            assert_eq!(balances + outside, Decimal::ZERO, "{currency}");
        }
    }

    #[test]
    fn a_market_buy_fills_at_the_ask_with_the_taker_fee_and_money_adds_up() {
        let (mut world, user, btc, usd) = world_with_money();
        let id = order(
            &mut world,
            &user,
            Side::Buy,
            OrderKind::MarketQuote(Decimal::new(10_000, 2)),
            &btc,
            &usd,
        );
        let order = &world.orders[&id];
        assert_eq!(order.status, OrderStatus::Filled);
        assert!(world.accounts[&btc].balance > Decimal::ZERO);
        assert!(world.accounts[&usd].balance >= Decimal::new(90_000, 2));
        assert_eq!(world.fills.len(), 1);
        assert_eq!(world.fills[0].price, Decimal::new(6_000_001, 2));
        conserved(&world);
    }

    #[test]
    fn a_resting_limit_holds_its_funds_and_fills_when_the_price_crosses() {
        let (mut world, user, btc, usd) = world_with_money();
        let limit = OrderKind::Limit {
            base_size: Decimal::new(1, 2),
            limit_price: Decimal::new(50_000, 0),
            post_only: true,
            end_time: None,
        };
        let id = order(&mut world, &user, Side::Buy, limit, &btc, &usd);
        assert_eq!(world.orders[&id].status, OrderStatus::Open);
        // 500.00 plus the 0.40% maker fee is held.
        assert_eq!(world.available(&usd), Decimal::new(100_000 - 50_200, 2));
        world.set_price("BTC-USD", Decimal::new(55_000, 0));
        assert_eq!(world.orders[&id].status, OrderStatus::Open);
        world.set_price("BTC-USD", Decimal::new(49_000, 0));
        assert_eq!(world.orders[&id].status, OrderStatus::Filled);
        assert_eq!(world.accounts[&btc].balance, Decimal::new(1, 2));
        assert_eq!(world.accounts[&usd].balance, Decimal::new(100_000 - 50_200, 2));
        assert_eq!(world.fills[0].liquidity, Liquidity::Maker);
        conserved(&world);
    }

    #[test]
    fn a_stop_limit_waits_for_its_stop_then_rests_as_a_limit() {
        let (mut world, user, btc, usd) = world_with_money();
        world.fund(&btc, Decimal::ONE).unwrap();
        let stop = OrderKind::StopLimit {
            base_size: Decimal::new(1, 1),
            limit_price: Decimal::new(55_000, 0),
            stop_price: Decimal::new(56_000, 0),
            stop_up: false,
            end_time: None,
            triggered: false,
        };
        let id = order(&mut world, &user, Side::Sell, stop, &btc, &usd);
        world.set_price("BTC-USD", Decimal::new(57_000, 0));
        assert_eq!(world.orders[&id].status, OrderStatus::Open);
        world.set_price("BTC-USD", Decimal::new(55_500, 0));
        // Triggered, and 55,499.99 bid is above the 55,000 limit: filled.
        assert_eq!(world.orders[&id].status, OrderStatus::Filled);
        conserved(&world);
    }

    #[test]
    fn a_quote_commits_once_and_not_after_it_expired() {
        let (mut world, user, btc, usd) = world_with_money();
        let quote = world.convert_quote(&user, &usd, &btc, Decimal::new(6_000, 2)).unwrap();
        assert_eq!(quote.fee, Decimal::new(60, 2));
        let done = world.commit_convert(&quote.id).unwrap();
        assert_eq!(done.status, ConvertStatus::Completed);
        let again = world.commit_convert(&quote.id).unwrap();
        assert_eq!(again.status, ConvertStatus::Completed);
        assert_eq!(world.accounts[&usd].balance, Decimal::new(94_000, 2));
        conserved(&world);
        let late = world.convert_quote(&user, &usd, &btc, Decimal::new(100, 2)).unwrap();
        world.clock_offset += std::time::Duration::from_secs(31);
        assert_eq!(world.commit_convert(&late.id).unwrap_err(), "the quote expired");
        assert!(world.convert_quote(&user, &usd, &btc, Decimal::new(1, 3)).is_err());
    }

    #[test]
    fn refusals_are_typed() {
        let (world, _, btc, usd) = world_with_money();
        let mut world = world;
        let product = world.product("BTC-USD").unwrap();
        let big = OrderKind::MarketBase(Decimal::ONE);
        assert_eq!(
            world.plan(&product, Side::Buy, &big, &btc, &usd).err(),
            Some(Refusal::InsufficientFund)
        );
        let crossing = OrderKind::Limit {
            base_size: Decimal::new(1, 3),
            limit_price: Decimal::new(70_000, 0),
            post_only: true,
            end_time: None,
        };
        assert_eq!(
            world.plan(&product, Side::Buy, &crossing, &btc, &usd).err(),
            Some(Refusal::InvalidLimitPricePostOnly)
        );
        let tiny = OrderKind::MarketBase(Decimal::new(1, 9));
        assert_eq!(
            world.plan(&product, Side::Sell, &tiny, &btc, &usd).err(),
            Some(Refusal::InvalidSize)
        );
    }
}
