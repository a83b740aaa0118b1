//! `EncryptedStore`: the tokens of every record encrypted at rest, around
//! any store.
//!
//! The wrapper works on records, not on bytes, so that it fits every store
//! whatever it does with a record (a JSON column, a file, columns of its
//! own). Each token is replaced by a sealed string before the inner store
//! sees it, `cb-enc:v1:<key id>:<nonce and ciphertext, base64url>`, and
//! opened again on load. The rest of the record (expiry, granted scopes,
//! send limit, version) is not secret, and stays readable to the store, so
//! that a store may still index or query it.
//!
//! Each ciphertext is bound, as AES-GCM's associated data, to the key it
//! is stored under and to the field it fills. Whoever can write the store
//! can still delete a record, but cannot give one user another's tokens (a
//! sealed token copied into another record does not open there), nor swap
//! an access token for a refresh token.
//!
//! The key id inside each sealed token is what makes rotation work: a
//! record opens with whichever configured key sealed it, and every save
//! seals with the current key. `reencrypt_all` rewrites every record under
//! the refresh lock, so that a refresh in flight elsewhere is never undone.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::TryStreamExt as _;
use secrecy::{ExposeSecret as _, SecretString};

use crate::auth::store::contract::{BoxFuture, BoxStream, RefreshLock, Stored, TokenStore};
use crate::auth::store::error::StoreError;
use crate::auth::tokens::TokenRecord;

/// What every sealed token starts with.
const SEALED_PREFIX: &str = "cb-enc:v1:";

/// The length of an AES-GCM nonce.
const NONCE_LEN: usize = 12;

/// How often `reencrypt_all` tries one record whose save met another
/// writer's before it reports the record as not rewritten.
const REENCRYPT_ATTEMPTS: usize = 3;

/// The keys records are encrypted with: the current one for writing, and
/// older ones that records may still be encrypted with.
///
/// Each key has an id, stored beside what it encrypted, so that a key can be
/// retired: make a new key current, keep the old one as
/// [`with_previous`](Self::with_previous) until
/// [`EncryptedStore::reencrypt_all`] has rewritten every record, then drop it.
pub struct EncryptionKeys {
    current: (String, Aes256Gcm),
    previous: Vec<(String, Aes256Gcm)>,
}

impl EncryptionKeys {
    /// Encrypts new writes with `key` (32 random bytes, from your secret
    /// manager), recorded as `key_id`.
    pub fn new(key_id: impl Into<String>, key: [u8; 32]) -> Self {
        EncryptionKeys { current: (key_id.into(), cipher(key)), previous: Vec::new() }
    }

    /// Also reads what an older key encrypted.
    #[must_use]
    pub fn with_previous(mut self, key_id: impl Into<String>, key: [u8; 32]) -> Self {
        self.previous.push((key_id.into(), cipher(key)));
        self
    }

    /// The id new writes are recorded with.
    pub fn current_id(&self) -> &str {
        &self.current.0
    }

