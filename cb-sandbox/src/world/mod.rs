//! Everything the sandbox remembers: clients, users and their money,
//! authorizations and tokens, the controllable clock, and the counters tests
//! inspect. One value behind one mutex; no lock is held across an `await`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use rust_decimal::Decimal;
use time::OffsetDateTime;

pub(crate) mod auth;
pub(crate) mod ids;
pub(crate) mod ledger;
pub(crate) mod market;
pub(crate) mod telemetry;

pub(crate) use auth::{
    AccessToken, Authorization, AuthorizeRequest, CodeGrant, LimitPeriod, PendingConsent,
    PkceMethod, RefreshToken, RegisteredClient, SendLimit, TwoFactorChallenge,
};
pub(crate) use ids::{AccountId, TransactionId, new_id, new_secret};
pub(crate) use ledger::{
    Account, Address, NewTransaction, Notification, OutOfRange, PaymentMethod, PaymentMethodKind,
    Trade, TradeKind, TradeStatus, Transaction, TransactionKind, TransactionStatus, User, convert,
    is_fiat, usd_price,
};
pub(crate) use telemetry::{AccountSnapshot, LedgerEntry, RequestRecord, Stats};

use crate::config::SandboxConfig;
use crate::faults::FaultPlan;

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
    /// Advanced Trade: the products, made on first use.
    pub(crate) products: Vec<market::Product>,
    /// Each user's default portfolio id.
    pub(crate) portfolios: HashMap<String, String>,
    pub(crate) orders: BTreeMap<String, market::Order>,
    /// Orders by user and `client_order_id`: a retried create finds its
    /// order here.
    pub(crate) client_orders: HashMap<(String, String), String>,
    pub(crate) fills: Vec<market::Fill>,
    pub(crate) convert_trades: BTreeMap<String, market::ConvertTrade>,
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
    /// Completes sends made at least a second ago: sends are asynchronous.
    pub(crate) fn settle(&mut self) {
        let now = self.now();
        let pending = std::mem::take(&mut self.pending_sends);
        for id in pending {
            match self.transactions.get_mut(&id) {
                Some(tx) if tx.created_at + time::Duration::SECOND <= now => {
                    tx.status = TransactionStatus::Completed;
                    tx.updated_at = now;
                }
                Some(_) => self.pending_sends.push(id),
                None => {}
            }
        }
    }

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
            products: Vec::new(),
            portfolios: HashMap::new(),
            orders: BTreeMap::new(),
            client_orders: HashMap::new(),
            fills: Vec::new(),
            convert_trades: BTreeMap::new(),
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
                    kind: PaymentMethodKind::FiatAccount,
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
                kind: PaymentMethodKind::AchBankAccount,
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

    /// Registers an OAuth client, replacing one with the same id; redirect
    /// URIs that do not parse as URLs are dropped.
    pub(crate) fn register_client(&mut self, id: &str, secret: &str, redirect_uris: Vec<String>) {
        let redirect_uris =
            redirect_uris.into_iter().filter(|uri| url::Url::parse(uri).is_ok()).collect();
        self.clients
            .insert(id.to_owned(), RegisteredClient { secret: secret.to_owned(), redirect_uris });
    }

    /// A new account of `user` in `currency` holding `balance` from
    /// outside; the user's first account is their primary one.
    pub(crate) fn add_funded_account(
        &mut self,
        user: &str,
        currency: &str,
        balance: Decimal,
    ) -> String {
        let primary = !self.accounts.values().any(|account| account.user_id == user);
        let id = self.add_account(user, &format!("{currency} Wallet"), currency, primary);
        // A balance out of `Decimal`'s range with what is already outside
        // is left unfunded rather than half-recorded.
        if balance > Decimal::ZERO && self.fund(&id, balance).is_err() {
            tracing::warn!(target: "cb_sandbox", "add_account: the balance is out of range");
        }
        id
    }

    /// `n` completed `receive`s of the smallest unit of the account's
    /// currency, from outside; their ids, oldest first (fewer when the
    /// money would overflow, none for an unknown account).
    pub(crate) fn seed_transactions(&mut self, account: &str, n: usize) -> Vec<String> {
        let Some(currency) = self.accounts.get(account).map(|a| a.currency.clone()) else {
            return Vec::new();
        };
        let unit = if is_fiat(&currency) { Decimal::new(1, 2) } else { Decimal::new(1, 8) };
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            if self.check_movement(&[(account, unit)], &[(&currency, -unit)]).is_err() {
                break;
            }
            self.outside(&currency, -unit);
            ids.push(self.post(NewTransaction {
                description: Some("Seeded by the test".to_owned()),
                counterparty: Some("sandbox".to_owned()),
                ..NewTransaction::new(
                    account,
                    TransactionKind::Receive,
                    TransactionStatus::Completed,
                    unit,
                    &currency,
                )
            }));
        }
        ids
    }

    /// The accounts of `user`, with their balances.
    pub(crate) fn account_snapshots(&self, user: &str) -> Vec<AccountSnapshot> {
        self.accounts
            .values()
            .filter(|account| account.user_id == user)
            .map(|account| AccountSnapshot {
                id: AccountId::from(account.id.clone()),
                name: account.name.clone(),
                currency: account.currency.clone(),
                balance: account.balance,
            })
            .collect()
    }

    /// Every transaction, in the order they were made.
    pub(crate) fn ledger_entries(&self) -> Vec<LedgerEntry> {
        let mut entries: Vec<_> = self.transactions.values().collect();
        entries.sort_by_key(|tx| tx.seq);
        entries
            .into_iter()
            .map(|tx| LedgerEntry {
                id: TransactionId::from(tx.id.clone()),
                account_id: AccountId::from(tx.account_id.clone()),
                kind: tx.kind,
                status: tx.status,
                amount: tx.amount,
                currency: tx.currency.clone(),
                idem: tx.idem.clone(),
                counterparty: tx.counterparty.clone(),
            })
            .collect()
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
            ..NewTransaction::new(
                account_id,
                TransactionKind::Receive,
                TransactionStatus::Completed,
                amount,
                &currency,
            )
        });
        Ok(())
    }

    /// The send limit's window that contains `now`: the current UTC day,
    /// month or year.
    pub(crate) fn limit_window_start(&self, period: LimitPeriod) -> OffsetDateTime {
        let now = self.now();
        let day = now.replace_time(time::Time::MIDNIGHT);
        match period {
            LimitPeriod::Day => Ok(day),
            LimitPeriod::Year => {
                day.replace_day(1).and_then(|d| d.replace_month(time::Month::January))
            }
            LimitPeriod::Month => day.replace_day(1),
        }
        .unwrap_or(day)
    }
}
