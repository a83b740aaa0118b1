//! Convert (`/api/v3/brokerage/convert/...`): a quote, its commit, and the
//! trade read back. With `wallet:accounts:read` for the balances, these
//! are seed 000's trading set.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use crate::api::models::AccountId;
use crate::api::models::advanced_trade::{ConvertTrade, ConvertTradeId};
use crate::api::request::ApiRequest;
use crate::api::transport::read_json;
use crate::error::Error;

fn read_trade(body: &[u8]) -> Result<ConvertTrade, Error> {
    #[derive(Deserialize)]
    struct Answer {
        trade: ConvertTrade,
    }
    read_json::<Answer>(body).map(|answer| answer.trade)
}

endpoints! {
    /// Quotes converting `amount` (in the source account's currency) from one of the user's
    /// accounts to another. Nothing moves until [`commit_convert`](Self::commit_convert); the
    /// quote expires.
    #[endpoint(POST "/api/v3/brokerage/convert/quote", wallet:trades:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let quote = client.convert_quote(&"USD".into(), &"USDC".into(), Decimal::new(2000, 2)).await?;
    /// println!("{} for {}", quote.amount, quote.total);
    pub fn convert_quote(&self, from: &AccountId, to: &AccountId, amount: Decimal) -> ApiRequest<ConvertTrade> {
        let body = json!({ "from_account": from, "to_account": to, "amount": amount.to_string() });
        // A repeated quote makes another quote; nothing moves until a commit.
        let mut call = ENDPOINT.at([]).body(body);
        call.idempotent = true;
        self.fetch_as(call, read_trade)
    }

    /// Commits a quote: the money moves, once. A commit repeated after a lost answer names the
    /// same trade, which Coinbase commits once.
    #[endpoint(POST "/api/v3/brokerage/convert/trade/:trade_id", wallet:trades:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let quote = client.convert_quote(&"USD".into(), &"USDC".into(), Decimal::new(2000, 2)).await?;
    /// let done = client.commit_convert(&quote).await?;
    /// println!("{}", done.status);
    pub fn commit_convert(&self, quote: &ConvertTrade) -> ApiRequest<ConvertTrade> {
        let body = json!({ "from_account": quote.source_id, "to_account": quote.target_id });
        let mut call = ENDPOINT.at([quote.id.as_str()]).body(body);
        call.idempotent = true;
        self.fetch_as(call, read_trade)
    }

    /// A Convert trade, between the accounts it names.
    #[endpoint(GET "/api/v3/brokerage/convert/trade/:trade_id", wallet:trades:read)]
    #[example]
    /// let trade = client.convert_trade(&"7b8f0e59-3c2e-4d6a-9a51-1f2e3d4c5b6a".into(), &"USD".into(), &"USDC".into()).await?;
    /// println!("{}", trade.status);
    pub fn convert_trade(&self, id: &ConvertTradeId, from: &AccountId, to: &AccountId) -> ApiRequest<ConvertTrade> {
        let call = ENDPOINT.at([id.as_str()]).query("from_account", from.as_str()).query("to_account", to.as_str());
        self.fetch_as(call, read_trade)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::api::models::advanced_trade::ConvertStatus;

    /// Coinbase's documented Convert answer, with realistic values.
    #[test]
    fn convert_trades() {
        let trade = read_trade(
            br#"{"trade":{"id":"7b8f0e59","status":"TRADE_STATUS_CREATED",
            "user_entered_amount":{"value":"20.00","currency":"USD"},"amount":{"value":"19.80","currency":"USDC"},
            "subtotal":{"value":"19.80","currency":"USD"},"total":{"value":"20.00","currency":"USD"},
            "fees":[{"title":"Convert fee","description":"","amount":{"value":"0.20","currency":"USD"},"label":"Fee",
            "disclosure":{"title":"","description":"","link":{"text":"","url":""}}}],
            "total_fee":{"title":"Convert fee","description":"","amount":{"value":"0.20","currency":"USD"},"label":"Fee"},
            "source":{"type":"LEDGER_ACCOUNT","network":"internal","ledger_account":{"account_id":"usd-1","currency":"USD"}},
            "target":{"type":"LEDGER_ACCOUNT","network":"internal","ledger_account":{"account_id":"usdc-1","currency":"USDC"}},
            "unit_price":{"target_to_fiat":{"amount":{"value":"1","currency":"USD"},"scale":2}},
            "user_warnings":[],"user_reference":"ref","source_currency":"USD","cancellation_reason":null,
            "source_id":"usd-1","target_id":"usdc-1","subscription_info":{},"exchange_rate":{"value":"1","currency":"USDC"},
            "tax_details":[],"trade_incentive_info":{},"total_fee_without_tax":{},"fiat_denoted_total":{}}}"#,
        )
        .unwrap();
        assert_eq!(trade.status, ConvertStatus::Created);
        assert_eq!(trade.total_fee.unwrap().amount.amount, Decimal::new(20, 2));
        assert_eq!(trade.target_id.as_str(), "usdc-1");
    }
}
