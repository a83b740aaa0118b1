//! The v2 endpoints as methods of `Client<S>`, one file per resource.
//!
//! Each endpoint is declared once, with [`endpoints!`]: its route and its
//! scopes are written in one attribute, and from it come the method's
//! `#[requires_scope]` bound (so the library checks itself: calling an
//! endpoint whose scope the set lacks does not compile), the scopes named
//! when Coinbase refuses one at run time, the rustdoc's route and scope
//! lines, and the doc example's setup. Each body is then one line through
//! the helpers below.

use cb_scopes::ScopeSet;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::api::client::Client;
use crate::api::cursor_list::{CursorList, CursorPage};
use crate::api::executor::Call;
use crate::api::list::List;
use crate::api::models::transaction::Transaction;
use crate::api::request::ApiRequest;
use crate::api::transport::read_data;
use crate::error::Error;

/// The doc example's send limit, for a set that can send: `scopes!`
/// requires one exactly then.
macro_rules! send_limit_for {
    (wallet:transactions:send) => {
        "#[send_limit(amount = \"100.00\", currency = \"USD\", period = \"day\")] "
    };
    ($($other:tt)*) => {
        ""
    };
}

/// The scopes of the doc example's set: a choice's first alternative.
macro_rules! example_scopes {
    (any($a:ident : $b:ident : $c:ident, $($rest:tt)*)) => {
        stringify!($a:$b:$c)
    };
    ($($scope:tt)*) => {
        stringify!($($scope)*)
    };
}

/// The rustdoc of an endpoint's scopes.
macro_rules! scope_doc {
    () => {
        "none"
    };
    (any($($scope:tt)+)) => {
        concat!("one of `", stringify!($($scope)+), "`")
    };
    ($($scope:tt)+) => {
        concat!("`", stringify!($($scope)+), "`")
    };
}

/// Declares a file's endpoints as methods of `Client<S>`.
///
/// Each endpoint is its summary, `#[endpoint(METHOD "/route/:param",
/// scope, ...)]` (or no scope at all), `#[example]` and the example's lines (the client is in
/// scope as `client`, typed by a set of exactly these scopes; `?` works),
/// then the method. Its body names the endpoint as `ENDPOINT`, whose
/// [`at`](Endpoint::at) fills the route's parameters in order.
///
/// Besides the methods, it makes `ENDPOINTS`: every endpoint of the file
/// with its method's name, for the test that checks them against the
/// scopes the attribute registered.
macro_rules! endpoints {
    // One endpoint's value, for its method's body and for `ENDPOINTS`.
    (@endpoint $method:ident $route:literal $($scope:tt)*) => {
        $crate::api::endpoints::Endpoint {
            method: ::reqwest::Method::$method,
            route: $route,
            needed: ::cb_scopes::__private::scope_list(stringify!($($scope)*)),
        }
    };
    ($(
        $(#[doc = $doc:literal])*
        #[endpoint($method:ident $route:literal $(, $($scope:tt)+)?)]
        #[example]
        $(#[doc = $example:literal])*
        pub $($head:ident)+ ($($params:tt)*) -> $ret:ty $body:block
    )*) => {
        /// # Errors
        ///
        /// Every endpoint fails as any request does; see [`Error`](crate::Error).
        impl<S: ::cb_scopes::DeclaredScopes> $crate::api::client::Client<S> {$(
            $(#[doc = $doc])*
            #[doc = ""]
            #[doc = concat!(" - **Route:** `", stringify!($method), " ", $route, "`")]
            #[doc = concat!(" - **Scope:** ", scope_doc!($($($scope)+)?))]
            #[doc = ""]
            #[doc = " ```no_run"]
            #[doc = " # use cb_client::*;"]
            #[doc = " # use cb_client::models::*;"]
            #[doc = concat!(
                " # cb_scopes::scopes! { ", send_limit_for!($($($scope)+)?),
                "struct App(", example_scopes!($($($scope)+)?), "); }"
            )]
            #[doc = " # async fn demo(client: Client<App>) -> Result<(), Error> {"]
            $(#[doc = $example])*
            #[doc = " # Ok(()) }"]
            #[doc = " ```"]
            $(#[::cb_scopes::requires_scope(S: $($scope)+)])?
            pub $($head)+ ($($params)*) -> $ret {
                const ENDPOINT: $crate::api::endpoints::Endpoint =
                    endpoints!(@endpoint $method $route $($($scope)+)?);
                $body
            }
        )*}

        #[cfg(test)]
        pub(super) const ENDPOINTS: &[(&str, $crate::api::endpoints::Endpoint)] = &[$((
            stringify!($($head)+),
            endpoints!(@endpoint $method $route $($($scope)+)?),
        )),*];
    };
}

mod accounts;
mod addresses;
mod advanced_trade;
mod convert;
mod notifications;
mod payment_methods;
mod trades;
mod transactions;
mod users;

/// One endpoint: its method, its route with `:param` segments, and the
/// scopes it needs, which [`Error::ScopeRefused`] names.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) method: Method,
    pub(crate) route: &'static str,
    pub(crate) needed: ScopeSet,
}

impl Endpoint {
    /// A call to this endpoint, its `:param` segments filled by `ids` in
    /// order, each encoded as one segment so that it cannot change the
    /// route.
    ///
    /// # Panics
    ///
    /// When `ids` are not as many as the route's parameters, in every
    /// build: that is a mistake in the endpoint's declaration, which the
    /// endpoint tests reach, never something a caller's input decides.
    #[track_caller]
    pub(crate) fn at<const N: usize>(&self, ids: [&str; N]) -> Call {
        let parameters = self.route.split('/').filter(|part| part.starts_with(':')).count();
        assert_eq!(N, parameters, "{} takes {parameters} ids", self.route);
        let mut ids = ids.into_iter();
        let mut path = String::with_capacity(self.route.len() + 40);
        for part in self.route.trim_start_matches('/').split('/') {
            if !path.is_empty() {
                path.push('/');
            }
            if part.starts_with(':') {
                // The count was checked: every parameter has its id.
                path.extend(utf8_percent_encode(ids.next().unwrap_or_default(), SEGMENT));
            } else {
                path.push_str(part);
            }
        }
        let mut call = Call::new(self.method.clone(), path, self.needed);
        call.template = Some(self.route);
        call
    }
}

/// What stays unescaped in a path segment: RFC 3986's unreserved set.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The one-line bodies of endpoints.
impl<S> Client<S> {
    /// The call, whose answer's `data` is the endpoint's resource.
    fn fetch<T: DeserializeOwned>(&self, call: Call) -> ApiRequest<T> {
        ApiRequest::new(self.api.clone(), call, read_data)
    }

    /// The call, whose answer's body `read` turns into what the endpoint
    /// returns.
    fn fetch_as<T>(&self, call: Call, read: fn(&[u8]) -> Result<T, Error>) -> ApiRequest<T> {
        ApiRequest::new(self.api.clone(), call, read)
    }

    /// The call, whose answer has no content.
    fn fetch_nothing(&self, call: Call) -> ApiRequest<()> {
        ApiRequest::new(self.api.clone(), call, |_| Ok(()))
    }

    /// The Advanced Trade list the call's first page starts, each page
    /// read by `read`.
    fn cursor_list<T: Send + 'static>(
        &self,
        call: Call,
        read: fn(&[u8]) -> Result<CursorPage<T>, Error>,
    ) -> CursorList<T> {
        CursorList::new(self.api.clone(), call, read)
    }

    /// The list the call's first page starts.
    fn list<T: DeserializeOwned + Send + 'static>(&self, call: Call) -> List<T> {
        List::new(self.api.clone(), call)
    }

    /// A send, which carries its `idem` and so may be retried, and which
    /// Coinbase may hold for a two-factor code.
    fn send(&self, call: Call) -> ApiRequest<Transaction> {
        ApiRequest::send(self.api.clone(), call, read_data)
    }
}

