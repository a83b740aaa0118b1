// Awaiting an async endpoint with a grant whose set lacks its scope.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Reader(wallet:accounts:read);
}

#[requires_scope(wallet:transactions:read)]
async fn transactions<S>(_grant: &Grant<S>) -> usize {
    0
}

async fn run() {
    let grant = Grant::<Reader>::check(ScopeSet::all()).unwrap();
    transactions(&grant).await;
}

fn main() {
    let _ = run();
}
