//! The random values of an authorization request: the PKCE code verifier and
//! its S256 challenge (RFC 7636), and the default `state`.
//!
//! Both values are 32 bytes from the operating system's CSPRNG, encoded as
//! unpadded base64url: 43 characters, all of them in RFC 7636's "unreserved"
//! set, which is exactly the shortest verifier the RFC allows and the one it
//! recommends.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::zeroize::Zeroizing;
use sha2::{Digest as _, Sha256};

/// The shortest and longest code verifier RFC 7636 section 4.1 allows.
const VERIFIER_LENGTH: std::ops::RangeInclusive<usize> = 43..=128;

/// 32 random bytes, base64url-encoded without padding.
pub(crate) fn random_token() -> Result<String, RandomnessUnavailable> {
    // The raw bytes are as secret as their encoding, so they are wiped too.
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut_slice()).map_err(RandomnessUnavailable)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes.as_slice()))
}

/// The S256 code challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
pub(crate) fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is a code verifier RFC 7636 accepts: 43 to 128
/// characters from `A-Z a-z 0-9 - . _ ~`.
pub(crate) fn is_valid_verifier(verifier: &str) -> bool {
    VERIFIER_LENGTH.contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// The operating system could not provide random bytes, so no state or code
/// verifier could be made. This is not worth retrying in a loop: it means the
/// process runs somewhere without a working entropy source.
#[derive(Debug)]
pub struct RandomnessUnavailable(getrandom::Error);

impl fmt::Display for RandomnessUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operating system's random number generator failed")
    }
}

impl std::error::Error for RandomnessUnavailable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(is_valid_verifier(verifier));
        assert_eq!(s256_challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn random_tokens_are_valid_verifiers_and_differ() {
        let first = random_token().unwrap();
        let second = random_token().unwrap();
        assert_eq!(first.len(), 43);
        assert!(is_valid_verifier(&first), "{first}");
        assert_ne!(first, second);
    }

    #[test]
    fn verifiers_outside_the_rfc_are_rejected() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(42))));
        assert!(!is_valid_verifier(&format!("{}é", "a".repeat(42))));
    }
}
