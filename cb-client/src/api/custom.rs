//! Endpoints the crate does not cover, declared by the app with
//! [`endpoint!`](crate::endpoint!): the same call machinery (retries, the
//! origin check, typed errors, pages) and the same compile-time scope bound
//! as the crate's own.

use cb_scopes::ScopeSet;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::api::client::Client;
use crate::api::endpoints::Endpoint;
use crate::api::list::List;
use crate::api::request::ApiRequest;
use crate::api::transport::{read_data, read_json};
use crate::error::Error;

/// An app's endpoint: its method, route (`:param` segments) and scopes.
/// Made by [`endpoint!`](crate::endpoint!), which also writes the function
/// that carries the scope bound; not meant to be written by hand.
#[doc(hidden)]
#[derive(Debug)]
pub struct CustomEndpoint {
    endpoint: Endpoint,
}

impl CustomEndpoint {
    #[doc(hidden)]
    pub const fn new(method: Method, route: &'static str, needed: ScopeSet) -> Self {
        CustomEndpoint { endpoint: Endpoint { method, route, needed } }
    }

    /// The call, its `:param` segments filled by `ids` in order (each
    /// encoded as one path segment), with `body` as its JSON body. The
    /// answer of a `/v2/` route is read from its `data`; any other route's
    /// answer is the body itself, as Advanced Trade answers.
    #[doc(hidden)]
    #[track_caller]
    pub fn request<S, T: DeserializeOwned, const N: usize>(
        &self,
        client: &Client<S>,
        ids: [&str; N],
        body: Option<Result<serde_json::Value, serde_json::Error>>,
    ) -> ApiRequest<T> {
        let mut call = self.endpoint.at(ids);
        let read =
            if self.endpoint.route.starts_with("/v2/") { read_data::<T> } else { read_json::<T> };
        match body {
            None => {}
            Some(Ok(body)) => call = call.body(body),
            // Sending the request without its body would be another
            // request: it fails instead, and nothing is sent.
            Some(Err(error)) => {
                let refused = Error::InvalidBody(error);
                return ApiRequest::refused(client.api.clone(), call, read, refused);
            }
        }
        ApiRequest::new(client.api.clone(), call, read)
    }

    /// The v2 list the call's first page starts.
    #[doc(hidden)]
    #[track_caller]
    pub fn list<S, T: DeserializeOwned + Send + 'static, const N: usize>(
        &self,
        client: &Client<S>,
        ids: [&str; N],
    ) -> List<T> {
        List::new(client.api.clone(), self.endpoint.at(ids))
    }
}

/// How many `:param` segments `route` has: the number of ids a declaration
/// must take, checked when it compiles.
#[doc(hidden)]
pub const fn route_params(route: &str) -> usize {
    let bytes = route.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b':' && i > 0 && bytes[i - 1] == b'/' {
            count += 1;
        }
        i += 1;
    }
    count
}

