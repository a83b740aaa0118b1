//! `FileStore`: one file per authorization in a directory, written
//! atomically, readable by the owner only, and locked across processes.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{BoxFuture, RefreshLock, StoreError, Stored, TokenStore};
use crate::TokenRecord;

/// How often a waiter tries a lock another holder has.
const LOCK_POLL: Duration = Duration::from_millis(10);

/// Keeps each record in `DIR/<key>.json`.
///
/// - **Atomic writes:** a record is written to a temporary file in the same
///   directory, flushed to disk, renamed over the old one, and the directory
///   is flushed too. A crash leaves the old record or the new one, never
///   half of one.
/// - **Private:** files are created with mode 0600 and the directory, when
///   this store creates it, with 0700.
/// - **Shared safely by processes:** saves are compare-and-swap under an OS
///   file lock (`DIR/<key>.lock`), and refreshes hold another
///   (`DIR/<key>.refresh.lock`), so processes sharing the directory never
///   spend the same refresh token twice.
///
/// - **Bounded waits:** waiting for another process's lock gives up after
///   [`lock_timeout`](FileStore::lock_timeout) (30 s by default) with a
///   [`StoreError`], before any refresh was attempted. A wait whose caller
///   went away releases the lock as soon as it is granted.
///
/// Keys may be any text of 1 to 200 bytes; characters outside
/// `A-Z a-z 0-9 - _ .` are escaped in file names, so a key cannot name a
/// path outside the directory.
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: Arc<PathBuf>,
    lock_timeout: Duration,
}

#[derive(Serialize, Deserialize)]
struct FileContent {
    version: u64,
    record: serde_json::Value,
}

impl FileStore {
    /// A store in `dir`, created (with mode 0700) if missing.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        if !dir.is_dir() {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&dir)?;
        }
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

    fn file_stem(key: &str) -> Result<String, StoreError> {
        if key.is_empty() || key.len() > 200 {
            return Err(StoreError::InvalidKey(key.chars().take(40).collect()));
        }
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
        Ok(stem)
    }

    fn paths(&self, key: &str) -> Result<(PathBuf, PathBuf, PathBuf), StoreError> {
        let stem = Self::file_stem(key)?;
        Ok((
            self.dir.join(format!("{stem}.json")),
            self.dir.join(format!("{stem}.lock")),
            self.dir.join(format!("{stem}.refresh.lock")),
        ))
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

    fn read(key: &str, path: &Path) -> Result<Option<Stored>, StoreError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let corrupt = |detail: String| StoreError::Corrupt { key: key.to_owned(), detail };
        let content: FileContent = serde_json::from_slice(&bytes)
            .map_err(|error| corrupt(format!("not JSON at line {}", error.line())))?;
        let record_bytes =
            serde_json::to_vec(&content.record).map_err(|_| corrupt("unreadable".into()))?;
        let record = TokenRecord::from_json(&record_bytes).map_err(corrupt)?;
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
        let (path, lock, _) = self.paths(key)?;
        let _lock = Self::lock_file(&lock, self.lock_timeout)?;
        let found = Self::read(key, &path)?.map(|stored| stored.version);
        if found != expected {
            return Err(StoreError::Conflict { expected, found });
        }
        let version = found.map_or(1, |version| version + 1);
        let record = serde_json::from_slice(&record.to_json())
            .map_err(|error| StoreError::Other(Box::new(error)))?;
        self.write(&path, &FileContent { version, record })?;
        Ok(version)
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
            let (path, _, _) = self.paths(key)?;
            let key = key.to_owned();
            blocking(move || FileStore::read(&key, &path)).await
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

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let (path, lock, _) = self.paths(key)?;
            let (dir, timeout) = (self.dir.clone(), self.lock_timeout);
            blocking(move || {
                let _lock = FileStore::lock_file(&lock, timeout)?;
                match fs::remove_file(&path) {
                    Ok(()) => File::open(dir.as_path())?.sync_all()?,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => return Err(error.into()),
                }
                Ok(())
            })
            .await
        })
    }

    fn lock_refresh<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<RefreshLock, StoreError>> {
        Box::pin(async move {
            let (_, _, refresh_lock) = self.paths(key)?;
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
            access_token: SecretString::from(token.to_owned()),
            refresh_token: None,
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000),
            granted: cb_scopes::ScopeSet::empty(),
            send_limit: None,
            generation: 1,
            tombstone: None,
        }
    }

    #[test]
    fn keys_cannot_escape_the_directory() {
        assert_eq!(FileStore::file_stem("user-42").unwrap(), "user-42");
        assert_eq!(FileStore::file_stem("a@b.c").unwrap(), "a%40b.c");
        assert_eq!(FileStore::file_stem("../x").unwrap(), "%2E.%2Fx");
        assert_eq!(FileStore::file_stem("/etc/passwd").unwrap(), "%2Fetc%2Fpasswd");
        assert!(FileStore::file_stem("").is_err());
        assert!(FileStore::file_stem(&"k".repeat(201)).is_err());
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
            assert_eq!(mode(&store.dir().join("u.json")), 0o600);
            assert_eq!(mode(store.dir()), 0o700);
        }
        // Nothing but the record and its lock is left behind.
        let mut names: Vec<String> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["u.json", "u.lock"]);

        store.delete("u").await.unwrap();
        store.delete("u").await.unwrap();
        assert!(store.load("u").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_corrupt_file_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path()).unwrap();
        fs::write(dir.path().join("u.json"), b"{\"version\":1,\"record\":{\"access_token\":\"sec")
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
