// A method whose set is a parameter of the `impl` must name it.
use cb_scopes::{Grant, requires_scope};

pub struct Client<S> {
    grant: Grant<S>,
}

impl<S> Client<S> {
    #[requires_scope(wallet:accounts:read)]
    pub fn accounts(&self) -> &Grant<S> {
        &self.grant
    }
}

fn main() {}
