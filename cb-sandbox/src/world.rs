//! Everything the sandbox remembers: clients, users and their money,
//! authorizations and tokens, the controllable clock, and the counters tests
//! inspect. One value behind one mutex; no lock is held across an `await`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::SandboxConfig;
use crate::faults::FaultPlan;

/// Prices in US dollars, fixed so that conversions are reproducible.
const USD_PRICES: &[(&str, Decimal)] = &[
    ("USD", Decimal::from_parts(1, 0, 0, false, 0)),
    ("EUR", Decimal::from_parts(108, 0, 0, false, 2)),
    ("GBP", Decimal::from_parts(127, 0, 0, false, 2)),
    ("BTC", Decimal::from_parts(60_000, 0, 0, false, 0)),
    ("ETH", Decimal::from_parts(3_000, 0, 0, false, 0)),
    ("LTC", Decimal::from_parts(80, 0, 0, false, 0)),
    ("USDC", Decimal::from_parts(1, 0, 0, false, 0)),
];

/// Fiat currencies: they live in fiat wallets and in send limits.
pub(crate) fn is_fiat(currency: &str) -> bool {
    matches!(currency, "USD" | "EUR" | "GBP")
}

pub(crate) fn usd_price(currency: &str) -> Option<Decimal> {
    USD_PRICES.iter().find(|(code, _)| *code == currency).map(|(_, price)| *price)
}

/// Converts between currencies at the fixed prices, rounded to 8 decimals.
pub(crate) fn convert(amount: Decimal, from: &str, to: &str) -> Option<Decimal> {
    if from == to {
        return Some(amount);
    }
    let value = amount.checked_mul(usd_price(from)?)?.checked_div(usd_price(to)?)?;
    Some(value.round_dp(8).normalize())
}

/// A movement of money that would take a balance or an outside total out
/// of `Decimal`'s range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OutOfRange;

/// A client registered with the sandbox, as with Coinbase's developer console.
#[derive(Clone, Debug)]
pub(crate) struct RegisteredClient {
    pub(crate) secret: String,
    pub(crate) redirect_uris: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) time_zone: String,
    pub(crate) native_currency: String,
    pub(crate) country: String,
    pub(crate) created_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) name: String,
    pub(crate) currency: String,
    pub(crate) balance: Decimal,
    pub(crate) primary: bool,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) seq: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Address {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) address: String,
    pub(crate) name: Option<String>,
    pub(crate) network: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// A movement of money on one account; its `amount` is signed and in the
/// account's currency, so an account's balance is the sum of its live
/// transactions.
#[derive(Clone, Debug)]
pub(crate) struct Transaction {
    pub(crate) id: String,
    pub(crate) account_id: String,
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) description: Option<String>,
    /// The other party: an email, an address or an account id.
    pub(crate) counterparty: Option<String>,
    pub(crate) idem: Option<String>,
    pub(crate) network: Option<String>,
    pub(crate) authorization_id: Option<String>,
    /// For sends: the amount counted against the send limit, in the limit's
    /// currency.
    pub(crate) limit_amount: Option<Decimal>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// A buy, sell, deposit or withdrawal.
#[derive(Clone, Debug)]
pub(crate) struct Trade {
    pub(crate) id: String,
    pub(crate) kind: TradeKind,
    pub(crate) account_id: String,
    pub(crate) payment_method_id: String,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    /// What the other side of the trade pays or receives, in its currency.
    pub(crate) total: Decimal,
    pub(crate) total_currency: String,
    pub(crate) status: &'static str,
    pub(crate) transaction_id: Option<String>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) seq: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TradeKind {
    Buy,
    Sell,
    Deposit,
    Withdrawal,
}

impl TradeKind {
    pub(crate) const fn resource(self) -> &'static str {
        match self {
            TradeKind::Buy => "buy",
            TradeKind::Sell => "sell",
            TradeKind::Deposit => "deposit",
            TradeKind::Withdrawal => "withdrawal",
        }
    }

    pub(crate) const fn collection(self) -> &'static str {
        match self {
            TradeKind::Buy => "buys",
            TradeKind::Sell => "sells",
            TradeKind::Deposit => "deposits",
            TradeKind::Withdrawal => "withdrawals",
        }
    }

    /// The kind of the transaction a committed trade leaves on its account.
    pub(crate) const fn transaction_kind(self) -> &'static str {
        match self {
            TradeKind::Buy => "buy",
            TradeKind::Sell => "sell",
            TradeKind::Deposit => "fiat_deposit",
            TradeKind::Withdrawal => "fiat_withdrawal",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct PaymentMethod {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) name: String,
    /// `ach_bank_account`, or `fiat_account` for a fiat wallet.
    pub(crate) kind: &'static str,
    pub(crate) currency: String,
    /// The wallet behind a `fiat_account`; money to a bank leaves the sandbox.
    pub(crate) account_id: Option<String>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Notification {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) kind: &'static str,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// The send limit an authorization was granted with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SendLimit {
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) period: &'static str,
}

