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
