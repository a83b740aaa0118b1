// `async fn`, and an async call chain.
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Trader(wallet:accounts:read, wallet:buys:create, wallet:sells:create);
}

#[requires_scope(wallet:buys:create)]
async fn place_buy<S>(_grant: &Grant<S>) -> &'static str {
    "buy"
}

#[requires_scope(wallet:buys:create, wallet:sells:create)]
async fn rebalance<S>(grant: &Grant<S>) -> &'static str {
    place_buy(grant).await
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("nothing here waits"),
    }
}

fn main() {
    let grant = Grant::<Trader>::check(ScopeSet::all()).unwrap();
    assert_eq!(block_on(rebalance(&grant)), "buy");
}