    /// The key recorded as `key_id`, if it is configured.
    pub(crate) fn for_id(&self, key_id: &str) -> Option<&Aes256Gcm> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|(id, _)| id == key_id)
            .map(|(_, cipher)| cipher)
    }

    /// `token`, sealed under the current key for `field` of the record
    /// stored under `key`.
    fn seal(
        &self,
        key: &str,
        field: &str,
        token: &SecretString,
    ) -> Result<SecretString, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|error| {
            StoreError::Other(format!("no randomness for a nonce: {error}").into())
        })?;
        let (key_id, cipher) = &self.current;
        let aad = associated_data(key, field);
        let payload = Payload { msg: token.expose_secret().as_bytes(), aad: &aad };
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| StoreError::Other("encryption failed".into()))?;
        let body = URL_SAFE_NO_PAD.encode([nonce.as_slice(), &sealed].concat());
        Ok(SecretString::from(format!("{SEALED_PREFIX}{key_id}:{body}")))
    }

    /// The token `sealed` holds, checked to be `field` of the record stored
    /// under `key`; `Ok(None)` when it is not sealed at all.
    fn open(
        &self,
        key: &str,
        field: &str,
        sealed: &SecretString,
    ) -> Result<Option<SecretString>, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt { key: key.to_owned(), detail };
        let Some(rest) = sealed.expose_secret().strip_prefix(SEALED_PREFIX) else {
            return Ok(None);
        };
        // The body is base64url, which has no ':', so the key id is all
        // before the last one, whatever it holds.
        let (key_id, body) = rest
            .rsplit_once(':')
            .ok_or_else(|| corrupt(format!("its {field} is sealed but has no key id")))?;
        let cipher = self.for_id(key_id).ok_or_else(|| {
            corrupt(format!(
                "its {field} is encrypted with key {key_id:?}, which is not configured"
            ))
        })?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| corrupt(format!("its sealed {field} is not base64url")))?;
        let (nonce, ciphertext) = bytes
            .split_at_checked(NONCE_LEN)
            .ok_or_else(|| corrupt(format!("its sealed {field} is too short")))?;
        let nonce: [u8; NONCE_LEN] =
            nonce.try_into().map_err(|_| corrupt(format!("its sealed {field} is too short")))?;
        let aad = associated_data(key, field);
        let plain = cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: &aad })
            .map_err(|_| {
                corrupt(format!(
                    "its {field} does not decrypt with key {key_id:?} for this key: a wrong key, \
                     altered bytes, or another record's token"
                ))
            })?;
        let plain = String::from_utf8(plain)
            .map_err(|_| corrupt(format!("its decrypted {field} is not text")))?;
        Ok(Some(SecretString::from(plain)))
    }

    /// `record` with its tokens sealed for the record stored under `key`.
    pub(crate) fn seal_record(
        &self,
        key: &str,
        record: &TokenRecord,
    ) -> Result<TokenRecord, StoreError> {
        let mut sealed = record.clone();
        sealed.access_token = self.seal(key, ACCESS, &record.access_token)?;
        sealed.refresh_token = record
            .refresh_token
            .as_ref()
            .map(|token| self.seal(key, REFRESH, token))
            .transpose()?;
        Ok(sealed)
    }

    /// `record` with its tokens opened. A record none of whose tokens is
    /// sealed is refused unless `plaintext` allows it; one with a token
    /// sealed and the other not is refused always (it was tampered with).
    fn open_record(
        &self,
        key: &str,
        mut record: TokenRecord,
        plaintext: bool,
    ) -> Result<TokenRecord, StoreError> {
        let access = self.open(key, ACCESS, &record.access_token)?;
        let refresh = match &record.refresh_token {
            Some(token) => Some(self.open(key, REFRESH, token)?),
            None => None,
        };
        let sealed = [Some(access.is_some()), refresh.as_ref().map(Option::is_some)];
        let all_plain = sealed.iter().flatten().all(|sealed| !sealed);
        let all_sealed = sealed.iter().flatten().all(|sealed| *sealed);
        if all_plain && !plaintext {
            return Err(StoreError::Corrupt {
                key: key.to_owned(),
                detail: "its tokens are not encrypted (a record written before encryption was \
                         turned on: open the store with `accepting_plaintext` to read it)"
                    .into(),
            });
        }
        if !all_plain && !all_sealed {
            return Err(StoreError::Corrupt {
                key: key.to_owned(),
                detail: "one of its tokens is encrypted and the other is not".into(),
            });
        }
        if let Some(access) = access {
            record.access_token = access;
        }
        if let Some(Some(refresh)) = refresh {
            record.refresh_token = Some(refresh);
        }
        Ok(record)
    }
}

/// The names the associated data gives the two tokens.
const ACCESS: &str = "access token";
const REFRESH: &str = "refresh token";

/// What a sealed token is bound to: the store key of its record, and which
/// token of the record it is.
fn associated_data(key: &str, field: &str) -> Vec<u8> {
    format!("cb_client:EncryptedStore:v1:{field}:{key}").into_bytes()
}