/// What one user granted one client.
#[derive(Clone, Debug)]
pub(crate) struct Authorization {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    pub(crate) scopes: Vec<&'static str>,
    /// `None` for `account=all`: every account, including later ones.
    pub(crate) accounts: Option<BTreeSet<String>>,
    pub(crate) send_limit: Option<SendLimit>,
    pub(crate) revoked: bool,
}

impl Authorization {
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }

    pub(crate) fn can_access(&self, account: &Account) -> bool {
        account.user_id == self.user_id
            && self.accounts.as_ref().is_none_or(|ids| ids.contains(&account.id))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct CodeGrant {
    pub(crate) authorization_id: String,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<(String, PkceMethod)>,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) used: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PkceMethod {
    Plain,
    S256,
}

#[derive(Clone, Debug)]
pub(crate) struct AccessToken {
    pub(crate) authorization_id: String,
    pub(crate) expires_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshToken {
    pub(crate) authorization_id: String,
    pub(crate) spent: bool,
    /// When it was spent, so that it can be forgotten a while later.
    pub(crate) spent_at: Option<OffsetDateTime>,
}

/// An authorize request waiting on the HTML consent page.
#[derive(Clone, Debug)]
pub(crate) struct PendingConsent {
    pub(crate) request: crate::oauth::AuthorizeRequest,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) seq: u64,
}

/// A two-factor challenge: the code, and the request it unlocks.
#[derive(Clone, Debug)]
pub(crate) struct TwoFactorChallenge {
    pub(crate) code: String,
    pub(crate) fingerprint: String,
    pub(crate) expires_at: OffsetDateTime,
}

/// Counters for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Authorization codes exchanged for tokens.
    pub code_grants: u64,
    /// Refresh tokens exchanged successfully.
    pub refreshes: u64,
    /// Token requests refused with `invalid_grant`.
    pub invalid_grants: u64,
    /// Revocations.
    pub revocations: u64,
    /// Two-factor challenges issued.
    pub two_factor_challenges: u64,
}

/// One request the sandbox answered: what tests read through
/// [`Sandbox::requests`](crate::Sandbox::requests).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The HTTP method.
    pub method: String,
    /// The route pattern, such as `/v2/accounts/{id}`.
    pub route: String,
    /// The scope the endpoint needed, if it needs one.
    pub required_scope: Option<&'static str>,
    /// The status of the answer.
    pub status: u16,
}

#[derive(Debug)]
pub(crate) struct World {
    pub(crate) config: SandboxConfig,
    /// Added to the wall clock: the controllable part of the clock.
    pub(crate) clock_offset: Duration,
    next_seq: u64,
    pub(crate) clients: HashMap<String, RegisteredClient>,
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) demo_user: Option<String>,
    pub(crate) accounts: BTreeMap<String, Account>,
    pub(crate) addresses: BTreeMap<String, Address>,
    pub(crate) transactions: BTreeMap<String, Transaction>,
    pub(crate) trades: BTreeMap<String, Trade>,
    pub(crate) payment_methods: BTreeMap<String, PaymentMethod>,
    pub(crate) notifications: BTreeMap<String, Notification>,
    pub(crate) authorizations: HashMap<String, Authorization>,
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    /// Authorize requests waiting on the HTML consent page, by form id.
    pub(crate) consents: HashMap<String, PendingConsent>,
    pub(crate) two_factor: HashMap<String, TwoFactorChallenge>,
    /// Sends by `idem`, keyed by account and idem: the transaction, and the
    /// fingerprint of the request that made it.
    pub(crate) idempotency: HashMap<(String, String), (String, String)>,
    /// Sends still `pending`; they complete a second after they were made.
    pub(crate) pending_sends: Vec<String>,
    /// The last two-factor code issued to each user, for tests to read.
    pub(crate) last_two_factor_code: HashMap<String, String>,
    /// Money that left the sandbox (to banks, addresses, the market) per
    /// currency; negative when it came in. With the balances it sums to
    /// zero.
    pub(crate) outside: BTreeMap<String, Decimal>,
    /// Requests per user in the current rate-limit window.
    pub(crate) rate_windows: HashMap<String, (OffsetDateTime, u32)>,
    pub(crate) stats: Stats,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) faults: FaultPlan,
    /// Requests since the last [`prune`](World::prune).
    since_prune: u32,
}

