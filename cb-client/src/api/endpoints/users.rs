//! Users: `/v2/user`, `/v2/users/:id`.

use crate::api::models::{User, UserId, UserUpdate};
use crate::api::request::ApiRequest;
use crate::api::transport::read_data;
use crate::error::Error;

endpoints! {
    /// The current user's public fields.
    #[endpoint(GET "/v2/user")]
    #[example]
    /// let user = client.current_user().await?;
    /// println!("{:?}", user.name);
    pub fn current_user(&self) -> ApiRequest<User> {
        self.fetch(ENDPOINT.at([]))
    }

    /// The current user with private fields: time zone, native currency, country, and more.
    #[endpoint(GET "/v2/user", wallet:user:read)]
    #[example]
    /// let user = client.current_user_details().await?;
    /// println!("{:?}", user.native_currency);
    pub fn current_user_details(&self) -> ApiRequest<User> {
        self.fetch(ENDPOINT.at([]))
    }

    /// The current user's email address.
    #[endpoint(GET "/v2/user", wallet:user:email)]
    #[example]
    /// let email = client.current_user_email().await?;
    /// println!("{email}");
    pub fn current_user_email(&self) -> ApiRequest<String> {
        self.fetch_as(ENDPOINT.at([]), |body| {
            let user: User = read_data(body)?;
            user.email.ok_or_else(|| Error::invalid_response("the user has no email field"))
        })
    }

    /// Changes the current user's name, time zone or native currency.
    #[endpoint(PUT "/v2/user", wallet:user:update)]
    #[example]
    /// let user = client.update_user(UserUpdate::new().time_zone("Europe/Paris")).await?;
    /// println!("{:?}", user.time_zone);
    pub fn update_user(&self, update: UserUpdate) -> ApiRequest<User> {
        let body = serde_json::to_value(&update).unwrap_or_default();
        self.fetch(ENDPOINT.at([]).body(body))
    }

    /// Another user's public fields.
    #[endpoint(GET "/v2/users/:id")]
    #[example]
    /// let user = client.user(&"9da7a204-544e-5fd1-9a12-61176c5d4cd8".into()).await?;
    /// println!("{:?}", user.name);
    pub fn user(&self, id: &UserId) -> ApiRequest<User> {
        self.fetch(ENDPOINT.at([id.as_str()]))
    }
}
