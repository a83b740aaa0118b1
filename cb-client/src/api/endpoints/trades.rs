//! Buys, sells, deposits and withdrawals.

use crate::api::bodies::TradeOrder;
use crate::api::list::List;
use crate::api::models::{AccountId, Buy, Deposit, Sell, Trade, TradeId, Withdrawal};
use crate::api::request::ApiRequest;
use crate::api::transport::read_data;
use crate::error::Error;

/// A deposit's or a withdrawal's create or commit answer, in either shape
/// Coinbase documents: v2's `{"data": ..}`, or the current docs'
/// `{"transfer": ..}` (whose amounts say `value`, which [`Money`] reads too).
///
/// [`Money`]: crate::models::Money
fn read_transfer(body: &[u8]) -> Result<Trade, Error> {
    #[derive(serde::Deserialize)]
    struct Transfer {
        transfer: Trade,
    }
    match serde_json::from_slice::<Transfer>(body) {
        Ok(answer) => Ok(answer.transfer),
        Err(_) => read_data(body),
    }
}

endpoints! {
    /// An account's buys.
    #[endpoint(GET "/v2/accounts/:id/buys", wallet:buys:read)]
    #[example]
    /// let buys = client.buys(&"BTC".into()).all().await?;
    /// println!("{}", buys.len());
    pub fn buys(&self, account: &AccountId) -> List<Buy> {
        self.list(ENDPOINT.at([account.as_str()]))
    }

    /// One buy.
    #[endpoint(GET "/v2/accounts/:id/buys/:buy_id", wallet:buys:read)]
    #[example]
    /// let buy = client.buy(&"BTC".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", buy.status);
    pub fn buy(&self, account: &AccountId, id: &TradeId) -> ApiRequest<Buy> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// Buys crypto into the account, paid by a payment method. Committed at once unless the order
    /// says [`TradeOrder::without_commit`].
    #[endpoint(POST "/v2/accounts/:id/buys", wallet:buys:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let order = TradeOrder::new(Decimal::new(10, 0), "USD", "83562370-3e5c-51db-87da-752af5ab9559".into());
    /// let placed = client.place_buy(&"BTC".into(), order).await?;
    /// println!("{}", placed.status);
    pub fn place_buy(&self, account: &AccountId, order: TradeOrder) -> ApiRequest<Buy> {
        self.fetch(ENDPOINT.at([account.as_str()]).body(order.body()))
    }

    /// Commits a buy placed without committing.
    #[endpoint(POST "/v2/accounts/:id/buys/:buy_id/commit", wallet:buys:create)]
    #[example]
    /// let done = client.commit_buy(&"BTC".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", done.status);
    pub fn commit_buy(&self, account: &AccountId, id: &TradeId) -> ApiRequest<Buy> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// An account's sells.
    #[endpoint(GET "/v2/accounts/:id/sells", wallet:sells:read)]
    #[example]
    /// let sells = client.sells(&"BTC".into()).all().await?;
    /// println!("{}", sells.len());
    pub fn sells(&self, account: &AccountId) -> List<Sell> {
        self.list(ENDPOINT.at([account.as_str()]))
    }

    /// One sell.
    #[endpoint(GET "/v2/accounts/:id/sells/:sell_id", wallet:sells:read)]
    #[example]
    /// let sell = client.sell(&"BTC".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", sell.status);
    pub fn sell(&self, account: &AccountId, id: &TradeId) -> ApiRequest<Sell> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// Sells crypto from the account, paid to a payment method. Committed at once unless the order
    /// says [`TradeOrder::without_commit`].
    #[endpoint(POST "/v2/accounts/:id/sells", wallet:sells:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let order = TradeOrder::new(Decimal::new(10, 0), "USD", "83562370-3e5c-51db-87da-752af5ab9559".into());
    /// let placed = client.place_sell(&"BTC".into(), order).await?;
    /// println!("{}", placed.status);
    pub fn place_sell(&self, account: &AccountId, order: TradeOrder) -> ApiRequest<Sell> {
        self.fetch(ENDPOINT.at([account.as_str()]).body(order.body()))
    }

    /// Commits a sell placed without committing.
    #[endpoint(POST "/v2/accounts/:id/sells/:sell_id/commit", wallet:sells:create)]
    #[example]
    /// let done = client.commit_sell(&"BTC".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", done.status);
    pub fn commit_sell(&self, account: &AccountId, id: &TradeId) -> ApiRequest<Sell> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// An account's deposits.
    #[endpoint(GET "/v2/accounts/:id/deposits", wallet:deposits:read)]
    #[example]
    /// let deposits = client.deposits(&"USD".into()).all().await?;
    /// println!("{}", deposits.len());
    pub fn deposits(&self, account: &AccountId) -> List<Deposit> {
        self.list(ENDPOINT.at([account.as_str()]))
    }

    /// One deposit.
    #[endpoint(GET "/v2/accounts/:id/deposits/:deposit_id", wallet:deposits:read)]
    #[example]
    /// let deposit = client.deposit(&"USD".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", deposit.status);
    pub fn deposit(&self, account: &AccountId, id: &TradeId) -> ApiRequest<Deposit> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// Deposits fiat from a bank into a fiat account. Committed at once unless the order says
    /// [`TradeOrder::without_commit`].
    #[endpoint(POST "/v2/accounts/:id/deposits", wallet:deposits:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let order = TradeOrder::new(Decimal::new(10, 0), "USD", "83562370-3e5c-51db-87da-752af5ab9559".into());
    /// let placed = client.deposit_funds(&"USD".into(), order).await?;
    /// println!("{}", placed.status);
    pub fn deposit_funds(&self, account: &AccountId, order: TradeOrder) -> ApiRequest<Deposit> {
        self.fetch_as(ENDPOINT.at([account.as_str()]).body(order.body()), read_transfer)
    }

    /// Commits a deposit placed without committing.
    #[endpoint(POST "/v2/accounts/:id/deposits/:deposit_id/commit", wallet:deposits:create)]
    #[example]
    /// let done = client.commit_deposit(&"USD".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", done.status);
    pub fn commit_deposit(&self, account: &AccountId, id: &TradeId) -> ApiRequest<Deposit> {
        self.fetch_as(ENDPOINT.at([account.as_str(), id.as_str()]), read_transfer)
    }

    /// An account's withdrawals.
    #[endpoint(GET "/v2/accounts/:id/withdrawals", wallet:withdrawals:read)]
    #[example]
    /// let withdrawals = client.withdrawals(&"USD".into()).all().await?;
    /// println!("{}", withdrawals.len());
    pub fn withdrawals(&self, account: &AccountId) -> List<Withdrawal> {
        self.list(ENDPOINT.at([account.as_str()]))
    }

    /// One withdrawal.
    #[endpoint(GET "/v2/accounts/:id/withdrawals/:withdrawal_id", wallet:withdrawals:read)]
    #[example]
    /// let withdrawal = client.withdrawal(&"USD".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", withdrawal.status);
    pub fn withdrawal(&self, account: &AccountId, id: &TradeId) -> ApiRequest<Withdrawal> {
        self.fetch(ENDPOINT.at([account.as_str(), id.as_str()]))
    }

    /// Withdraws fiat from a fiat account to a bank. Committed at once unless the order says
    /// [`TradeOrder::without_commit`].
    #[endpoint(POST "/v2/accounts/:id/withdrawals", wallet:withdrawals:create)]
    #[example]
    /// # use rust_decimal::Decimal;
    /// let order = TradeOrder::new(Decimal::new(10, 0), "USD", "83562370-3e5c-51db-87da-752af5ab9559".into());
    /// let placed = client.withdraw_funds(&"USD".into(), order).await?;
    /// println!("{}", placed.status);
    pub fn withdraw_funds(&self, account: &AccountId, order: TradeOrder) -> ApiRequest<Withdrawal> {
        self.fetch_as(ENDPOINT.at([account.as_str()]).body(order.body()), read_transfer)
    }

    /// Commits a withdrawal placed without committing.
    #[endpoint(POST "/v2/accounts/:id/withdrawals/:withdrawal_id/commit", wallet:withdrawals:create)]
    #[example]
    /// let done = client.commit_withdrawal(&"USD".into(), &"67e0eaec-07d7-54c4-a72c-2e92826897df".into()).await?;
    /// println!("{}", done.status);
    pub fn commit_withdrawal(&self, account: &AccountId, id: &TradeId) -> ApiRequest<Withdrawal> {
        self.fetch_as(ENDPOINT.at([account.as_str(), id.as_str()]), read_transfer)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;

    #[test]
    fn a_deposit_reads_in_both_documented_shapes() {
        let trade = r#"{"id":"67e0eaec-07d7-54c4-a72c-2e92826897df","status":"created","committed":false,
            "amount":{"AMOUNT":"10.00","currency":"USD"},"subtotal":{"AMOUNT":"10.00","currency":"USD"},
            "fee":{"AMOUNT":"0.00","currency":"USD"},"resource":"deposit"}"#;
        let v2 = format!(r#"{{"data":{}}}"#, trade.replace("AMOUNT", "amount"));
        let current = format!(r#"{{"transfer":{}}}"#, trade.replace("AMOUNT", "value"));
        for body in [v2, current] {
            let deposit = read_transfer(body.as_bytes()).unwrap();
            assert_eq!(deposit.amount.amount, Decimal::new(1000, 2), "{body}");
            assert_eq!(deposit.id.as_str(), "67e0eaec-07d7-54c4-a72c-2e92826897df");
        }
        assert!(read_transfer(br#"{"transfer":{"id":1}}"#).is_err());
    }
}