#[cfg(test)]
mod tests {
    use cb_scopes::audit::registrations;

    use super::*;

    #[test]
    fn ids_cannot_leave_their_segment() {
        let endpoint = Endpoint {
            method: Method::GET,
            route: "/v2/accounts/:id/transactions/:tx",
            needed: ScopeSet::empty(),
        };
        let call = endpoint.at(["BTC", "../user?x=1"]);
        assert_eq!(call.path, "v2/accounts/BTC/transactions/..%2Fuser%3Fx%3D1");
        assert_eq!(call.method, Method::GET);
    }

    #[test]
    fn a_wrong_number_of_ids_is_refused() {
        let endpoint = Endpoint {
            method: Method::GET,
            route: "/v2/accounts/:id/transactions/:tx",
            needed: ScopeSet::empty(),
        };
        for outcome in [
            std::panic::catch_unwind(|| endpoint.at(["BTC"])),
            std::panic::catch_unwind(|| endpoint.at(["BTC", "tx", "more"])),
        ] {
            let message = *outcome.unwrap_err().downcast::<String>().unwrap();
            assert!(message.contains("takes 2 ids"), "{message}");
        }
    }

    /// Every endpoint's run-time scopes (named by `ScopeRefused`) are the
    /// ones its `#[requires_scope]` bound requires, as the attribute
    /// registered them for the audit; and every annotated method of this
    /// module is an endpoint.
    #[test]
    fn every_endpoint_needs_at_run_time_what_its_bound_requires() {
        let files = [
            ("accounts", accounts::ENDPOINTS),
            ("addresses", addresses::ENDPOINTS),
            ("advanced_trade", advanced_trade::ENDPOINTS),
            ("convert", convert::ENDPOINTS),
            ("notifications", notifications::ENDPOINTS),
            ("payment_methods", payment_methods::ENDPOINTS),
            ("trades", trades::ENDPOINTS),
            ("transactions", transactions::ENDPOINTS),
            ("users", users::ENDPOINTS),
        ];
        let registered: Vec<_> = registrations()
            .into_iter()
            .filter(|r| r.function.starts_with("cb_client::api::endpoints::"))
            .collect();
        let mut walked = 0;
        for (file, endpoints) in files {
            for (head, endpoint) in endpoints {
                let name = head.rsplit(' ').next().unwrap();
                let function = format!("cb_client::api::endpoints::{file}::{name}");
                let bound: ScopeSet = match registered.iter().find(|r| r.function == function) {
                    // A choice counts with every alternative, as `needed` does.
                    Some(registration) => registration.usable(),
                    // An endpoint without a scope has no bound to register.
                    None => ScopeSet::empty(),
                };
                assert_eq!(endpoint.needed, bound, "{function}");
                assert!(
                    ["/v2/", "/api/v3/brokerage/"]
                        .iter()
                        .any(|base| endpoint.route.starts_with(base)),
                    "{function}: {}",
                    endpoint.route
                );
                walked += usize::from(!bound.is_empty());
            }
        }
        assert_eq!(walked, registered.len(), "an annotated method that is not an endpoint");
        assert!(walked >= 63, "{walked} endpoints");
    }
}
