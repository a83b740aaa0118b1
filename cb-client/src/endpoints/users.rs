//! Users: `/v2/user`, `/v2/users/:id`.

use cb_scopes::{DeclaredScopes, Scope, requires_scope};
use reqwest::Method;

use super::{needs, segment};
use crate::api::{Call, data};
use crate::models::{User, UserId, UserUpdate};
use crate::{Client, Error};

impl<S: DeclaredScopes> Client<S> {
    /// The current user's public fields.
    ///
    /// - **Route:** `GET /v2/user`
    /// - **Scope:** no scope
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let user = client.current_user().await?;
    /// println!("{:?}", user.name);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    pub async fn current_user(&self) -> Result<User, Error> {
        data(self.api.execute(&Call::new(Method::GET, "v2/user".to_owned(), needs(&[]))).await?)
    }

    /// The current user with private fields: time zone, native currency, country, and more.
    ///
    /// - **Route:** `GET /v2/user`
    /// - **Scope:** `wallet:user:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:user:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let user = client.current_user_details().await?;
    /// println!("{:?}", user.native_currency);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:user:read)]
    pub async fn current_user_details(&self) -> Result<User, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    "v2/user".to_owned(),
                    needs(&[Scope::WalletUserRead]),
                ))
                .await?,
        )
    }

    /// The current user's email address.
    ///
    /// - **Route:** `GET /v2/user`
    /// - **Scope:** `wallet:user:email`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:user:email); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let email = client.current_user_email().await?;
    /// println!("{email}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:user:email)]
    pub async fn current_user_email(&self) -> Result<String, Error> {
        let user: User = data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    "v2/user".to_owned(),
                    needs(&[Scope::WalletUserEmail]),
                ))
                .await?,
        )?;
        user.email.ok_or_else(|| Error::invalid_response("the user has no email field"))
    }

    /// Another user's public fields.
    ///
    /// - **Route:** `GET /v2/users/:id`
    /// - **Scope:** no scope
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let user = client.user(&"9da7a204-544e-5fd1-9a12-61176c5d4cd8".into()).await?;
    /// println!("{:?}", user.name);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    pub async fn user(&self, id: &UserId) -> Result<User, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!("v2/users/{}", segment(id.as_str())),
                    needs(&[]),
                ))
                .await?,
        )
    }

    /// Changes the current user's name, time zone or native currency.
    ///
    /// - **Route:** `PUT /v2/user`
    /// - **Scope:** `wallet:user:update`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:user:update); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let user = client.update_user(UserUpdate::new().time_zone("Europe/Paris")).await?;
    /// println!("{:?}", user.time_zone);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:user:update)]
    pub async fn update_user(&self, update: UserUpdate) -> Result<User, Error> {
        data(
            self.api
                .execute(
                    &Call::new(
                        Method::PUT,
                        "v2/user".to_owned(),
                        needs(&[Scope::WalletUserUpdate]),
                    )
                    .body(serde_json::to_value(&update).unwrap_or_default()),
                )
                .await?,
        )
    }
}
