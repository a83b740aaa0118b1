// A small payouts app: named sets for each part of the product, endpoints
// annotated once, and the compiler tracking requirements through the layers.
use cb_scopes::{DeclaredScopes, Grant, ScopeSet, SendLimitPeriod, requires_scope, scopes};

scopes! {
    /// What the app asks every creator for.
    #[send_limit(amount = "50.00", currency = "USD", period = "day")]
    pub struct Creators(
        wallet:user:read,
        wallet:accounts:read,
        wallet:transactions:read,
        wallet:transactions:send,
        offline_access,
    );

    /// The dashboard only reads.
    pub struct Dashboard(wallet:user:read, wallet:accounts:read, wallet:transactions:read);
}

mod endpoints {
    use cb_scopes::{Grant, requires_scope};

    #[requires_scope(wallet:user:read)]
    pub fn user<S>(_grant: &Grant<S>) -> &'static str {
        "creator"
    }

    #[requires_scope(wallet:accounts:read)]
    pub fn balance<S>(_grant: &Grant<S>) -> u32 {
        120
    }

    #[requires_scope(wallet:transactions:read)]
    pub fn sent_today<S>(_grant: &Grant<S>) -> u32 {
        20
    }

    #[requires_scope(wallet:transactions:send)]
    pub fn send<S>(_grant: &Grant<S>, amount: u32) -> u32 {
        amount
    }
}

#[requires_scope(wallet:user:read, wallet:accounts:read, wallet:transactions:read)]
fn overview<S>(grant: &Grant<S>) -> String {
    format!("{}: {} held, {} sent today", endpoints::user(grant), endpoints::balance(grant), endpoints::sent_today(grant))
}

#[requires_scope(wallet:accounts:read, wallet:transactions:read, wallet:transactions:send)]
fn pay_out<S>(grant: &Grant<S>, amount: u32) -> Option<u32> {
    let limit = S::SEND_LIMIT?;
    assert_eq!(limit.period(), SendLimitPeriod::Day);
    let room = 50u32.saturating_sub(endpoints::sent_today(grant));
    (amount <= room && amount <= endpoints::balance(grant)).then(|| endpoints::send(grant, amount))
}

fn main() {
    assert_eq!(
        ScopeSet::of::<Creators>().to_string(),
        "wallet:accounts:read,wallet:transactions:read,wallet:transactions:send,wallet:user:read,offline_access"
    );
    let granted = ScopeSet::of::<Creators>();
    let grant = Grant::<Creators>::check(granted).unwrap();
    assert_eq!(pay_out(&grant, 30), Some(30));
    assert_eq!(pay_out(&grant, 31), None);
    let dashboard: Grant<Dashboard> = grant.narrow();
    assert_eq!(overview(&dashboard), "creator: 120 held, 20 sent today");

    // The user unticked sending on the consent screen.
    let unticked = granted.without(cb_scopes::Scope::WalletTransactionsSend);
    let error = Grant::<Creators>::check(unticked).unwrap_err();
    assert_eq!(error.missing().to_string(), "wallet:transactions:send");
    assert!(Grant::<Dashboard>::check(unticked).is_ok());
}
