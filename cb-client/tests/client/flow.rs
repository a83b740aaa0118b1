//! The whole flow, restore, unticked scopes, revocation and refused codes.

use cb_client::{Error, FileStore, ReauthorizationReason};
use cb_scopes::{Scope, scopes};

use crate::support::*;

#[tokio::test]
async fn url_consent_exchange_call_and_restore_from_a_file_store() {
    let env = Env::new().await;
    let dir = tempfile::tempdir().unwrap();
    let oauth = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    assert_eq!(
        client.granted().to_string(),
        "wallet:accounts:read,wallet:user:read,offline_access"
    );
    let info = client.auth_info().await.unwrap();
    assert_eq!(info.scopes, client.granted());
    assert_eq!(env.sandbox.stats().code_grants, 1);

    // Another process (here: another OAuthClient) restores from the files.
    let later = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    let restored = later.restore::<Reader>("user-1").await.unwrap();
    assert_eq!(restored.granted(), client.granted());
    assert_eq!(restored.auth_info().await.unwrap().scopes, info.scopes);
    assert_eq!(env.sandbox.stats().code_grants, 1, "restoring made no new grant");

    let missing = later.restore::<Reader>("user-2").await.unwrap_err();
    assert!(matches!(
        missing,
        Error::ReauthorizationRequired { reason: ReauthorizationReason::NotStored }
    ));
    type Sender = scopes!(wallet:accounts:read, wallet:user:update);
    let too_small = later.restore::<Sender>("user-1").await.unwrap_err();
    assert!(
        matches!(too_small, Error::ScopesNotGranted(not) if not.missing().to_string() == "wallet:user:update")
    );
}

#[tokio::test]
async fn an_unticked_scope_is_named_and_the_way_out_is_revoke() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let error = env
        .connect::<Reader>(&oauth, "user-1", Some(&["wallet:accounts:read", "offline_access"]))
        .await
        .unwrap_err();
    let Error::ScopesNotGranted(not_granted) = &error else { panic!("{error:?}") };
    let (missing, granted) = (not_granted.missing(), not_granted.granted());
    assert_eq!(missing.to_string(), "wallet:user:read");
    assert!(granted.contains(Scope::WalletAccountsRead));
    assert!(error.to_string().contains("missing wallet:user:read"), "{error}");

    // The tokens were kept, so that they can be revoked.
    assert_eq!(oauth.stored_grant("user-1").await.unwrap(), granted);
    oauth.revoke("user-1").await.unwrap();
    assert_eq!(env.sandbox.stats().revocations, 1);
    assert!(oauth.stored_grant("user-1").await.is_err());
}

