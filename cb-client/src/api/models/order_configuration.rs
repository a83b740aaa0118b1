//! What an Advanced Trade order asks for: its side and its
//! `order_configuration` (market, limit, stop-limit), sent with decimal
//! strings and read back from the order history.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Buy or sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// Buy the base with the quote.
    Buy,
    /// Sell the base for the quote.
    Sell,
}

/// Which way the price must move to trigger a stop-limit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopDirection {
    /// When the price rises to the stop.
    Up,
    /// When the price falls to the stop.
    Down,
}

impl StopDirection {
    fn as_str(self) -> &'static str {
        match self {
            StopDirection::Up => "STOP_DIRECTION_STOP_UP",
            StopDirection::Down => "STOP_DIRECTION_STOP_DOWN",
        }
    }
}

/// What an order asks for, as Advanced Trade's `order_configuration` names
/// it. Sizes and prices are decimals, sent as decimal strings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderConfiguration {
    /// `market_market_ioc` by quote: spend (buy) or raise (sell) this much
    /// of the quote currency, at once.
    MarketQuote {
        /// The quote amount.
        quote_size: Decimal,
    },
    /// `market_market_ioc` by base: this much of the base, at once.
    MarketBase {
        /// The base amount.
        base_size: Decimal,
    },
    /// `limit_limit_gtc`: rests until filled or cancelled.
    LimitGtc {
        /// The base amount.
        base_size: Decimal,
        /// The worst price accepted.
        limit_price: Decimal,
        /// Refused rather than filled at once, so that it only adds
        /// liquidity (and pays the maker fee).
        post_only: bool,
    },
    /// `limit_limit_gtd`: as `LimitGtc`, until `end_time`.
    LimitGtd {
        /// The base amount.
        base_size: Decimal,
        /// The worst price accepted.
        limit_price: Decimal,
        /// When it expires.
        end_time: OffsetDateTime,
        /// Only adds liquidity.
        post_only: bool,
    },
    /// `stop_limit_stop_limit_gtc`: a limit order once the price reaches
    /// `stop_price`.
    StopLimitGtc {
        /// The base amount.
        base_size: Decimal,
        /// The limit once triggered.
        limit_price: Decimal,
        /// The trigger.
        stop_price: Decimal,
        /// Which way the price must move to trigger it.
        stop_direction: StopDirection,
    },
    /// `stop_limit_stop_limit_gtd`: as `StopLimitGtc`, until `end_time`.
    StopLimitGtd {
        /// The base amount.
        base_size: Decimal,
        /// The limit once triggered.
        limit_price: Decimal,
        /// The trigger.
        stop_price: Decimal,
        /// Which way the price must move to trigger it.
        stop_direction: StopDirection,
        /// When it expires.
        end_time: OffsetDateTime,
    },
}

/// An RFC 3339 time for a body; `OffsetDateTime` always formats.
fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

impl OrderConfiguration {
    /// The `order_configuration` object.
    pub(crate) fn to_json(&self) -> Value {
        let text = |amount: &Decimal| amount.to_string();
        match self {
            OrderConfiguration::MarketQuote { quote_size } => {
                json!({ "market_market_ioc": { "quote_size": text(quote_size) } })
            }
            OrderConfiguration::MarketBase { base_size } => {
                json!({ "market_market_ioc": { "base_size": text(base_size) } })
            }
            OrderConfiguration::LimitGtc { base_size, limit_price, post_only } => json!({
                "limit_limit_gtc": {
                    "base_size": text(base_size),
                    "limit_price": text(limit_price),
                    "post_only": post_only,
                }
            }),
            OrderConfiguration::LimitGtd { base_size, limit_price, end_time, post_only } => json!({
                "limit_limit_gtd": {
                    "base_size": text(base_size),
                    "limit_price": text(limit_price),
                    "end_time": rfc3339(*end_time),
                    "post_only": post_only,
                }
            }),
            OrderConfiguration::StopLimitGtc {
                base_size,
                limit_price,
                stop_price,
                stop_direction,
            } => {
                json!({
                    "stop_limit_stop_limit_gtc": {
                        "base_size": text(base_size),
                        "limit_price": text(limit_price),
                        "stop_price": text(stop_price),
                        "stop_direction": stop_direction.as_str(),
                    }
                })
            }
            OrderConfiguration::StopLimitGtd {
                base_size,
                limit_price,
                stop_price,
                stop_direction,
                end_time,
            } => json!({
                "stop_limit_stop_limit_gtd": {
                    "base_size": text(base_size),
                    "limit_price": text(limit_price),
                    "stop_price": text(stop_price),
                    "stop_direction": stop_direction.as_str(),
                    "end_time": rfc3339(*end_time),
                }
            }),
        }
    }
}

