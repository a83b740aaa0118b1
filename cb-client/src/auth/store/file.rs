//! `FileStore`: one file per authorization in a directory, written
//! atomically, readable by the owner only, and locked across processes.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use futures_util::StreamExt as _;

use crate::auth::store::contract::{BoxFuture, BoxStream, RefreshLock, Stored, TokenStore};
use crate::auth::store::error::StoreError;
use crate::auth::tokens::TokenRecord;

/// How often a waiter tries a lock another holder has.
const LOCK_POLL: Duration = Duration::from_millis(10);

/// Keeps each record in `DIR/<name>.json`, where the name is the SHA-256
/// of the key in lowercase hex.
///
/// - **Atomic writes:** a record is written to a temporary file in the same
///   directory, flushed to disk, renamed over the old one, and the directory
///   is flushed too. A crash leaves the old record or the new one, never
///   half of one.
/// - **Private:** files are created with mode 0600 and the directory, when
///   this store creates it, with 0700. An existing directory that other
///   users can reach is made private (0700) if this process owns it, and
///   refused with a clear error if it cannot be.
/// - **Shared safely by processes:** saves are compare-and-swap under an OS
///   file lock (`DIR/<name>.lock`), and refreshes hold another
///   (`DIR/<name>.refresh.lock`), so processes sharing the directory never
///   spend the same refresh token twice.
/// - **Bounded waits:** waiting for another process's lock gives up after
///   [`lock_timeout`](FileStore::lock_timeout) (30 s by default) with a
///   [`StoreError`], before any refresh was attempted. A wait whose caller
///   went away releases the lock as soon as it is granted.
///
/// Keys may be any text of 1 to 200 bytes. Hashing them makes every file
/// name 64 lowercase hex digits: no key can name a path outside the
/// directory, keys that differ only in case (`Alice`, `alice`) stay apart on
/// case-insensitive file systems (macOS, Windows), and no key becomes a
/// reserved Windows name (`con`). Each file also holds its key, checked on
/// every read. Records written by earlier versions under escaped key names
/// are still read, and moved to the new name on their next save.
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: Arc<PathBuf>,
    lock_timeout: Duration,
}

#[derive(Serialize, Deserialize)]
struct FileContent {
    /// The key, to tell a hash collision or a misplaced file from the
    /// record asked for. Absent in files of earlier versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    version: u64,
    record: serde_json::Value,
}

/// The files of one key.
struct Paths {
    record: PathBuf,
    save_lock: PathBuf,
    refresh_lock: PathBuf,
    /// Where earlier versions kept the record.
    legacy: PathBuf,
}