/// How long a consent page's form stays usable.
pub(crate) const CONSENT_LIFETIME: time::Duration = time::Duration::minutes(30);
/// How long the sandbox remembers a code, token or challenge after it can
/// no longer be used (so that it can still tell "expired" or "spent" from
/// "unknown"), in its own time.
const FORGET_AFTER: time::Duration = time::Duration::DAY;
/// The most of each kind of credential kept at once, whatever the clock
/// says: a flood of abandoned consent pages or exchanges cannot grow memory
/// without bound. The oldest go first.
const MAX_PENDING_CONSENTS: usize = 10_000;
const MAX_CODES: usize = 10_000;
const MAX_TOKENS: usize = 100_000;
/// Requests between two prunes.
const PRUNE_EVERY: u32 = 256;

/// Removes the entries of `map` beyond `max`, oldest (smallest `age`) first.
fn keep_newest<K: Clone + Eq + std::hash::Hash, V, A: Ord>(
    map: &mut HashMap<K, V>,
    max: usize,
    age: impl Fn(&V) -> A,
) {
    if map.len() <= max {
        return;
    }
    let mut by_age: Vec<(A, K)> =
        map.iter().map(|(key, value)| (age(value), key.clone())).collect();
    by_age.sort_by(|a, b| a.0.cmp(&b.0));
    let excess = map.len() - max;
    for (_, key) in by_age.into_iter().take(excess) {
        map.remove(&key);
    }
}

impl World {
    pub(crate) fn new(config: SandboxConfig) -> Self {
        World {
            config,
            clock_offset: Duration::ZERO,
            next_seq: 0,
            clients: HashMap::new(),
            users: BTreeMap::new(),
            demo_user: None,
            accounts: BTreeMap::new(),
            addresses: BTreeMap::new(),
            transactions: BTreeMap::new(),
            trades: BTreeMap::new(),
            payment_methods: BTreeMap::new(),
            notifications: BTreeMap::new(),
            authorizations: HashMap::new(),
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            consents: HashMap::new(),
            two_factor: HashMap::new(),
            idempotency: HashMap::new(),
            pending_sends: Vec::new(),
            last_two_factor_code: HashMap::new(),
            outside: BTreeMap::new(),
            rate_windows: HashMap::new(),
            stats: Stats::default(),
            requests: Vec::new(),
            faults: FaultPlan::default(),
            since_prune: 0,
        }
    }