/// Declares an endpoint the crate does not cover, the way the crate
/// declares its own: its summary, `#[endpoint(METHOD "/route/:param",
/// scope, ...)]`, and a function signature whose parameters fill the
/// route's `:param`s in order (anything that is `AsRef<str>`; as many as
/// the route has, or the declaration does not compile), followed,
/// for a request with a body, by `; body: Type` (anything `Serialize`).
/// The answer type is any `Deserialize` type, or `List<T>` for a v2 list.
/// A body that cannot be JSON fails the call with
/// [`Error::InvalidBody`](crate::Error::InvalidBody) before anything is sent.
///
/// It writes a function that takes the client first and carries the
/// scopes as a `#[requires_scope]` bound: calling it with a set that lacks
/// them does not compile, and the least-privilege audit counts it like any
/// other endpoint. The call goes through the client's machinery: retries
/// (of reads, and of requests that cannot be applied twice), the origin
/// check, pages, and typed errors (a scope Coinbase refuses is
/// [`Error::ScopeRefused`](crate::Error::ScopeRefused) naming these scopes).
/// A `/v2/` answer is read from its `data`; any other route's answer is the
/// whole body, as Advanced Trade answers.
///
/// ```no_run
/// use cb_client::{Client, Error, cb_scopes::scopes};
/// use serde::Deserialize;
///
/// #[derive(Debug, Deserialize)]
/// pub struct PaymentMethods {
///     pub payment_methods: Vec<PaymentMethod>,
/// }
///
/// #[derive(Debug, Deserialize)]
/// pub struct PaymentMethod {
///     pub id: String,
///     pub name: String,
///     pub currency: String,
///     pub allow_buy: bool,
/// }
///
/// cb_client::endpoint! {
///     /// Advanced Trade's payment methods of the user.
///     #[endpoint(GET "/api/v3/brokerage/payment_methods", wallet:payment-methods:read)]
///     pub fn payment_methods() -> PaymentMethods;
/// }
///
/// scopes! { struct Funding(wallet:payment-methods:read); }
///
/// async fn demo(client: Client<Funding>) -> Result<(), Error> {
///     for method in payment_methods(&client).await?.payment_methods {
///         println!("{} ({})", method.name, method.currency);
///     }
///     Ok(())
/// }
/// ```
#[macro_export]
macro_rules! endpoint {
    // A v2 list.
    (
        $(#[doc = $doc:literal])*
        #[endpoint($method:ident $route:literal $(, $($scope:tt)+)?)]
        $vis:vis fn $name:ident($($id:ident: $id_type:ty),* $(,)?) -> List<$item:ty>;
    ) => {
        $(#[doc = $doc])*
        $(#[$crate::cb_scopes::requires_scope(S: $($scope)+)])?
        $vis fn $name<S: $crate::cb_scopes::DeclaredScopes>(
            client: &$crate::Client<S>,
            $($id: $id_type),*
        ) -> $crate::List<$item> {
            const ENDPOINT: $crate::__private::CustomEndpoint =
                $crate::endpoint!(@endpoint $method $route [$($id),*] $($($scope)+)?);
            ENDPOINT.list(client, [$(::core::convert::AsRef::<str>::as_ref(&$id)),*])
        }
    };
    // With a body.
    (
        $(#[doc = $doc:literal])*
        #[endpoint($method:ident $route:literal $(, $($scope:tt)+)?)]
        $vis:vis fn $name:ident($($id:ident: $id_type:ty),* ; $body:ident: $body_type:ty) -> $answer:ty;
    ) => {
        $(#[doc = $doc])*
        $(#[$crate::cb_scopes::requires_scope(S: $($scope)+)])?
        $vis fn $name<S: $crate::cb_scopes::DeclaredScopes>(
            client: &$crate::Client<S>,
            $($id: $id_type,)*
            $body: $body_type,
        ) -> $crate::ApiRequest<$answer> {
            const ENDPOINT: $crate::__private::CustomEndpoint =
                $crate::endpoint!(@endpoint $method $route [$($id),*] $($($scope)+)?);
            let body = $crate::__private::serde_json::to_value(&$body);
            ENDPOINT.request(client, [$(::core::convert::AsRef::<str>::as_ref(&$id)),*], Some(body))
        }
    };
    (
        $(#[doc = $doc:literal])*
        #[endpoint($method:ident $route:literal $(, $($scope:tt)+)?)]
        $vis:vis fn $name:ident($($id:ident: $id_type:ty),* $(,)?) -> $answer:ty;
    ) => {
        $(#[doc = $doc])*
        $(#[$crate::cb_scopes::requires_scope(S: $($scope)+)])?
        $vis fn $name<S: $crate::cb_scopes::DeclaredScopes>(
            client: &$crate::Client<S>,
            $($id: $id_type),*
        ) -> $crate::ApiRequest<$answer> {
            const ENDPOINT: $crate::__private::CustomEndpoint =
                $crate::endpoint!(@endpoint $method $route [$($id),*] $($($scope)+)?);
            ENDPOINT.request(client, [$(::core::convert::AsRef::<str>::as_ref(&$id)),*], None)
        }
    };
    // The endpoint's value, after checking at compile time that the ids are
    // as many as the route's `:params`.
    (@endpoint $method:ident $route:literal [$($id:ident),*] $($scope:tt)*) => {{
        const _: () = ::core::assert!(
            $crate::__private::route_params($route) == <[&str]>::len(&[$(::core::stringify!($id)),*]),
            "the function takes another number of ids than the route has `:params`",
        );
        $crate::__private::CustomEndpoint::new(
            $crate::__private::Method::$method,
            $route,
            $crate::cb_scopes::__private::scope_list(stringify!($($scope)*)),
        )
    }};
}

#[cfg(test)]
mod tests {
    use super::route_params;

    #[test]
    fn a_routes_params_are_counted_at_compile_time() {
        const TWO: usize = route_params("/v2/accounts/:id/deposits/:deposit_id");
        assert_eq!(TWO, 2);
        assert_eq!(route_params("/api/v3/brokerage/payment_methods"), 0);
        // A colon inside a segment is not a parameter.
        assert_eq!(route_params("/v2/a:b/:c"), 1);
    }
}