impl FileStore {
    /// A store in `dir`, created (with mode 0700) if missing.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created, or other users can reach it
    /// and its mode cannot be changed.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        if !dir.is_dir() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&dir)?;
        }
        #[cfg(unix)]
        make_private(&dir)?;
        Ok(FileStore { dir: Arc::new(dir), lock_timeout: Duration::from_secs(30) })
    }

    /// The longest wait for a lock another process holds; 30 s by default.
    /// A save or a refresh takes far less, so a longer wait means a stuck
    /// holder.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name stem of a key: its SHA-256 in lowercase hex.
    fn file_stem(key: &str) -> Result<String, StoreError> {
        if key.is_empty() || key.len() > 200 {
            return Err(StoreError::InvalidKey(key.chars().take(40).collect()));
        }
        let digest = Sha256::digest(key.as_bytes());
        Ok(digest.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    /// The file name stem earlier versions used: the key, with bytes other
    /// than `A-Z a-z 0-9 - _ .` (and a leading dot) escaped as `%XX`.
    fn legacy_stem(key: &str) -> String {
        let mut stem = String::with_capacity(key.len());
        for (i, byte) in key.bytes().enumerate() {
            let safe =
                byte.is_ascii_alphanumeric() || b"-_".contains(&byte) || (byte == b'.' && i > 0);
            if safe {
                stem.push(char::from(byte));
            } else {
                stem.push_str(&format!("%{byte:02X}"));
            }
        }
        stem
    }

    fn paths(&self, key: &str) -> Result<Paths, StoreError> {
        let stem = Self::file_stem(key)?;
        Ok(Paths {
            record: self.dir.join(format!("{stem}.json")),
            save_lock: self.dir.join(format!("{stem}.lock")),
            refresh_lock: self.dir.join(format!("{stem}.refresh.lock")),
            legacy: self.dir.join(format!("{}.json", Self::legacy_stem(key))),
        })
    }

    /// Opens and exclusively locks a lock file, waiting for other holders
    /// up to `timeout`.
    fn lock_file(path: &Path, timeout: Duration) -> Result<File, StoreError> {
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(LOCK_POLL);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StoreError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!(
                            "{} stayed locked by another holder for {timeout:?}",
                            path.file_name()
                                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                        ),
                    )));
                }
                Err(TryLockError::Error(error)) => return Err(error.into()),
            }
        }
    }

    /// The record of `key`, from its file or, failing that, from where an
    /// earlier version kept it.
    fn read(key: &str, paths: &Paths) -> Result<Option<Stored>, StoreError> {
        match Self::read_file(key, &paths.record)? {
            Some(stored) => Ok(Some(stored)),
            None => Self::read_file(key, &paths.legacy),
        }
    }

    /// The keys of the records in the directory: the key each file holds,
    /// or, for a file an earlier version wrote, the key its name escapes.
    fn keys_blocking(dir: &Path) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(stem) = path.file_name().and_then(|name| name.to_str()?.strip_suffix(".json"))
            else {
                continue;
            };
            let hashed = stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit());
            if !hashed {
                let key = percent_encoding::percent_decode_str(stem).decode_utf8_lossy();
                keys.push(key.into_owned());
                continue;
            }
            let bytes = match fs::read(&path) {
                Ok(bytes) => bytes,
                // Deleted since the listing.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error.into()),
            };
            let key = serde_json::from_slice::<FileContent>(&bytes).ok().and_then(|c| c.key);
            match key {
                Some(key) => keys.push(key),
                None => {
                    return Err(StoreError::Corrupt {
                        key: stem.to_owned(),
                        detail: "the file does not say whose record it is".into(),
                    });
                }
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    fn read_file(key: &str, path: &Path) -> Result<Option<Stored>, StoreError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let corrupt = |detail: String| StoreError::Corrupt { key: key.to_owned(), detail };
        let content: FileContent = serde_json::from_slice(&bytes)
            .map_err(|error| corrupt(format!("not JSON at line {}", error.line())))?;
        if content.key.as_deref().is_some_and(|stored| stored != key) {
            return Err(corrupt("the file holds the record of another key".into()));
        }
        let record_bytes =
            serde_json::to_vec(&content.record).map_err(|_| corrupt("unreadable".into()))?;
        let record =
            TokenRecord::from_json(&record_bytes).map_err(|error| corrupt(error.to_string()))?;
        Ok(Some(Stored { record, version: content.version }))
    }

    fn write(&self, path: &Path, content: &FileContent) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec(content).map_err(|error| StoreError::Other(Box::new(error)))?;
        // tempfile creates the file with mode 0600.
        let mut temporary = tempfile::NamedTempFile::new_in(self.dir.as_path())?;
        temporary.write_all(&bytes)?;
        temporary.as_file().sync_all()?;
        temporary.persist(path).map_err(|error| StoreError::Io(error.error))?;
        File::open(self.dir.as_path())?.sync_all()?;
        Ok(())
    }

    fn save_blocking(
        &self,
        key: &str,
        record: &TokenRecord,
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        let paths = self.paths(key)?;
        let _lock = Self::lock_file(&paths.save_lock, self.lock_timeout)?;
        let found = Self::read(key, &paths)?.map(|stored| stored.version);
        if found != expected {
            return Err(StoreError::Conflict { expected, found });
        }
        let version = found.map_or(1, |version| version + 1);
        let record =
            serde_json::from_slice(&record.to_json().map_err(|e| StoreError::Other(Box::new(e)))?)
                .map_err(|error| StoreError::Other(Box::new(error)))?;
        self.write(&paths.record, &FileContent { key: Some(key.to_owned()), version, record })?;
        // The record now lives under its new name only.
        remove_if_present(&paths.legacy)?;
        Ok(version)
    }
}

