//! The authorize endpoint's request: its checks, with the messages
//! Coinbase's consent page shows, and what approving or denying it does.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use url::Url;

use crate::catalogue;
use crate::wire::Params;
use crate::world::{
    Authorization, AuthorizeRequest, CodeGrant, LimitPeriod, PkceMethod, SendLimit, World, is_fiat,
    new_id, new_secret,
};

/// Why the authorize endpoint refused a request: the message Coinbase's
/// consent page would show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeError {
    message: String,
}

impl AuthorizeError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        AuthorizeError { message: message.into() }
    }

    /// The message, such as `Invalid amount for meta[send_limit_amount]`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuthorizeError {}

impl AuthorizeRequest {
    pub(crate) fn validate(world: &World, query: &str) -> Result<Self, AuthorizeError> {
        let params = Params::parse(query);
        let one = |name| params.one(name).map_err(AuthorizeError::new);

        let client_id =
            one("client_id")?.ok_or_else(|| AuthorizeError::new("Missing client_id"))?;
        let client = world
            .clients
            .get(client_id)
            .ok_or_else(|| AuthorizeError::new("Invalid client_id: unknown client"))?;
        let redirect_uri = match one("redirect_uri")? {
            Some(uri) if client.redirect_uris.iter().any(|known| known == uri) => uri.to_owned(),
            Some(_) => return Err(AuthorizeError::new("The redirect URI included is not valid")),
            None => client
                .redirect_uris
                .first()
                .cloned()
                .ok_or_else(|| AuthorizeError::new("The client has no redirect URI"))?,
        };
        let redirect_url = Url::parse(&redirect_uri)
            .map_err(|_| AuthorizeError::new("The redirect URI included is not valid"))?;
        if one("response_type")? != Some("code") {
            return Err(AuthorizeError::new("Invalid response_type: the only option is code"));
        }

        let mut scopes = Vec::new();
        for token in catalogue::split(one("scope")?.unwrap_or("")) {
            let scope = catalogue::known(token)
                .ok_or_else(|| AuthorizeError::new(format!("Invalid scope: {token}")))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }

        let state = one("state")?.map(str::to_owned);
        if state.as_ref().is_some_and(|state| state.chars().count() < 8) {
            return Err(AuthorizeError::new("Invalid state: it must be at least 8 characters"));
        }

        let challenge = match (one("code_challenge")?, one("code_challenge_method")?) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(AuthorizeError::new("code_challenge_method without code_challenge"));
            }
            (Some(challenge), method) => {
                let method = match method.unwrap_or("plain") {
                    "S256" => PkceMethod::S256,
                    "plain" => PkceMethod::Plain,
                    _ => return Err(AuthorizeError::new("Invalid code_challenge_method")),
                };
                let valid = (43..=128).contains(&challenge.len())
                    && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
                if !valid {
                    return Err(AuthorizeError::new("Invalid code_challenge"));
                }
                Some((challenge.to_owned(), method))
            }
        };

        let account_all = match one("account")? {
            None | Some("select") | Some("new") => false,
            Some("all") => true,
            Some(_) => return Err(AuthorizeError::new("Invalid account: use select or all")),
        };
        let account_currencies = one("account_currency")?
            .map(|codes| codes.split(',').map(|code| code.trim().to_ascii_uppercase()).collect());
        if account_all && account_currencies.is_some() {
            return Err(AuthorizeError::new(
                "account_currency can only be used with account=select",
            ));
        }

        let send_limit =
            if scopes.contains(&catalogue::SEND) { Some(send_limit(&params)?) } else { None };

        Ok(AuthorizeRequest {
            client_id: client_id.to_owned(),
            redirect_uri,
            redirect_url,
            scopes,
            state,
            challenge,
            account_all,
            account_currencies,
            send_limit,
        })
    }

    /// The accounts of `user_id` the consent page offers.
    pub(crate) fn selectable_accounts(&self, world: &World, user_id: &str) -> Vec<String> {
        world
            .accounts
            .values()
            .filter(|account| account.user_id == user_id)
            .filter(|account| {
                self.account_currencies
                    .as_ref()
                    .is_none_or(|codes| codes.contains(&account.currency))
            })
            .map(|account| account.id.clone())
            .collect()
    }

    /// Grants `scopes` (a subset of the requested ones) on `accounts` and
    /// returns the redirect carrying the code.
    pub(crate) fn approve(
        &self,
        world: &mut World,
        user_id: &str,
        scopes: Vec<&'static str>,
        accounts: Option<BTreeSet<String>>,
    ) -> Url {
        let authorization_id = new_id();
        let send_limit = self.send_limit.clone().filter(|_| scopes.contains(&catalogue::SEND));
        world.authorizations.insert(
            authorization_id.clone(),
            Authorization {
                id: authorization_id.clone(),
                client_id: self.client_id.clone(),
                user_id: user_id.to_owned(),
                scopes,
                accounts: if self.account_all { None } else { accounts },
                send_limit,
                revoked: false,
            },
        );
        let code = new_secret();
        let expires_at = world.now() + world.config.code_lifetime;
        world.codes.insert(
            code.clone(),
            CodeGrant {
                authorization_id,
                client_id: self.client_id.clone(),
                redirect_uri: self.redirect_uri.clone(),
                challenge: self.challenge.clone(),
                expires_at,
                used: false,
            },
        );
        self.redirect(&[("code", &code)])
    }

    /// The consent a test gives through [`Consent`](crate::Consent): as
    /// `user` (the signed-in user when `None`), granting `scopes` (all the
    /// requested ones when `None`) on `accounts` (every account offered
    /// when `None`). Returns the redirect carrying the code.
    pub(crate) fn approve_as(
        &self,
        world: &mut World,
        user: Option<String>,
        scopes: Option<Vec<String>>,
        accounts: Option<Vec<String>>,
    ) -> Result<Url, AuthorizeError> {
        let user = user
            .or_else(|| world.demo_user.clone())
            .filter(|user| world.users.contains_key(user))
            .ok_or_else(|| AuthorizeError::new("There is no such user to consent as"))?;
        let scopes =
            match scopes {
                None => self.scopes.clone(),
                Some(chosen) => chosen
                    .iter()
                    .map(|scope| {
                        self.scopes.iter().copied().find(|s| s == scope).ok_or_else(|| {
                            AuthorizeError::new(format!("{scope} was not requested"))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            };
        let offered: BTreeSet<String> =
            self.selectable_accounts(world, &user).into_iter().collect();
        let accounts = match accounts {
            None => offered,
            Some(chosen) => {
                if let Some(other) = chosen.iter().find(|id| !offered.contains(*id)) {
                    return Err(AuthorizeError::new(format!("Account {other} is not offered")));
                }
                chosen.into_iter().collect()
            }
        };
        Ok(self.approve(world, &user, scopes, Some(accounts)))
    }

    /// The redirect of a refusal: `error=access_denied`.
    pub(crate) fn deny(&self) -> Url {
        self.redirect(&[
            ("error", "access_denied"),
            ("error_description", "The resource owner or authorization server denied the request."),
        ])
    }

    fn redirect(&self, pairs: &[(&str, &str)]) -> Url {
        let mut url = self.redirect_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query.extend_pairs(pairs);
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
        }
        url
    }
}

fn send_limit(params: &Params) -> Result<SendLimit, AuthorizeError> {
    let one = |name| params.one(name).map_err(AuthorizeError::new);
    let amount = one("meta[send_limit_amount]")?
        .and_then(|amount| amount.parse::<Decimal>().ok())
        .filter(|amount| *amount > Decimal::ZERO)
        .ok_or_else(|| AuthorizeError::new("Invalid amount for meta[send_limit_amount]"))?;
    let currency = one("meta[send_limit_currency]")?
        .filter(|currency| is_fiat(currency))
        .ok_or_else(|| AuthorizeError::new("Invalid currency for meta[send_limit_currency]"))?;
    let period = match one("meta[send_limit_period]")? {
        None => LimitPeriod::Month,
        Some(period) => period
            .parse()
            .map_err(|_| AuthorizeError::new("Invalid period for meta[send_limit_period]"))?,
    };
    Ok(SendLimit { amount, currency: currency.to_owned(), period })
}
