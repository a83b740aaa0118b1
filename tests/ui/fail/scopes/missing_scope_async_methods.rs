// Awaiting async methods, inherent and of a trait, with a grant whose set
// lacks their scope. As for a free `async fn`, rustc reports the unmet scope
// at the argument, the call and the `.await`: an `async fn` returns an
// opaque future that carries the function's bounds, and every use of it
// proves them again (see the docs of `requires_scope`).
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Reader(wallet:accounts:read);
}

pub struct Wallet;

impl Wallet {
    #[requires_scope(wallet:transactions:read)]
    pub async fn history<S>(&self, _grant: &Grant<S>) -> usize {
        0
    }
}

trait Payouts {
    #[requires_scope(wallet:transactions:send)]
    async fn pay<S>(&self, grant: &Grant<S>);
}

impl Payouts for Wallet {
    #[requires_scope(wallet:transactions:send)]
    async fn pay<S>(&self, _grant: &Grant<S>) {}
}

async fn run() {
    let grant = Grant::<Reader>::check(ScopeSet::all()).unwrap();
    Wallet.history(&grant).await;
    Wallet.pay(&grant).await;
}

fn main() {
    let _ = run();
}
