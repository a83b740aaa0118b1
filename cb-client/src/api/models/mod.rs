//! Typed models of Coinbase's v2 and Advanced Trade resources. Money is a decimal, ids are
//! newtypes, timestamps are `time::OffsetDateTime`, unknown fields are
//! ignored and enums keep values they do not know.

pub(crate) mod account;
pub(crate) mod advanced_trade;
pub(crate) mod auth;
pub(crate) mod common;
pub(crate) mod notification;
pub(crate) mod order_configuration;
pub(crate) mod payment_method;
pub(crate) mod trade;
pub(crate) mod transaction;
pub(crate) mod user;

pub use account::{Account, AccountId, AccountType, Address, AddressId};
pub use advanced_trade::{
    BookLevel, BrokerageAccount, BrokerageOrder, CancelResult, Candle, ConvertFee, ConvertStatus,
    ConvertTrade, ConvertTradeId, EditPreview, FeeTier, Fill, Granularity, Liquidity, MarketTrade,
    OrderId, OrderPreview, OrderStatus, PlacedOrder, Portfolio, PortfolioBalances,
    PortfolioBreakdown, PortfolioId, PriceBook, Product, ProductBook, ProductId, SpotPosition,
    Ticker, TransactionSummary,
};
pub use auth::AuthInfo;
pub use common::{Money, ResourceRef};
pub use notification::{Notification, NotificationId};
pub use payment_method::{Limit, PaymentMethod, PaymentMethodId, PaymentMethodLimits};
pub use trade::{Buy, Deposit, Sell, Trade, TradeId, TradeStatus, Withdrawal};
pub use transaction::{Party, Transaction, TransactionId, TransactionStatus, TransactionType};
pub use user::{Country, User, UserId, UserUpdate};
