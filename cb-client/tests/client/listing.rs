//! Looking over stored authorizations (`TokenStore::keys`), and hearing
//! when one ends (`on_authorization_ended`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cb_client::{AuthorizationEnded, FileStore, MemoryStore, ReauthorizationReason, TokenStore};
use futures_util::TryStreamExt as _;

use crate::support::*;

/// The keys `store` lists, sorted.
pub(crate) async fn listed(store: &dyn TokenStore) -> Vec<String> {
    let mut keys: Vec<String> = store.keys().try_collect().await.unwrap();
    keys.sort();
    keys
}

#[tokio::test]
async fn memory_and_file_stores_list_their_keys() {
    let env = Env::new().await;
    let dir = tempfile::tempdir().unwrap();
    let stores: [Arc<dyn TokenStore>; 2] =
        [Arc::new(MemoryStore::new()), Arc::new(FileStore::new(dir.path()).unwrap())];
    for store in stores {
        let oauth = env.builder().shared_store(store.clone()).build().unwrap();
        assert!(listed(store.as_ref()).await.is_empty());
        for key in ["bob", "Alice", "../x y"] {
            env.connect::<Reader>(&oauth, key, None).await.unwrap();
        }
        assert_eq!(listed(store.as_ref()).await, ["../x y", "Alice", "bob"]);
        oauth.revoke("bob").await.unwrap();
        assert_eq!(listed(store.as_ref()).await, ["../x y", "Alice"]);
    }
}

#[tokio::test]
async fn the_app_hears_when_an_authorization_ends_and_why() {
    let env = Env::new().await;
    let heard: Arc<Mutex<Vec<AuthorizationEnded>>> = Arc::default();
    let store = Arc::new(MemoryStore::new());
    let oauth = {
        let heard = heard.clone();
        env.builder()
            .shared_store(store.clone())
            .clock(env.sandbox.clock())
            .on_authorization_ended(move |ended| heard.lock().unwrap().push(ended.clone()))
            .build()
            .unwrap()
    };
    let first = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    env.connect::<Reader>(&oauth, "user-2", None).await.unwrap();

    // user-1's grant is revoked behind the client's back (a copy of its
    // tokens, revoked elsewhere): the next refresh is refused.
    let record = store.load("user-1").await.unwrap().unwrap().record;
    let copy = MemoryStore::new();
    copy.save("user-1", &record, None).await.unwrap();
    env.builder().store(copy).build().unwrap().revoke("user-1").await.unwrap();
    env.sandbox.advance(Duration::from_secs(3600));
    assert!(first.auth_info().await.is_err());
    // user-2 is revoked by the app.
    oauth.revoke("user-2").await.unwrap();

    let heard = heard.lock().unwrap().clone();
    assert_eq!(heard.len(), 2, "{heard:?}");
    assert_eq!(heard[0].key, "user-1");
    assert!(matches!(heard[0].reason, ReauthorizationReason::RefreshRejected { .. }), "{heard:?}");
    assert_eq!(
        (heard[1].key.as_str(), &heard[1].reason),
        ("user-2", &ReauthorizationReason::Revoked)
    );
}
