//! Notifications: `/v2/notifications`.

use cb_scopes::{DeclaredScopes, Scope, requires_scope};
use reqwest::Method;

use super::{needs, segment};
use crate::api::{Call, data};
use crate::list::List;
use crate::models::{Notification, NotificationId};
use crate::{Client, Error};

impl<S: DeclaredScopes> Client<S> {
    /// The notifications Coinbase sent about the user.
    ///
    /// - **Route:** `GET /v2/notifications`
    /// - **Scope:** `wallet:notifications:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:notifications:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let latest = client.notifications().limit(10).page().await?;
    /// println!("{}", latest.items.len());
    /// # Ok(()) }
    /// ```
    #[requires_scope(S: wallet:notifications:read)]
    pub fn notifications(&self) -> List<Notification> {
        List::new(
            self.api.clone(),
            Call::new(
                Method::GET,
                "v2/notifications".to_owned(),
                needs(&[Scope::WalletNotificationsRead]),
            ),
        )
    }

    /// One notification.
    ///
    /// - **Route:** `GET /v2/notifications/:id`
    /// - **Scope:** `wallet:notifications:read`
    ///
    /// ```no_run
    /// # use cb_client::*;
    /// # use cb_client::models::*;
    /// # use rust_decimal::Decimal;
    /// # cb_scopes::scopes! { struct App(wallet:notifications:read); }
    /// # async fn demo(client: Client<App>) -> Result<(), Error> {
    /// let notification = client.notification(&"6bf0ca21-0b2f-5e8a-b95e-7bd7eaccc338".into()).await?;
    /// println!("{}", notification.kind);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As any request; see [`Error`].
    #[requires_scope(S: wallet:notifications:read)]
    pub async fn notification(&self, id: &NotificationId) -> Result<Notification, Error> {
        data(
            self.api
                .execute(&Call::new(
                    Method::GET,
                    format!("v2/notifications/{}", segment(id.as_str())),
                    needs(&[Scope::WalletNotificationsRead]),
                ))
                .await?,
        )
    }
}
