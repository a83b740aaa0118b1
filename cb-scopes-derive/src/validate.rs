//! The validate phase: scopes resolved against the catalogue, duplicates and
//! send-limit rules checked. Every error is collected; whatever is valid is
//! kept, so that expansion can still emit the item next to the errors.

use std::str::FromStr;

use iso_currency::{Currency, IntoEnumIterator};
use rust_decimal::Decimal;
use syn::{Ident, LitStr};

use crate::catalogue::{self, ANY_OF, CATALOGUE};
use crate::parse::{AnyOf, ScopeList, SendLimitAttr};
use crate::scope_token::{Errors, ScopeToken, resolve_all};

/// The scope whose sets must carry a send limit.
const SEND: &str = "wallet:transactions:send";

/// A set whose scopes all exist and appear once.
pub(crate) struct ValidSet<'a> {
    /// Catalogue indices with the tokens that named them, in written order.
    pub(crate) scopes: Vec<(usize, &'a ScopeToken)>,
    pub(crate) send_limit: Option<ValidSendLimit>,
}

impl ValidSet<'_> {
    /// One slot per catalogue scope, holding the token that named the scope
    /// if the set has it.
    pub(crate) fn slots(&self) -> Vec<Option<&ScopeToken>> {
        let mut slots = vec![None; CATALOGUE.len()];
        for (index, token) in &self.scopes {
            slots[*index] = Some(*token);
        }
        slots
    }

    /// The set's bits in the run-time `ScopeSet`: bit `i` for catalogue scope `i`.
    pub(crate) fn bits(&self) -> u64 {
        self.scopes.iter().fold(0, |bits, (index, _)| bits | 1 << index)
    }
}

/// A send limit whose amount, currency and period were checked.
pub(crate) struct ValidSendLimit {
    pub(crate) amount: Decimal,
    pub(crate) currency: [u8; 3],
    pub(crate) period: Period,
}

/// How often the send limit resets.
#[derive(Clone, Copy)]
pub(crate) enum Period {
    Day,
    Month,
    Year,
}

impl Period {
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Period::Day => "Day",
            Period::Month => "Month",
            Period::Year => "Year",
        }
    }
}

/// Validates an anonymous set: it cannot carry a send limit, so it cannot hold
/// the send scope.
pub(crate) fn anonymous_set<'a>(scopes: &'a ScopeList, errors: &mut Errors) -> ValidSet<'a> {
    let resolved = resolve_all(scopes, errors);
    if let Some(send) = find_send(&resolved) {
        errors.push(send.error(format_args!(
            "a set with `{SEND}` must declare a send limit, and only a named set can carry one\n\
             help: declare it as a named set:\n    \
             scopes! {{ #[send_limit(amount = \"100.00\", currency = \"USD\", period = \"month\")] \
             pub struct Payouts(..); }}"
        )));
    }
    ValidSet { scopes: resolved, send_limit: None }
}

/// Validates a named set, its scopes and its send limit.
pub(crate) fn named_set<'a>(
    name: &syn::Ident,
    scopes: &'a ScopeList,
    send_limit: Option<&SendLimitAttr>,
    errors: &mut Errors,
) -> ValidSet<'a> {
    let resolved = resolve_all(scopes, errors);
    let send = find_send(&resolved);
    let valid_limit = match (send, send_limit) {
        (Some(_), Some(limit)) => send_limit_of(limit, errors),
        (Some(send), None) => {
            errors.push(send.error(format_args!(
                "`{name}` has `{SEND}` but no send limit; Coinbase's consent page needs one\n\
                 help: add a limit above `struct {name}`: \
                 #[send_limit(amount = \"100.00\", currency = \"USD\", period = \"month\")]"
            )));
            None
        }
        (None, Some(limit)) => {
            errors.push(syn::Error::new_spanned(
                &limit.attr,
                format_args!(
                    "`#[send_limit]` applies only to a set with `{SEND}`, and `{name}` does not \
                     have it; remove the attribute or add the scope"
                ),
            ));
            None
        }
        (None, None) => None,
    };
    ValidSet { scopes: resolved, send_limit: valid_limit }
}

