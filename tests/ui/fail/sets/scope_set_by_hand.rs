// Only `scopes!` declares sets: a hand-written impl cannot claim scopes.
use cb_scopes::{DeclaredScopes, ScopeSet, SendLimit};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Everything;

impl DeclaredScopes for Everything {
    const SCOPES: ScopeSet = ScopeSet::all();
    const SEND_LIMIT: Option<SendLimit> = None;
    type Canonical = Everything;
}

fn main() {}