/// Removes a file; whether there was one.
fn remove_if_present(path: &Path) -> Result<bool, StoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Makes `dir` reachable by its owner only, or says why it cannot be.
#[cfg(unix)]
fn make_private(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    match fs::set_permissions(dir, fs::Permissions::from_mode(mode & 0o700)) {
        Ok(()) => {
            tracing::warn!(
                target: "cb_client",
                dir = %dir.display(),
                "the token directory was reachable by other users (mode {mode:o}); made it 0700"
            );
            Ok(())
        }
        Err(error) => Err(StoreError::Io(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "the token directory {} is reachable by other users (mode {mode:o}) and could \
                 not be made private ({error}); use a directory only this user can read",
                dir.display()
            ),
        ))),
    }
}

/// Runs blocking file work off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| StoreError::Other(Box::new(error)))?
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>, StoreError>> {
        Box::pin(async move {
            let paths = self.paths(key)?;
            let key = key.to_owned();
            blocking(move || FileStore::read(&key, &paths)).await
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: &'a TokenRecord,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let (store, key, record) = (self.clone(), key.to_owned(), record.clone());
            blocking(move || store.save_blocking(&key, &record, expected_version)).await
        })
    }

    fn keys(&self) -> BoxStream<'_, Result<String, StoreError>> {
        let dir = self.dir.clone();
        let listed = async move { blocking(move || FileStore::keys_blocking(&dir)).await };
        Box::pin(
            futures_util::stream::once(listed)
                .map(|listed| match listed {
                    Ok(keys) => futures_util::stream::iter(keys.into_iter().map(Ok)).left_stream(),
                    Err(error) => futures_util::stream::once(async { Err(error) }).right_stream(),
                })
                .flatten(),
        )
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let paths = self.paths(key)?;
            let (dir, timeout) = (self.dir.clone(), self.lock_timeout);
            blocking(move || {
                let _lock = FileStore::lock_file(&paths.save_lock, timeout)?;
                let removed = remove_if_present(&paths.record)? | remove_if_present(&paths.legacy)?;
                if removed {
                    File::open(dir.as_path())?.sync_all()?;
                }
                Ok(())
            })
            .await
        })
    }

    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        Box::pin(async move {
            let refresh_lock = self.paths(key)?.refresh_lock;
            let timeout = self.lock_timeout;
            // If this future is dropped while waiting, the blocking task
            // still finishes, and the lock it may then get is released when
            // its unclaimed result is dropped.
            let file = blocking(move || FileStore::lock_file(&refresh_lock, timeout)).await?;
            // Closing the file releases the lock.
            Ok(RefreshLock::new(file))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use secrecy::{ExposeSecret as _, SecretString};

    use super::*;

    fn record(token: &str) -> TokenRecord {
        TokenRecord {
            generation: 1,
            ..TokenRecord::new(
                SecretString::from(token.to_owned()),
                None,
                SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
                cb_scopes::ScopeSet::empty(),
            )
        }
    }

    /// The name of `key`'s record file.
    fn record_name(key: &str) -> String {
        format!("{}.json", FileStore::file_stem(key).unwrap())
    }

    #[test]
    fn file_names_are_safe_on_every_file_system() {
        let stems: Vec<String> =
            ["user-42", "Alice", "alice", "../x", "/etc/passwd", "con", "u.refresh"]
                .iter()
                .map(|key| FileStore::file_stem(key).unwrap())
                .collect();
        for stem in &stems {
            assert_eq!(stem.len(), 64);
            assert!(
                stem.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{stem}"
            );
        }
        let distinct: std::collections::HashSet<_> = stems.iter().collect();
        assert_eq!(distinct.len(), stems.len(), "case and lock-like keys stay apart");
        assert!(FileStore::file_stem("").is_err());
        assert!(FileStore::file_stem(&"k".repeat(201)).is_err());
    }

    #[tokio::test]
    async fn keys_that_differ_in_case_keep_their_own_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path()).unwrap();
        store.save("Alice", &record("upper"), None).await.unwrap();
        store.save("alice", &record("lower"), None).await.unwrap();
        let upper = store.load("Alice").await.unwrap().unwrap();
        assert_eq!(upper.record.access_token.expose_secret(), "upper");
        let lower = store.load("alice").await.unwrap().unwrap();
        assert_eq!(lower.record.access_token.expose_secret(), "lower");
        // A file moved under another key's name is refused, not served.
        fs::copy(dir.path().join(record_name("Alice")), dir.path().join(record_name("alice")))
            .unwrap();
        let error = store.load("alice").await.unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    }

    #[tokio::test]
    async fn records_under_legacy_names_are_read_and_moved_on_save() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path()).unwrap();
        let legacy = serde_json::json!({
            "version": 4,
            "record": serde_json::from_slice::<serde_json::Value>(&record("old").to_json().unwrap()).unwrap(),
        });
        fs::write(dir.path().join("a%40b.c.json"), legacy.to_string()).unwrap();
        let stored = store.load("a@b.c").await.unwrap().unwrap();
        assert_eq!((stored.version, stored.record.access_token.expose_secret()), (4, "old"));
        assert_eq!(store.save("a@b.c", &record("new"), Some(4)).await.unwrap(), 5);
        assert!(!dir.path().join("a%40b.c.json").exists());
        assert_eq!(store.load("a@b.c").await.unwrap().unwrap().version, 5);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_reach_is_made_private_or_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        FileStore::new(dir.path()).unwrap();
        let mode = fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        // A directory whose mode cannot be changed is refused.
        #[cfg(target_os = "linux")]
        {
            let error = FileStore::new("/proc/self").unwrap_err();
            assert!(error.to_string().contains("reachable by other users"), "{error}");
        }
    }

    #[tokio::test]
    async fn saves_are_compare_and_swap_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("tokens")).unwrap();
        assert!(store.load("u").await.unwrap().is_none());
        assert_eq!(store.save("u", &record("one"), None).await.unwrap(), 1);
        let conflict = store.save("u", &record("two"), None).await.unwrap_err();
        assert!(matches!(conflict, StoreError::Conflict { expected: None, found: Some(1) }));
        assert_eq!(store.save("u", &record("two"), Some(1)).await.unwrap(), 2);
        let stored = store.load("u").await.unwrap().unwrap();
        assert_eq!((stored.version, stored.record.access_token.expose_secret()), (2, "two"));

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&store.dir().join(record_name("u"))), 0o600);
            assert_eq!(mode(store.dir()), 0o700);
        }
        // Nothing but the record and its lock is left behind.
        let mut names: Vec<String> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let stem = FileStore::file_stem("u").unwrap();
        assert_eq!(names, [format!("{stem}.json"), format!("{stem}.lock")]);

        store.delete("u").await.unwrap();
        store.delete("u").await.unwrap();
        assert!(store.load("u").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_corrupt_file_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path()).unwrap();
        fs::write(
            dir.path().join(record_name("u")),
            b"{\"version\":1,\"record\":{\"access_token\":\"sec",
        )
        .unwrap();
        let error = store.load("u").await.unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        assert!(!error.to_string().contains("sec\""), "{error}");
    }

    #[tokio::test]
    async fn the_refresh_lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path()).unwrap();
        let held = store.lock_refresh("u").await.unwrap();
        let second = {
            let store = store.clone();
            tokio::spawn(async move { store.lock_refresh("u").await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!second.is_finished(), "the second lock was granted while the first was held");
        drop(held);
        tokio::time::timeout(Duration::from_secs(5), second).await.unwrap().unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_lock_wait_is_bounded_and_an_abandoned_one_holds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path()).unwrap().lock_timeout(Duration::from_millis(200));
        let held = store.lock_refresh("u").await.unwrap();
        let started = Instant::now();
        let error = store.lock_refresh("u").await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(error.to_string().contains("stayed locked"), "{error}");

        // A wait abandoned by its caller, then granted, is released.
        let patient = store.clone().lock_timeout(Duration::from_secs(5));
        let abandoned =
            tokio::time::timeout(Duration::from_millis(50), patient.lock_refresh("u")).await;
        assert!(abandoned.is_err());
        drop(held);
        tokio::time::sleep(Duration::from_millis(300)).await;
        tokio::time::timeout(Duration::from_millis(500), store.lock_refresh("u"))
            .await
            .expect("nobody holds the lock")
            .unwrap();
    }
}