fn cipher(key: [u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(&Key::<Aes256Gcm>::from(key))
}

impl fmt::Debug for EncryptionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("EncryptionKeys")
            .field("current", &self.current.0)
            .field("previous", &previous)
            .finish_non_exhaustive()
    }
}

/// Encrypts the tokens of every record with AES-256-GCM before `S` keeps
/// them, and decrypts them on load: encryption at rest around any
/// [`TokenStore`], the crate's or your own.
///
/// ```
/// # async fn demo() -> Result<(), cb_client::StoreError> {
/// use cb_client::store::{EncryptedStore, EncryptionKeys, FileStore};
///
/// let keys = EncryptionKeys::new("2026-12", [7u8; 32]); // from your secret manager
/// let dir = tempfile::tempdir()?;
/// let store = EncryptedStore::new(FileStore::new(dir.path())?, keys);
/// # let _ = store; Ok(()) }
/// ```
///
/// - **What is encrypted:** the access and refresh tokens, each with a
///   fresh nonce, bound to the record's key and to which token it is (see
///   [`EncryptionKeys`] for the ids). The expiry, the granted scopes and the
///   send limit stay readable to the inner store.
/// - **Key rotation:** a record opens with the key that sealed it, current
///   or [previous](EncryptionKeys::with_previous); every save seals with the
///   current key, and [`reencrypt_all`](Self::reencrypt_all) rewrites every
///   record at once, so that the previous key can be retired.
/// - **Records written before encryption** are refused with
///   [`StoreError::Corrupt`] unless the store is opened
///   [`accepting_plaintext`](Self::accepting_plaintext), for the migration:
///   whoever can write the inner store could otherwise plant tokens of
///   their own under a user's key.
/// - Compare-and-swap, the refresh lock, deletes and the key listing are
///   the inner store's.
pub struct EncryptedStore<S> {
    inner: S,
    keys: Arc<EncryptionKeys>,
    plaintext: bool,
}

/// What [`EncryptedStore::reencrypt_all`] did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Reencrypted {
    /// How many records were rewritten under the current key.
    pub rewritten: usize,
    /// The records that could not be, each with why; run it again once
    /// they are mended (nothing was changed in them).
    pub failed: Vec<(String, StoreError)>,
}

impl<S: TokenStore> EncryptedStore<S> {
    /// Encrypts what `inner` keeps with `keys`.
    pub fn new(inner: S, keys: EncryptionKeys) -> Self {
        EncryptedStore::with_shared_keys(inner, Arc::new(keys))
    }

    /// Encrypts what `inner` keeps with keys the caller also holds.
    pub(crate) fn with_shared_keys(inner: S, keys: Arc<EncryptionKeys>) -> Self {
        EncryptedStore { inner, keys, plaintext: false }
    }

    /// Also reads records whose tokens are not encrypted (written before
    /// the store was wrapped); each is encrypted on its next save, or all
    /// at once by [`reencrypt_all`](Self::reencrypt_all).
    #[must_use]
    pub fn accepting_plaintext(mut self) -> Self {
        self.plaintext = true;
        self
    }

    /// The store inside.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The keys it encrypts and decrypts with.
    pub fn encryption_keys(&self) -> &EncryptionKeys {
        &self.keys
    }

    /// Rewrites every record under the current key: after a rotation, so
    /// that the previous key can be retired, or after a migration from
    /// plaintext.
    ///
    /// Each record is rewritten while this process holds its refresh lock,
    /// so that a refresh elsewhere is never undone, and by compare-and-swap,
    /// so that nothing saved meanwhile is lost. A record that cannot be
    /// read or rewritten is reported in [`Reencrypted::failed`] and left as
    /// it was; the others are still rewritten.
    ///
    /// # Errors
    ///
    /// When the inner store cannot list its keys.
    pub async fn reencrypt_all(&self) -> Result<Reencrypted, StoreError> {
        let mut report = Reencrypted::default();
        // The keys are listed first: rewriting while listing could make a
        // store that lists by position skip or repeat records.
        let keys: Vec<String> = self.inner.keys().try_collect().await?;
        for key in keys {
            match self.reencrypt(&key).await {
                Ok(true) => report.rewritten += 1,
                Ok(false) => {}
                Err(error) => report.failed.push((key, error)),
            }
        }
        Ok(report)
    }

