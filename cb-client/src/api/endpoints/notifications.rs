//! Notifications: `/v2/notifications`.

use crate::api::list::List;
use crate::api::models::{Notification, NotificationId};
use crate::api::request::ApiRequest;

endpoints! {
    /// The notifications Coinbase sent about the user.
    #[endpoint(GET "/v2/notifications", wallet:notifications:read)]
    #[example]
    /// let latest = client.notifications().limit(10).page().await?;
    /// println!("{}", latest.items.len());
    pub fn notifications(&self) -> List<Notification> {
        self.list(ENDPOINT.at([]))
    }

    /// One notification.
    #[endpoint(GET "/v2/notifications/:id", wallet:notifications:read)]
    #[example]
    /// let notification = client.notification(&"6bf0ca21-0b2f-5e8a-b95e-7bd7eaccc338".into()).await?;
    /// println!("{}", notification.kind);
    pub fn notification(&self, id: &NotificationId) -> ApiRequest<Notification> {
        self.fetch(ENDPOINT.at([id.as_str()]))
    }
}
