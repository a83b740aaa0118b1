//! Payment methods: `/v2/payment-methods`.

use cb_scopes::{DeclaredScopes, Scope, requires_scope};
use reqwest::Method;

use super::{needs, segment};
use crate::api::{Call, data};
use crate::list::List;
use crate::models::{PaymentMethod, PaymentMethodId, PaymentMethodLimits};
use crate::{Client, Error};

impl<S: DeclaredScopes> Client<S> {
    /// The user's payment methods.
    ///
    /// - **Route:** `GET /v2/payment-methods`
    /// - **Scope:** `wallet:payment-methods:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:payment-methods:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// for method in client.payment_methods().all().await? {
    ///     println!("{} ({})", method.name, method.kind);
    /// }
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:payment-methods:read)]
    pub fn payment_methods(&self) -> List<PaymentMethod> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                "v2/payment-methods".to_owned(),
                needs(&[Scope::WalletPaymentMethodsRead]),
            ),
        )
    }

    /// One payment method.
    ///
    /// - **Route:** `GET /v2/payment-methods/:id`
    /// - **Scope:** `wallet:payment-methods:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:payment-methods:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let method = client.payment_method(&"83562370-3e5c-51db-87da-752af5ab9559".into()).await?;
    /// println!("{}", method.name);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:payment-methods:read)]
    pub async fn payment_method(&self, id: &PaymentMethodId) -> Result<PaymentMethod, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!("v2/payment-methods/{}", segment(id.as_str())),
                    needs(&[Scope::WalletPaymentMethodsRead]),
                ))
                .await?,
        )
    }

    /// A payment method's buy, sell and deposit limits. Coinbase shows them only with
    /// `wallet:payment-methods:limits` besides `wallet:payment-methods:read`.
    ///
    /// - **Route:** `GET /v2/payment-methods/:id`
    /// - **Scope:** `wallet:payment-methods:read` and `wallet:payment-methods:limits`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:payment-methods:read, wallet:payment-methods:limits); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let limits = client.payment_method_limits(&"83562370-3e5c-51db-87da-752af5ab9559".into()).await?;
    /// println!("{:?}", limits.buy.first().map(|limit| &limit.remaining));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:payment-methods:read, wallet:payment-methods:limits)]
    pub async fn payment_method_limits(
        &self,
        id: &PaymentMethodId,
    ) -> Result<PaymentMethodLimits, Error> {
        let method: PaymentMethod = data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!("v2/payment-methods/{}", segment(id.as_str())),
                    needs(&[Scope::WalletPaymentMethodsRead, Scope::WalletPaymentMethodsLimits]),
                ))
                .await?,
        )?;
        method.limits.ok_or_else(|| Error::invalid_response("the payment method has no limits"))
    }

    /// Removes a payment method.
    ///
    /// - **Route:** `DELETE /v2/payment-methods/:id`
    /// - **Scope:** `wallet:payment-methods:delete`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:payment-methods:delete); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// client.delete_payment_method(&"83562370-3e5c-51db-87da-752af5ab9559".into()).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:payment-methods:delete)]
    pub async fn delete_payment_method(&self, id: &PaymentMethodId) -> Result<(), Error> {
        self.api
            .execute(&Call::new(
                Method::DELETE,
                format!("v2/payment-methods/{}", segment(id.as_str())),
                needs(&[Scope::WalletPaymentMethodsDelete]),
            ))
            .await
            .map(drop)
    }
}