    /// The sandbox's time: the wall clock plus every advance, in whole
    /// seconds as Coinbase's timestamps are.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc() + self.clock_offset;
        now.replace_nanosecond(0).unwrap_or(now)
    }

    /// Counts a request, and every [`PRUNE_EVERY`] requests forgets what
    /// can no longer be used.
    pub(crate) fn tick(&mut self) {
        self.since_prune += 1;
        if self.since_prune >= PRUNE_EVERY {
            self.since_prune = 0;
            self.prune();
        }
    }

    /// Forgets expired consent forms, codes, tokens and two-factor
    /// challenges, and revoked authorizations nothing points to any more;
    /// keeps each kind within its cap.
    pub(crate) fn prune(&mut self) {
        let now = self.now();
        let within = |since: OffsetDateTime, lifetime: time::Duration| {
            since.checked_add(lifetime).is_none_or(|end| end > now)
        };
        self.consents.retain(|_, consent| within(consent.created_at, CONSENT_LIFETIME));
        keep_newest(&mut self.consents, MAX_PENDING_CONSENTS, |consent| consent.seq);
        self.codes.retain(|_, code| within(code.expires_at, FORGET_AFTER));
        keep_newest(&mut self.codes, MAX_CODES, |code| code.expires_at);
        self.access_tokens.retain(|_, token| within(token.expires_at, FORGET_AFTER));
        keep_newest(&mut self.access_tokens, MAX_TOKENS, |token| token.expires_at);
        self.refresh_tokens
            .retain(|_, token| token.spent_at.is_none_or(|spent| within(spent, FORGET_AFTER)));
        // Spent ones go first, then the rest in no particular order.
        keep_newest(&mut self.refresh_tokens, MAX_TOKENS, |token| !token.spent);
        self.two_factor.retain(|_, challenge| challenge.expires_at > now);
        let referenced: BTreeSet<&str> = (self.codes.values().map(|c| c.authorization_id.as_str()))
            .chain(self.access_tokens.values().map(|t| t.authorization_id.as_str()))
            .chain(self.refresh_tokens.values().map(|t| t.authorization_id.as_str()))
            .collect();
        let unreferenced: Vec<String> = self
            .authorizations
            .iter()
            .filter(|(id, authorization)| {
                authorization.revoked && !referenced.contains(id.as_str())
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in unreferenced {
            self.authorizations.remove(&id);
        }
    }

    /// A sequence number that orders records created in the same second.
    pub(crate) fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Checks that moving these amounts keeps every balance and every
    /// outside total in range, before anything moves: an operation moves
    /// all of its money or none of it.
    pub(crate) fn check_movement(
        &self,
        accounts: &[(&str, Decimal)],
        outside: &[(&str, Decimal)],
    ) -> Result<(), OutOfRange> {
        let mut balances: HashMap<&str, Decimal> = HashMap::new();
        for &(account, amount) in accounts {
            let current = balances
                .get(account)
                .copied()
                .unwrap_or_else(|| self.accounts.get(account).map_or(Decimal::ZERO, |a| a.balance));
            balances.insert(account, current.checked_add(amount).ok_or(OutOfRange)?);
        }
        let mut totals: HashMap<&str, Decimal> = HashMap::new();
        for &(currency, amount) in outside {
            let current = totals
                .get(currency)
                .copied()
                .unwrap_or_else(|| self.outside.get(currency).copied().unwrap_or_default());
            totals.insert(currency, current.checked_add(amount).ok_or(OutOfRange)?);
        }
        Ok(())
    }

    /// Moves money on one account and records it as a transaction. The
    /// caller has checked the account exists, the funds for debits, and
    /// the whole movement with [`check_movement`](Self::check_movement).
    pub(crate) fn post(&mut self, entry: NewTransaction) -> String {
        let now = self.now();
        let seq = self.seq();
        let id = new_id();
        if let Some(account) = self.accounts.get_mut(&entry.account_id) {
            match account.balance.checked_add(entry.amount) {
                Some(balance) => account.balance = balance,
                None => tracing::error!(target: "cb_sandbox", "an unchecked movement overflowed"),
            }
            account.updated_at = now;
        }
        self.transactions.insert(
            id.clone(),
            Transaction {
                id: id.clone(),
                account_id: entry.account_id,
                kind: entry.kind,
                status: entry.status,
                amount: entry.amount,
                currency: entry.currency,
                description: entry.description,
                counterparty: entry.counterparty,
                idem: entry.idem,
                network: entry.network,
                authorization_id: entry.authorization_id,
                limit_amount: entry.limit_amount,
                created_at: now,
                updated_at: now,
                seq,
            },
        );
        id
    }

    /// Records money leaving the sandbox (`amount` > 0) or entering it.
    pub(crate) fn outside(&mut self, currency: &str, amount: Decimal) {
        let total = self.outside.entry(currency.to_owned()).or_default();
        match total.checked_add(amount) {
            Some(sum) => *total = sum,
            None => tracing::error!(target: "cb_sandbox", "an unchecked movement overflowed"),
        }
    }

    /// The user's account in `currency`, made if they have none.
    pub(crate) fn account_in(&mut self, user_id: &str, currency: &str) -> String {
        let existing =
            self.accounts.values().find(|a| a.user_id == user_id && a.currency == currency);
        if let Some(account) = existing {
            return account.id.clone();
        }
        self.add_account(user_id, &format!("{currency} Wallet"), currency, false)
    }

    pub(crate) fn add_account(
        &mut self,
        user_id: &str,
        name: &str,
        currency: &str,
        primary: bool,
    ) -> String {
        let now = self.now();
        let seq = self.seq();
        let id = new_id();
        self.accounts.insert(
            id.clone(),
            Account {
                id: id.clone(),
                user_id: user_id.to_owned(),
                name: name.to_owned(),
                currency: currency.to_owned(),
                balance: Decimal::ZERO,
                primary,
                created_at: now,
                updated_at: now,
                seq,
            },
        );
        if is_fiat(currency) {
            let seq = self.seq();
            let pm = new_id();
            self.payment_methods.insert(
                pm.clone(),
                PaymentMethod {
                    id: pm,
                    user_id: user_id.to_owned(),
                    name: format!("{currency} Wallet"),
                    kind: "fiat_account",
                    currency: currency.to_owned(),
                    account_id: Some(id.clone()),
                    created_at: now,
                    seq,
                },
            );
        }
        id
    }

    /// Adds a user with a bank account and a couple of notifications.
    pub(crate) fn add_user(&mut self, name: &str, email: &str) -> String {
        let now = self.now();
        let id = new_id();
        self.users.insert(
            id.clone(),
            User {
                id: id.clone(),
                name: name.to_owned(),
                email: email.to_owned(),
                time_zone: "UTC".to_owned(),
                native_currency: "USD".to_owned(),
                country: "US".to_owned(),
                created_at: now,
            },
        );
        let seq = self.seq();
        let bank = new_id();
        self.payment_methods.insert(
            bank.clone(),
            PaymentMethod {
                id: bank,
                user_id: id.clone(),
                name: "Sandbox Bank ******1234".to_owned(),
                kind: "ach_bank_account",
                currency: "USD".to_owned(),
                account_id: None,
                created_at: now,
                seq,
            },
        );
        for kind in ["wallet:user:verified", "wallet:payment-method:added"] {
            let seq = self.seq();
            let notification = new_id();
            self.notifications.insert(
                notification.clone(),
                Notification { id: notification, user_id: id.clone(), kind, created_at: now, seq },
            );
        }
        id
    }

    /// Gives an account money from outside the sandbox, as a `receive`.
    pub(crate) fn fund(&mut self, account_id: &str, amount: Decimal) -> Result<(), OutOfRange> {
        let Some(currency) = self.accounts.get(account_id).map(|a| a.currency.clone()) else {
            return Ok(());
        };
        self.check_movement(&[(account_id, amount)], &[(&currency, -amount)])?;
        self.outside(&currency, -amount);
        self.post(NewTransaction {
            description: Some("Sandbox funding".to_owned()),
            counterparty: Some("sandbox".to_owned()),
            ..NewTransaction::new(account_id, "receive", "completed", amount, &currency)
        });
        Ok(())
    }

    /// The send limit's window that contains `now`: the current UTC day,
    /// month or year.
    pub(crate) fn limit_window_start(&self, period: &str) -> OffsetDateTime {
        let now = self.now();
        let day = now.replace_time(time::Time::MIDNIGHT);
        match period {
            "day" => Ok(day),
            "year" => day.replace_day(1).and_then(|d| d.replace_month(time::Month::January)),
            _ => day.replace_day(1),
        }
        .unwrap_or(day)
    }
}

/// What [`World::post`] records.
pub(crate) struct NewTransaction {
    pub(crate) account_id: String,
    pub(crate) kind: &'static str,
    pub(crate) status: &'static str,
    pub(crate) amount: Decimal,
    pub(crate) currency: String,
    pub(crate) description: Option<String>,
    pub(crate) counterparty: Option<String>,
    pub(crate) idem: Option<String>,
    pub(crate) network: Option<String>,
    pub(crate) authorization_id: Option<String>,
    pub(crate) limit_amount: Option<Decimal>,
}

impl NewTransaction {
    pub(crate) fn new(
        account_id: &str,
        kind: &'static str,
        status: &'static str,
        amount: Decimal,
        currency: &str,
    ) -> Self {
        NewTransaction {
            account_id: account_id.to_owned(),
            kind,
            status,
            amount,
            currency: currency.to_owned(),
            description: None,
            counterparty: None,
            idem: None,
            network: None,
            authorization_id: None,
            limit_amount: None,
        }
    }
}

/// A resource id in Coinbase's UUID form.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An unguessable token: 32 random bytes, base64url.
pub(crate) fn new_secret() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    // The sandbox runs on machines with an entropy source; a UUID, which
    // draws from the same source through another path, is the fallback.
    if getrandom::fill(&mut bytes).is_err() {
        return format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_use_the_fixed_prices() {
        let one = Decimal::ONE;
        assert_eq!(convert(one, "BTC", "USD").unwrap().to_string(), "60000");
        assert_eq!(convert(Decimal::new(3000, 0), "USD", "ETH").unwrap().to_string(), "1");
        assert_eq!(convert(one, "USD", "USD"), Some(one));
        assert_eq!(convert(one, "XYZ", "USD"), None);
    }
}