/// The fields any configuration may have, as the wire has them.
#[derive(Deserialize)]
struct Fields {
    quote_size: Option<Decimal>,
    base_size: Option<Decimal>,
    limit_price: Option<Decimal>,
    stop_price: Option<Decimal>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    end_time: Option<OffsetDateTime>,
    #[serde(default)]
    post_only: bool,
    stop_direction: Option<String>,
}

#[derive(Deserialize)]
struct Wire {
    market_market_ioc: Option<Fields>,
    limit_limit_gtc: Option<Fields>,
    limit_limit_gtd: Option<Fields>,
    stop_limit_stop_limit_gtc: Option<Fields>,
    stop_limit_stop_limit_gtd: Option<Fields>,
}

impl Wire {
    fn configuration(self) -> Option<OrderConfiguration> {
        let direction = |fields: &Fields| match fields.stop_direction.as_deref() {
            Some("STOP_DIRECTION_STOP_UP") => Some(StopDirection::Up),
            Some("STOP_DIRECTION_STOP_DOWN") => Some(StopDirection::Down),
            _ => None,
        };
        if let Some(f) = self.market_market_ioc {
            return match (f.quote_size, f.base_size) {
                (Some(quote_size), _) => Some(OrderConfiguration::MarketQuote { quote_size }),
                (None, Some(base_size)) => Some(OrderConfiguration::MarketBase { base_size }),
                _ => None,
            };
        }
        if let Some(f) = self.limit_limit_gtc {
            return Some(OrderConfiguration::LimitGtc {
                base_size: f.base_size?,
                limit_price: f.limit_price?,
                post_only: f.post_only,
            });
        }
        if let Some(f) = self.limit_limit_gtd {
            return Some(OrderConfiguration::LimitGtd {
                base_size: f.base_size?,
                limit_price: f.limit_price?,
                end_time: f.end_time?,
                post_only: f.post_only,
            });
        }
        if let Some(f) = self.stop_limit_stop_limit_gtc {
            return Some(OrderConfiguration::StopLimitGtc {
                stop_direction: direction(&f)?,
                base_size: f.base_size?,
                limit_price: f.limit_price?,
                stop_price: f.stop_price?,
            });
        }
        let f = self.stop_limit_stop_limit_gtd?;
        Some(OrderConfiguration::StopLimitGtd {
            stop_direction: direction(&f)?,
            base_size: f.base_size?,
            limit_price: f.limit_price?,
            stop_price: f.stop_price?,
            end_time: f.end_time?,
        })
    }
}

/// An order's configuration as answered, `None` for one this version does
/// not read (a bracket order, say) rather than an error.
pub(crate) fn configuration_or_none<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<OrderConfiguration>, D::Error> {
    let wire = Option::<Value>::deserialize(deserializer)?;
    Ok(wire.and_then(|value| serde_json::from_value::<Wire>(value).ok()?.configuration()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_go_out_as_decimal_strings_and_come_back() {
        let end = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let configurations = [
            OrderConfiguration::MarketQuote { quote_size: Decimal::new(2500, 2) },
            OrderConfiguration::MarketBase { base_size: Decimal::new(1, 3) },
            OrderConfiguration::LimitGtc {
                base_size: Decimal::new(1, 3),
                limit_price: Decimal::new(5_000_000, 2),
                post_only: true,
            },
            OrderConfiguration::LimitGtd {
                base_size: Decimal::new(1, 3),
                limit_price: Decimal::new(50_000, 0),
                end_time: end,
                post_only: false,
            },
            OrderConfiguration::StopLimitGtc {
                base_size: Decimal::new(1, 3),
                limit_price: Decimal::new(50_000, 0),
                stop_price: Decimal::new(51_000, 0),
                stop_direction: StopDirection::Down,
            },
            OrderConfiguration::StopLimitGtd {
                base_size: Decimal::new(1, 3),
                limit_price: Decimal::new(70_000, 0),
                stop_price: Decimal::new(69_000, 0),
                stop_direction: StopDirection::Up,
                end_time: end,
            },
        ];
        for configuration in configurations {
            let json = configuration.to_json();
            let text = json.to_string();
            assert!(!text.contains(":0.") && !text.contains(":5"), "no JSON numbers: {text}");
            let back: Wire = serde_json::from_value(json).unwrap();
            assert_eq!(back.configuration(), Some(configuration));
        }
        let limit = OrderConfiguration::LimitGtc {
            base_size: Decimal::new(1, 3),
            limit_price: Decimal::new(5_000_000, 2),
            post_only: true,
        };
        assert_eq!(
            limit.to_json()["limit_limit_gtc"]["limit_price"],
            Value::String("50000.00".into())
        );
    }
}
