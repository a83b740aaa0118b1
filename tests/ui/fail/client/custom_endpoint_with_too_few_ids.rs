// The route has two `:params`; the declaration takes one id: it does not
// compile, rather than failing at the first call.
#[derive(serde::Deserialize)]
pub struct Deposit {
    pub id: String,
}

cb_client::endpoint! {
    /// One deposit.
    #[endpoint(GET "/v2/accounts/:id/deposits/:deposit_id", wallet:deposits:read)]
    pub fn deposit(account: &str) -> Deposit;
}

fn main() {}
