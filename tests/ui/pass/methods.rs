// Inherent methods: generic over the set themselves, or through the `impl`.
use cb_scopes::{Grant, ScopeSet, requires_scope, scopes};

scopes! {
    pub struct Banking(wallet:payment-methods:read, wallet:payment-methods:limits);
}

pub struct Client<S> {
    grant: Grant<S>,
}

impl<S> Client<S> {
    #[requires_scope(S: wallet:payment-methods:read)]
    pub fn payment_methods(&self) -> usize {
        self.grant.granted().len()
    }

    #[requires_scope(S: wallet:payment-methods:read, wallet:payment-methods:limits)]
    pub async fn limits(&self) -> usize {
        self.payment_methods()
    }
}

pub struct Audit;

impl Audit {
    #[requires_scope(wallet:payment-methods:read)]
    pub fn check<S>(&self, client: &Client<S>) -> usize {
        client.payment_methods()
    }
}

fn main() {
    let granted: ScopeSet = "wallet:payment-methods:read wallet:payment-methods:limits".parse().unwrap();
    let client = Client { grant: Grant::<Banking>::check(granted).unwrap() };
    assert_eq!(Audit.check(&client), 2);
    drop(client.limits());
}