#[tokio::test]
async fn after_revoke_every_call_needs_reauthorization() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    let other_handle = client.clone();
    client.revoke().await.unwrap();
    let error = other_handle.auth_info().await.unwrap_err();
    assert!(
        matches!(error, Error::ReauthorizationRequired { reason: ReauthorizationReason::Revoked }),
        "{error:?}"
    );

    // A process that restored the same tokens earlier hears it from Coinbase.
    let dir = tempfile::tempdir().unwrap();
    let here = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    let there = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    let client = env.connect::<Reader>(&here, "user-2", None).await.unwrap();
    let elsewhere = there.restore::<Reader>("user-2").await.unwrap();
    client.revoke().await.unwrap();
    let error = elsewhere.auth_info().await.unwrap_err();
    assert!(
        matches!(error, Error::ReauthorizationRequired { reason: ReauthorizationReason::Revoked }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_code_used_twice_is_refused_with_a_typed_error() {
    let env = Env::new().await;
    let oauth = env.oauth();
    let (url, pending) = oauth.authorize_url::<Reader>().build().unwrap();
    let redirect = env.sandbox.consent(url.as_str()).unwrap().approve().unwrap();
    let code = pending.complete(redirect.as_str()).unwrap();
    // Spend the code behind the client's back, as a double submit would.
    let http = reqwest::Client::new();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.code().expose_secret()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", code.code_verifier().expose_secret()),
    ];
    let spent = http
        .post(format!("{}oauth2/token", env.sandbox.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(spent.status().is_success());
    let error = oauth.exchange(code, "user-1").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::ReauthorizationRequired { reason: ReauthorizationReason::CodeRejected { .. } }
        ),
        "{error:?}"
    );
}

use cb_scopes::ExposeSecret as _;

#[tokio::test]
async fn the_apps_own_http_client_carries_every_request() {
    let env = Env::new().await;
    // The app's client, recognisable by its short timeout.
    let http = cb_client::reqwest::Client::builder()
        .redirect(cb_client::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_millis(500))
        .build()
        .unwrap();
    let oauth = env.builder().http_client(http).build().unwrap();
    let client = env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    client.auth_info().await.unwrap();
    env.sandbox.inject_fault(
        "GET",
        "/v2/user/auth",
        cb_sandbox::Fault::Delay(std::time::Duration::from_secs(2)),
        cb_sandbox::Times::Always,
    );
    let error = client.auth_info().await.unwrap_err();
    env.sandbox.clear_faults();
    let cb_client::Error::Transport(source) = &error else { panic!("{error:?}") };
    assert!(source.is_timeout(), "{source}");
}

/// The one record file in `dir` (FileStore names files by a hash of the
/// key).
fn the_record_file(dir: &std::path::Path) -> std::path::PathBuf {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[tokio::test]
async fn a_newer_version_s_record_is_read_and_rewritten_with_what_it_added() {
    let env = Env::new().await;
    let dir = tempfile::tempdir().unwrap();
    let oauth = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    // A newer version of the app, in a rolling deploy, wrote a field this
    // one does not know.
    let path = the_record_file(dir.path());
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    file["record"]["region"] = serde_json::json!("eu-west-1");
    std::fs::write(&path, file.to_string()).unwrap();

    let older = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    let client = older.restore::<Reader>("user-1").await.unwrap();
    // A refresh rewrites the record; the newer version's field stays.
    env.sandbox.advance(std::time::Duration::from_secs(3 * 3600));
    let older = env
        .builder()
        .store(FileStore::new(dir.path()).unwrap())
        .clock(env.sandbox.clock())
        .build()
        .unwrap();
    let client2 = older.restore::<Reader>("user-1").await.unwrap();
    client2.current_user().await.unwrap();
    assert_eq!(env.sandbox.stats().refreshes, 1);
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(file["record"]["region"], "eu-west-1", "{file}");
    drop(client);
}

#[tokio::test]
async fn a_corrupt_record_can_be_revoked_away_and_replaced_by_a_new_exchange() {
    let env = Env::new().await;
    let dir = tempfile::tempdir().unwrap();
    let oauth = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();
    let path = the_record_file(dir.path());
    std::fs::write(&path, b"{\"version\": 3, \"record\": \"garbage").unwrap();

    let fresh = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    let error = fresh.restore::<Reader>("user-1").await.unwrap_err();
    assert!(matches!(error, Error::Store(cb_client::StoreError::Corrupt { .. })), "{error:?}");
    // A new exchange for the key replaces the record rather than failing
    // after the code is spent.
    let client = env.connect::<Reader>(&fresh, "user-1", None).await.unwrap();
    assert!(fresh.restore::<Reader>("user-1").await.is_ok());
    drop(client);

    // Revoking a corrupt record deletes it: nothing in it can be used.
    std::fs::write(&path, b"not json at all").unwrap();
    let again = env.builder().store(FileStore::new(dir.path()).unwrap()).build().unwrap();
    again.revoke("user-1").await.unwrap();
    let error = again.restore::<Reader>("user-1").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::ReauthorizationRequired { reason: ReauthorizationReason::NotStored }
        ),
        "{error:?}"
    );
}

scopes! {
    /// More than [`Reader`]: the user's email too.
    struct ReaderWithEmail(wallet:accounts:read, wallet:user:read, wallet:user:email);
}

#[tokio::test]
async fn an_upgrade_keeps_the_earlier_authorization_until_the_larger_grant_is_verified() {
    let env = Env::new().await;
    let oauth = env.builder().build().unwrap();
    env.connect::<Reader>(&oauth, "user-1", None).await.unwrap();

    // A partial re-consent: refused, revoked at Coinbase, and the earlier
    // authorization still works.
    let partial = env
        .upgrade::<ReaderWithEmail>(
            &oauth,
            "user-1",
            Some(&["wallet:accounts:read", "wallet:user:read"]),
        )
        .await;
    assert!(
        matches!(&partial, Err(Error::ScopesNotGranted(not)) if not.missing().to_string() == "wallet:user:email"),
        "{partial:?}"
    );
    assert_eq!(env.sandbox.stats().revocations, 1);
    oauth.restore::<Reader>("user-1").await.unwrap().auth_info().await.unwrap();
    assert!(matches!(
        oauth.restore::<ReaderWithEmail>("user-1").await,
        Err(Error::ScopesNotGranted(_))
    ));

    // A full one replaces it, and the superseded grant is revoked.
    let before = oauth.restore::<Reader>("user-1").await.unwrap();
    let upgraded = env.upgrade::<ReaderWithEmail>(&oauth, "user-1", None).await.unwrap();
    assert_eq!(env.sandbox.stats().revocations, 2);
    upgraded.auth_info().await.unwrap();
    oauth.restore::<Reader>("user-1").await.unwrap().auth_info().await.unwrap();
    // The client restored before shares the key's session: it uses the new tokens.
    before.auth_info().await.unwrap();
}
