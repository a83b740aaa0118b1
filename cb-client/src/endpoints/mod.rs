//! The v2 endpoints as methods of `Client<S>`, one file per resource.
//!
//! Each method carries the same `#[requires_scope]` an app writes, so the
//! library checks itself: calling an endpoint whose scope the set lacks does
//! not compile.

mod accounts;
mod addresses;
mod notifications;
mod payment_methods;
mod trades;
mod transactions;
mod users;

use cb_scopes::{Scope, ScopeSet};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What stays unescaped in a path segment: RFC 3986's unreserved set.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// An id as one path segment: a `/` or `?` in it cannot change the route.
fn segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

fn needs(scopes: &[Scope]) -> ScopeSet {
    scopes.iter().copied().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_cannot_leave_their_segment() {
        assert_eq!(super::segment("BTC"), "BTC");
        assert_eq!(super::segment("../user?x=1"), "..%2Fuser%3Fx%3D1");
    }
}