    /// Rewrites the record under `key`; `false` when it is gone.
    async fn reencrypt(&self, key: &str) -> Result<bool, StoreError> {
        let _lock = self.inner.lock_refresh(key).await?;
        let mut attempts = 0;
        loop {
            let Some(stored) = self.load(key).await? else { return Ok(false) };
            let sealed = self.keys.seal_record(key, &stored.record)?;
            match self.inner.save(key, &sealed, Some(stored.version)).await {
                Ok(_) => return Ok(true),
                Err(StoreError::Conflict { .. }) if attempts + 1 < REENCRYPT_ATTEMPTS => {
                    attempts += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

impl<S: TokenStore> TokenStore for EncryptedStore<S> {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        Box::pin(async move {
            let Some(stored) = self.inner.load(key).await? else { return Ok(None) };
            let record = self.keys.open_record(key, stored.record, self.plaintext)?;
            Ok(Some(Stored { record, version: stored.version }))
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let sealed = self.keys.seal_record(key, record)?;
            self.inner.save(key, &sealed, expected_version).await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.delete(key)
    }

    fn keys(&self) -> BoxStream<'_, Result<String, StoreError>> {
        self.inner.keys()
    }

    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        self.inner.lock_refresh(key)
    }
}

impl<S: fmt::Debug> fmt::Debug for EncryptedStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedStore")
            .field("inner", &self.inner)
            .field("keys", &self.keys)
            .field("accepting_plaintext", &self.plaintext)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use cb_scopes::ScopeSet;

    use super::*;
    use crate::auth::store::file::FileStore;
    use crate::auth::store::memory::MemoryStore;

    fn record(access: &str, refresh: &str) -> TokenRecord {
        TokenRecord::new(
            SecretString::from(access),
            Some(SecretString::from(refresh)),
            SystemTime::now() + Duration::from_secs(3600),
            ScopeSet::empty(),
        )
    }

    fn keys(id: &str, byte: u8) -> EncryptionKeys {
        EncryptionKeys::new(id, [byte; 32])
    }

    /// What the inner store holds under `key`, as its JSON.
    async fn raw(store: &impl TokenStore, key: &str) -> String {
        let stored = store.load(key).await.unwrap().unwrap();
        String::from_utf8(stored.record.to_json().unwrap()).unwrap()
    }

    fn corrupt_detail(error: StoreError) -> String {
        match error {
            StoreError::Corrupt { detail, .. } => detail,
            other => panic!("not a Corrupt error: {other}"),
        }
    }

    #[tokio::test]
    async fn tokens_reach_the_inner_store_only_sealed_and_come_back_whole() {
        let store = EncryptedStore::new(MemoryStore::new(), keys("k1", 1));
        let version = store.save("alice", &record("alice-access", "alice-refresh"), None).await;
        assert_eq!(version.unwrap(), 1);
        let raw = raw(store.inner(), "alice").await;
        assert!(!raw.contains("alice-access") && !raw.contains("alice-refresh"), "{raw}");
        assert_eq!(raw.matches("cb-enc:v1:k1:").count(), 2, "{raw}");

        let loaded = store.load("alice").await.unwrap().unwrap();
        assert_eq!(loaded.version, 1);
        assert_eq!(loaded.record.access_token.expose_secret(), "alice-access");
        let refresh = loaded.record.refresh_token.as_ref().map(|token| token.expose_secret());
        assert_eq!(refresh, Some("alice-refresh"));
        // Each save draws a fresh nonce: the same token seals differently.
        let sealed = |stored: Stored| stored.record.access_token.expose_secret().to_owned();
        let before = sealed(store.inner().load("alice").await.unwrap().unwrap());
        store.save("alice", &loaded.record, Some(1)).await.unwrap();
        let after = sealed(store.inner().load("alice").await.unwrap().unwrap());
        assert_ne!(before, after);
        let reloaded = store.load("alice").await.unwrap().unwrap();
        assert_eq!(reloaded.record.access_token.expose_secret(), "alice-access");
        // Nothing of either secret in `Debug`.
        let debug = format!("{store:?}");
        assert!(!debug.contains("alice-access") && !debug.contains("[1, 1"), "{debug}");
    }

    #[tokio::test]
    async fn a_sealed_token_does_not_open_in_another_record_or_as_the_other_token() {
        let store = EncryptedStore::new(MemoryStore::new(), keys("k1", 1));
        store.save("alice", &record("alice-access", "alice-refresh"), None).await.unwrap();
        store.save("mallory", &record("mallory-access", "mallory-refresh"), None).await.unwrap();
        let alice = store.inner().load("alice").await.unwrap().unwrap();
        let mallory = store.inner().load("mallory").await.unwrap().unwrap();

        // Whoever can write the inner store gives Mallory Alice's tokens.
        let copied = TokenRecord { generation: mallory.record.generation, ..alice.record.clone() };
        store.inner().save("mallory", &copied, Some(mallory.version)).await.unwrap();
        let error = store.load("mallory").await.unwrap_err();
        assert!(!error.to_string().contains("alice-access"), "{error}");
        assert!(corrupt_detail(error).contains("does not decrypt with key \"k1\" for this key"));

        // Or swaps Alice's two tokens.
        let mut swapped = alice.record.clone();
        swapped.access_token = alice.record.refresh_token.clone().unwrap();
        swapped.refresh_token = Some(alice.record.access_token.clone());
        store.inner().save("alice", &swapped, Some(alice.version)).await.unwrap();
        let detail = corrupt_detail(store.load("alice").await.unwrap_err());
        assert!(detail.contains("access token does not decrypt"), "{detail}");
    }

    #[tokio::test]
    async fn a_rotated_key_reads_the_old_records_and_seals_with_the_new_key() {
        let inner = std::sync::Arc::new(MemoryStore::new());
        let old = EncryptedStore::new(inner.clone(), keys("k1", 1));
        old.save("alice", &record("access", "refresh"), None).await.unwrap();

        let rotated =
            EncryptedStore::new(inner.clone(), keys("k2", 2).with_previous("k1", [1; 32]));
        let stored = rotated.load("alice").await.unwrap().unwrap();
        assert_eq!(stored.record.access_token.expose_secret(), "access");
        rotated.save("alice", &stored.record, Some(stored.version)).await.unwrap();
        let raw = raw(&inner, "alice").await;
        assert_eq!(raw.matches("cb-enc:v1:k2:").count(), 2, "{raw}");

        // The old key alone cannot read it, and says which key it needs.
        let detail = corrupt_detail(old.load("alice").await.unwrap_err());
        assert!(detail.contains("encrypted with key \"k2\", which is not configured"), "{detail}");
        // A key with the right id and the wrong bytes is told apart.
        let wrong = EncryptedStore::new(inner, keys("k2", 9));
        let detail = corrupt_detail(wrong.load("alice").await.unwrap_err());
        assert!(detail.contains("does not decrypt with key \"k2\""), "{detail}");
    }

    #[tokio::test]
    async fn plaintext_records_are_refused_unless_accepted_and_reencrypt_all_seals_them() {
        let inner = std::sync::Arc::new(MemoryStore::new());
        for user in ["alice", "bob", "carol"] {
            inner.save(user, &record(&format!("{user}-access"), "refresh"), None).await.unwrap();
        }
        let strict = EncryptedStore::new(inner.clone(), keys("k1", 1));
        let detail = corrupt_detail(strict.load("alice").await.unwrap_err());
        assert!(detail.contains("not encrypted") && detail.contains("accepting_plaintext"));

        let migrating = EncryptedStore::new(inner.clone(), keys("k1", 1)).accepting_plaintext();
        let alice = migrating.load("alice").await.unwrap().unwrap();
        assert_eq!(alice.record.access_token.expose_secret(), "alice-access");
        let report = migrating.reencrypt_all().await.unwrap();
        assert_eq!(report.rewritten, 3);
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        for user in ["alice", "bob", "carol"] {
            let raw = raw(&inner, user).await;
            assert!(!raw.contains(&format!("{user}-access")), "{raw}");
            let stored = strict.load(user).await.unwrap().unwrap();
            assert_eq!(stored.record.access_token.expose_secret(), format!("{user}-access"));
            assert_eq!(stored.version, 2, "rewritten by compare-and-swap once");
        }
    }

    #[tokio::test]
    async fn a_half_sealed_record_is_refused_even_when_plaintext_is_accepted() {
        let inner = std::sync::Arc::new(MemoryStore::new());
        let store = EncryptedStore::new(inner.clone(), keys("k1", 1)).accepting_plaintext();
        store.save("alice", &record("access", "refresh"), None).await.unwrap();
        let mut half = inner.load("alice").await.unwrap().unwrap().record;
        half.refresh_token = Some(SecretString::from("planted-refresh"));
        inner.save("alice", &half, Some(1)).await.unwrap();
        let detail = corrupt_detail(store.load("alice").await.unwrap_err());
        assert!(detail.contains("one of its tokens is encrypted and the other is not"));
    }

    #[tokio::test]
    async fn reencrypt_all_rewrites_the_others_when_one_record_cannot_be_read() {
        let inner = std::sync::Arc::new(MemoryStore::new());
        let retired = EncryptedStore::new(inner.clone(), keys("lost", 3));
        retired.save("bob", &record("bob-access", "bob-refresh"), None).await.unwrap();
        let old = EncryptedStore::new(inner.clone(), keys("k1", 1));
        old.save("alice", &record("alice-access", "alice-refresh"), None).await.unwrap();

        let rotated =
            EncryptedStore::new(inner.clone(), keys("k2", 2).with_previous("k1", [1; 32]));
        let report = rotated.reencrypt_all().await.unwrap();
        assert_eq!(report.rewritten, 1);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].0, "bob");
        assert!(report.failed[0].1.to_string().contains("\"lost\""), "{}", report.failed[0].1);
        assert_eq!(raw(&inner, "alice").await.matches("cb-enc:v1:k2:").count(), 2);
        // Bob's record is as it was.
        assert_eq!(inner.load("bob").await.unwrap().unwrap().version, 1);
    }

    #[tokio::test]
    async fn reencrypt_all_waits_for_a_refresh_another_process_holds() {
        let dir = tempfile::tempdir().unwrap();
        let other_process = FileStore::new(dir.path()).unwrap();
        let store = EncryptedStore::new(FileStore::new(dir.path()).unwrap(), keys("k1", 1))
            .accepting_plaintext();
        other_process.save("alice", &record("access", "refresh"), None).await.unwrap();

        let refreshing = other_process.lock_refresh("alice").await.unwrap();
        let mut reencrypting = Box::pin(store.reencrypt_all());
        let waited = tokio::time::timeout(Duration::from_millis(300), &mut reencrypting).await;
        assert!(waited.is_err(), "it rewrote a record whose refresh was in flight");
        // The refresh saves its new pair, then lets go.
        other_process.save("alice", &record("access-2", "refresh-2"), Some(1)).await.unwrap();
        drop(refreshing);
        let report = reencrypting.await.unwrap();
        assert_eq!(report.rewritten, 1);
        let stored = store.load("alice").await.unwrap().unwrap();
        assert_eq!(stored.record.access_token.expose_secret(), "access-2", "the refresh stands");
        assert_eq!(stored.version, 3);
    }
}
