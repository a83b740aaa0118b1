// A missing letter gets a suggestion, in a set declaration too.
use cb_scopes::scopes;

scopes! {
    pub struct Banking(wallet:payment-method:read);
}

fn main() {}