/// A choice of scopes: its alternatives resolve, there are two or more,
/// and Coinbase documents it (each documented choice has a marker trait
/// whose message names every alternative). Returns the choice's index in
/// `ANY_OF` and the `any` keyword, where its bound points.
pub(crate) fn any_of<'a>(any_of: &'a AnyOf, errors: &mut Errors) -> Option<(usize, &'a Ident)> {
    let mut own = Errors::default();
    let resolved = crate::scope_token::resolve_all(&any_of.alternatives, &mut own);
    if !own.is_empty() {
        errors.extend(own);
        return None;
    }
    if resolved.len() < 2 {
        errors.push(syn::Error::new(
            any_of.any.span(),
            "`any(..)` is a choice of two or more scopes; write a single scope on its own",
        ));
        return None;
    }
    let indices: Vec<usize> = resolved.iter().map(|(index, _)| *index).collect();
    match catalogue::any_of_position(&indices) {
        Some(choice) => Some((choice, &any_of.any)),
        None => {
            let documented: Vec<String> =
                ANY_OF.iter().map(|choice| format!("any({})", choice.join(", "))).collect();
            errors.push(syn::Error::new(
                any_of.any.span(),
                format_args!(
                    "no Coinbase endpoint accepts any one of these scopes; the documented \
                     choices are: {}\nhelp: require every scope the endpoint needs, each on its \
                     own",
                    documented.join("; ")
                ),
            ));
            None
        }
    }
}

fn find_send<'a>(resolved: &[(usize, &'a ScopeToken)]) -> Option<&'a ScopeToken> {
    let send = catalogue::position(SEND)?;
    resolved.iter().find(|(index, _)| *index == send).map(|(_, token)| *token)
}

fn send_limit_of(attr: &SendLimitAttr, errors: &mut Errors) -> Option<ValidSendLimit> {
    let mut required = |value: &Option<LitStr>, key: &str, example: &str| {
        if value.is_none() {
            errors.push(syn::Error::new_spanned(
                &attr.attr,
                format_args!("`#[send_limit]` needs `{key}`, such as `{key} = \"{example}\"`"),
            ));
        }
        value.clone()
    };
    let amount = required(&attr.amount, "amount", "100.00");
    let currency = required(&attr.currency, "currency", "USD");
    let period = required(&attr.period, "period", "month");
    let amount = amount.and_then(|lit| amount_of(&lit).map_err(|e| errors.push(e)).ok());
    let currency = currency.and_then(|lit| currency_of(&lit).map_err(|e| errors.push(e)).ok());
    let period = period.and_then(|lit| period_of(&lit).map_err(|e| errors.push(e)).ok());
    Some(ValidSendLimit { amount: amount?, currency: currency?, period: period? })
}

