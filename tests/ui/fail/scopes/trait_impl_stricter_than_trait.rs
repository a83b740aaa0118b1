// An impl cannot require more scopes than its trait method declares.
use cb_scopes::{Grant, requires_scope};

pub trait Ledger<S> {
    #[requires_scope(S: wallet:transactions:read)]
    fn history(&self, grant: &Grant<S>);
}

pub struct Books;

impl<S> Ledger<S> for Books {
    #[requires_scope(S: wallet:transactions:read, wallet:transactions:send)]
    fn history(&self, _grant: &Grant<S>) {}
}

fn main() {}
