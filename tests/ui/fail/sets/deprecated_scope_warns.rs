// Asking for the restricted, deprecated 2FA bypass warns (denied here).
#![deny(deprecated)]
use cb_scopes::scopes;

scopes! {
    #[send_limit(amount = "50.00", currency = "USD", period = "day")]
    pub struct Payouts(wallet:transactions:send, wallet:transactions:send:bypass-2fa);
}

type Anonymous = scopes!(wallet:transactions:send:bypass-2fa);

fn main() {}
