//! Why a store failed.

/// Why a store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A compare-and-swap save found another version than expected.
    #[error("another writer saved first (expected version {expected:?}, found {found:?})")]
    Conflict {
        /// The version the caller expected.
        expected: Option<u64>,
        /// The version stored.
        found: Option<u64>,
    },
    /// A stored record could not be read.
    #[error("the record for key {key:?} is corrupt: {detail}")]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong; never the record's content.
        detail: String,
    },
    /// The key cannot name a record in this store.
    #[error("invalid key {0:?}: it must be 1 to 200 bytes")]
    InvalidKey(String),
    /// The file system failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The store cannot do this (a store that cannot list its keys, say).
    #[error("this store does not support {0}")]
    Unsupported(&'static str),
    /// Another failure of a custom store.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}