/// A decimal greater than zero, in plain digits, with at most two decimals:
/// what Coinbase accepts for `meta[send_limit_amount]`.
fn amount_of(lit: &LitStr) -> syn::Result<Decimal> {
    let text = lit.value();
    let invalid = |why: &str| {
        syn::Error::new(
            lit.span(),
            format_args!(
                "invalid send limit amount \"{text}\": {why}; write a decimal such as \"50.00\""
            ),
        )
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || text.ends_with('.') {
        return Err(invalid("it is not a plain decimal number"));
    }
    if fraction.len() > 2 {
        return Err(invalid("it has more than two decimals"));
    }
    let amount = Decimal::from_str(&text).map_err(|_| invalid("it is too large"))?;
    if amount.is_zero() {
        return Err(invalid("it must be greater than zero"));
    }
    Ok(amount)
}

/// Tickers of the crypto-currencies a Coinbase user is most likely to hold,
/// which are an easy mistake for a send limit's currency; some are a letter
/// away from a fiat code (`BTC` from `BTN`), which would make a suggestion
/// mislead.
const CRYPTO: &[&str] =
    &["BTC", "ETH", "USDC", "USDT", "SOL", "LTC", "DOGE", "XRP", "ADA", "BCH", "DAI"];

/// An active ISO 4217 fiat code: not a fund, a precious metal or a code that
/// has been superseded.
fn currency_of(lit: &LitStr) -> syn::Result<[u8; 3]> {
    let code = lit.value();
    let is_fiat = |c: &Currency| !c.is_fund() && !c.is_special() && c.is_superseded().is_none();
    if let Some(currency) = Currency::from_code(&code).filter(is_fiat) {
        let bytes = currency.code().as_bytes();
        return Ok([bytes[0], bytes[1], bytes[2]]);
    }
    let upper = code.to_ascii_uppercase();
    if CRYPTO.contains(&upper.as_str()) {
        return Err(syn::Error::new(
            lit.span(),
            format_args!(
                "\"{code}\" is a crypto-currency, and Coinbase sets send limits in fiat: use an \
                 ISO 4217 code such as \"USD\" or \"EUR\""
            ),
        ));
    }
    let nearest = Currency::iter()
        .filter(is_fiat)
        .map(|c| (strsim::levenshtein(&upper, c.code()), c.code()))
        .filter(|(distance, _)| *distance <= 1)
        .min_by_key(|(distance, _)| *distance);
    let mut message = format!(
        "unknown currency \"{code}\": a send limit is set in an ISO 4217 fiat currency, such as \"USD\" or \"EUR\""
    );
    if let Some((_, near)) = nearest {
        message.push_str(&format!("; did you mean \"{near}\"?"));
    }
    Err(syn::Error::new(lit.span(), message))
}

fn period_of(lit: &LitStr) -> syn::Result<Period> {
    match lit.value().as_str() {
        "day" => Ok(Period::Day),
        "month" => Ok(Period::Month),
        "year" => Ok(Period::Year),
        other => Err(syn::Error::new(
            lit.span(),
            format_args!(
                "invalid send limit period \"{other}\": expected \"day\", \"month\" or \"year\""
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn lit(s: &str) -> LitStr {
        LitStr::new(s, Span::call_site())
    }

    #[test]
    fn amounts_are_positive_plain_decimals_with_two_places_at_most() {
        assert_eq!(amount_of(&lit("50.00")).unwrap().to_string(), "50.00");
        assert_eq!(amount_of(&lit("5")).unwrap().to_string(), "5");
        assert_eq!(amount_of(&lit("0.5")).unwrap().to_string(), "0.5");
        for bad in ["0", "0.00", "-5", "5.001", "1e3", "", ".5", "5.", "5,00", " 5", "NaN"] {
            assert!(amount_of(&lit(bad)).is_err(), "{bad:?} was accepted");
        }
        let huge = "9".repeat(40);
        assert!(amount_of(&lit(&huge)).unwrap_err().to_string().contains("too large"));
    }

    #[test]
    fn currencies_are_active_fiat_codes_with_a_suggestion() {
        assert_eq!(&currency_of(&lit("USD")).unwrap(), b"USD");
        assert_eq!(&currency_of(&lit("EUR")).unwrap(), b"EUR");
        let error = currency_of(&lit("USF")).unwrap_err().to_string();
        assert!(error.contains("did you mean"), "{error}");
        let error = currency_of(&lit("BTC")).unwrap_err().to_string();
        assert!(error.contains("crypto-currency") && !error.contains("did you mean"), "{error}");
        for bad in ["BTC", "eth", "XAU", "usd", "HRK", "", "USDD"] {
            assert!(currency_of(&lit(bad)).is_err(), "{bad:?} was accepted");
        }
        assert!(currency_of(&lit("usd")).unwrap_err().to_string().contains("\"USD\""));
    }

    #[test]
    fn periods_are_day_month_or_year() {
        assert!(matches!(period_of(&lit("day")), Ok(Period::Day)));
        assert!(matches!(period_of(&lit("year")), Ok(Period::Year)));
        assert!(period_of(&lit("week")).is_err());
        assert!(period_of(&lit("Day")).is_err());
    }
}
