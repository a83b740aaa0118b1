//! The bodies of Advanced Trade orders: the product, the side and the
//! configuration, the portfolio an OAuth order must name, and the
//! `client_order_id` that makes a retried create place one order.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::api::models::advanced_trade::{PortfolioId, ProductId};
use crate::api::models::order_configuration::{OrderConfiguration, Side};

/// A new Advanced Trade order.
///
/// It names the portfolio it trades in, as Coinbase requires of an order
/// placed with an OAuth token (find it with
/// [`Client::trading_portfolio`](crate::Client::trading_portfolio)), and
/// carries a `client_order_id` (a UUIDv4 unless given): a create repeated
/// with the same id answers the order placed the first time, so the
/// client's retries never place two.
///
/// ```
/// use cb_client::{NewOrder, OrderConfiguration};
/// use cb_client::models::PortfolioId;
/// use rust_decimal::Decimal;
///
/// let portfolio = PortfolioId::from("7d0f4a1e-6f4b-4c35-9c0e-8a0b6d2a4f11");
/// let buy = NewOrder::buy("BTC-USD", OrderConfiguration::MarketQuote { quote_size: Decimal::new(2500, 2) }, &portfolio);
/// assert_eq!(buy.client_order_id().len(), 36);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    product_id: ProductId,
    side: Side,
    configuration: OrderConfiguration,
    portfolio: PortfolioId,
    client_order_id: String,
}

impl NewOrder {
    /// An order of `product_id` on `side`, in `portfolio`, with a fresh
    /// `client_order_id`.
    pub fn new(
        product_id: impl Into<ProductId>,
        side: Side,
        configuration: OrderConfiguration,
        portfolio: &PortfolioId,
    ) -> Self {
        NewOrder {
            product_id: product_id.into(),
            side,
            configuration,
            portfolio: portfolio.clone(),
            client_order_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// A buy.
    pub fn buy(
        product_id: impl Into<ProductId>,
        configuration: OrderConfiguration,
        portfolio: &PortfolioId,
    ) -> Self {
        NewOrder::new(product_id, Side::Buy, configuration, portfolio)
    }

    /// A sell.
    pub fn sell(
        product_id: impl Into<ProductId>,
        configuration: OrderConfiguration,
        portfolio: &PortfolioId,
    ) -> Self {
        NewOrder::new(product_id, Side::Sell, configuration, portfolio)
    }

    /// The `client_order_id` to send, for an app that keeps its own: the
    /// same id, the same order.
    pub fn with_client_order_id(mut self, id: impl Into<String>) -> Self {
        self.client_order_id = id.into();
        self
    }

    /// The `client_order_id` every attempt sends.
    pub fn client_order_id(&self) -> &str {
        &self.client_order_id
    }

    /// The body of the create.
    pub(crate) fn body(&self) -> Value {
        let mut body = self.preview_body();
        body["client_order_id"] = Value::String(self.client_order_id.clone());
        body
    }

    /// The body of the preview: the order without its `client_order_id`.
    pub(crate) fn preview_body(&self) -> Value {
        json!({
            "product_id": self.product_id,
            "side": self.side,
            "order_configuration": self.configuration.to_json(),
            "retail_portfolio_id": self.portfolio,
        })
    }
}

/// Closing a position: `size` of the product (all of it unless given), at
/// the market, with a `client_order_id` as [`NewOrder`] has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosePosition {
    product_id: ProductId,
    size: Option<Decimal>,
    client_order_id: String,
}

impl ClosePosition {
    /// Closes the whole position in `product_id`.
    pub fn new(product_id: impl Into<ProductId>) -> Self {
        ClosePosition {
            product_id: product_id.into(),
            size: None,
            client_order_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Closes only `size` of it.
    pub fn size(mut self, size: Decimal) -> Self {
        self.size = Some(size);
        self
    }

    /// The `client_order_id` to send.
    pub fn with_client_order_id(mut self, id: impl Into<String>) -> Self {
        self.client_order_id = id.into();
        self
    }

    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "client_order_id": self.client_order_id,
            "product_id": self.product_id,
        });
        if let Some(size) = self.size {
            body["size"] = Value::String(size.to_string());
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_names_its_portfolio_and_keeps_its_client_order_id() {
        let portfolio = PortfolioId::from("p-1");
        let order = NewOrder::sell(
            "BTC-USD",
            OrderConfiguration::MarketBase { base_size: Decimal::new(1, 2) },
            &portfolio,
        );
        let body = order.body();
        assert_eq!(body["retail_portfolio_id"], "p-1");
        assert_eq!(body["side"], "SELL");
        assert_eq!(body["client_order_id"], order.client_order_id());
        assert_eq!(order.body(), body, "the same id on every attempt");
        assert!(order.preview_body().get("client_order_id").is_none());
        let close = ClosePosition::new("BTC-USD").size(Decimal::ONE).with_client_order_id("c");
        assert_eq!(
            close.body(),
            json!({"client_order_id": "c", "product_id": "BTC-USD", "size": "1"})
        );
    }
}
