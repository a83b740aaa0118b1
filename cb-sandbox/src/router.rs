//! The router: every route the sandbox serves, behind the middleware.

use axum::Router;
use axum::routing::{get, post};

use crate::oauth::{authorize, consent_page, token};
use crate::state::AppState;
use crate::world::TradeKind;
use crate::{api, middleware, wire};

pub(crate) fn router(state: AppState) -> Router {
    let oauth = Router::new()
        .route("/oauth2/auth", get(authorize::authorize))
        .route("/oauth/authorize", get(authorize::authorize))
        .route("/oauth2/consent", post(consent_page::submit))
        .route("/oauth2/token", post(token::token))
        .route("/oauth/token", post(token::token))
        .route("/oauth2/revoke", post(token::revoke))
        .route("/oauth/revoke", post(token::revoke));

    let accounts = "/v2/accounts/{account}";
    let api = Router::new()
        .route("/v2/user", get(api::users::current_user).put(api::users::update_user))
        .route("/v2/user/auth", get(api::users::auth_info))
        .route("/v2/users/{user}", get(api::users::user))
        .route("/v2/accounts", get(api::accounts::list).post(api::accounts::create))
        .route(
            accounts,
            get(api::accounts::show).put(api::accounts::update).delete(api::accounts::remove),
        )
        .route(&format!("{accounts}/primary"), post(api::accounts::set_primary))
        .route(
            &format!("{accounts}/addresses"),
            get(api::accounts::addresses).post(api::accounts::create_address),
        )
        .route(&format!("{accounts}/addresses/{{address}}"), get(api::accounts::address))
        .route(
            &format!("{accounts}/addresses/{{address}}/transactions"),
            get(api::accounts::address_transactions),
        )
        .route(
            &format!("{accounts}/transactions"),
            get(api::transactions::list).post(api::transactions::create),
        )
        .route(
            &format!("{accounts}/transactions/{{transaction}}"),
            get(api::transactions::show).delete(api::transactions::cancel_request),
        )
        .route(
            &format!("{accounts}/transactions/{{transaction}}/complete"),
            post(api::transactions::complete_request),
        )
        .route(
            &format!("{accounts}/transactions/{{transaction}}/resend"),
            post(api::transactions::resend_request),
        )
        .route("/v2/payment-methods", get(api::payment_methods::list))
        .route(
            "/v2/payment-methods/{method}",
            get(api::payment_methods::show).delete(api::payment_methods::remove),
        )
        .route("/v2/notifications", get(api::payment_methods::notifications))
        .route("/v2/notifications/{notification}", get(api::payment_methods::notification));

    // Buys, sells, deposits and withdrawals share their handlers; each has
    // its own routes, so that faults and records name them.
    let api = [TradeKind::Buy, TradeKind::Sell, TradeKind::Deposit, TradeKind::Withdrawal]
        .into_iter()
        .fold(api, |api, kind| {
            let collection = format!("{accounts}/{}", kind.collection());
            api.route(
                &collection,
                get(move |caller, path| api::trades::list(kind, caller, path))
                    .post(move |caller, path, body| api::trades::create(kind, caller, path, body)),
            )
            .route(
                &format!("{collection}/{{trade}}"),
                get(move |caller, path| api::trades::show(kind, caller, path)),
            )
            .route(
                &format!("{collection}/{{trade}}/commit"),
                post(move |caller, path| api::trades::commit(kind, caller, path)),
            )
        });

    // Advanced Trade, each route gated by the scope Coinbase's table gives.
    let v3 = "/api/v3/brokerage";
    let route = |path: &str| format!("{v3}{path}");
    use api::v3::{accounts as brokerage, convert, orders, payment_methods as funding, products};
    let api = api
        .route(&route("/orders"), post(orders::create))
        .route(&route("/orders/preview"), post(orders::preview))
        .route(&route("/orders/edit"), post(orders::edit))
        .route(&route("/orders/edit_preview"), post(orders::edit_preview))
        .route(&route("/orders/batch_cancel"), post(orders::batch_cancel))
        .route(&route("/orders/close_position"), post(orders::close_position))
        .route(&route("/orders/historical/batch"), get(orders::list))
        .route(&route("/orders/historical/fills"), get(orders::fills))
        .route(&route("/orders/historical/{order}"), get(orders::show))
        .route(&route("/accounts"), get(brokerage::list))
        .route(&route("/accounts/{account}"), get(brokerage::show))
        .route(&route("/portfolios"), get(brokerage::portfolios))
        .route(&route("/portfolios/{portfolio}"), get(brokerage::portfolio))
        .route(&route("/transaction_summary"), get(brokerage::transaction_summary))
        .route(&route("/products"), get(products::list))
        .route(&route("/products/{product}"), get(products::show))
        .route(&route("/products/{product}/candles"), get(products::candles))
        .route(&route("/products/{product}/ticker"), get(products::ticker))
        .route(&route("/best_bid_ask"), get(products::best_bid_ask))
        .route(&route("/product_book"), get(products::product_book))
        .route(&route("/payment_methods"), get(funding::list))
        .route(&route("/payment_methods/{method}"), get(funding::show))
        .route(&route("/convert/quote"), post(convert::quote))
        .route(&route("/convert/trade/{trade}"), get(convert::show).post(convert::commit));

    oauth
        .merge(api)
        .fallback(wire::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::layer))
        .with_state(state)
}
