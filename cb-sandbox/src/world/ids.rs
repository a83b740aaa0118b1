//! Ids and secrets as Coinbase shapes them.

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

/// A string id of the sandbox's, typed by what it names: `Deref`s to `str`
/// (so `&id` goes wherever a `&str` id is taken), prints and compares as
/// its text.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

string_id! {
    /// A user of the sandbox, as [`Sandbox::add_user`](crate::Sandbox::add_user)
    /// makes one.
    UserId
}

string_id! {
    /// An account (a wallet) of the sandbox, as
    /// [`Sandbox::add_account`](crate::Sandbox::add_account) makes one.
    AccountId
}

string_id! {
    /// A transaction of the sandbox's ledger.
    TransactionId
}
