//! Ed25519 signature checks (RFC 8032, pure Ed25519) over `H(body)`.
//! Verification only: signing lives in [`crate::keys`], the one module that
//! sees private keys.

use super::canon::Hash;
use super::record::{PublicKey, SignatureBytes};
use ed25519_dalek::{Signature as DalekSignature, Verifier, VerifyingKey};

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("public key {0} is not a valid Ed25519 point")]
    BadKey(PublicKey),
    #[error("signature does not verify for key {0}")]
    Mismatch(PublicKey),
}

/// Checks `sig` by `key` over the 32 raw bytes of `body_hash`. Uses the
/// RFC's cofactorless equation `[S]B = R + [k]A` with `S < L`, which the
/// Python verifier implements too.
pub fn verify(key: &PublicKey, body_hash: &Hash, sig: &SignatureBytes) -> Result<(), SigError> {
    let vk = VerifyingKey::from_bytes(&key.0).map_err(|_| SigError::BadKey(*key))?;
    let s = DalekSignature::from_bytes(&sig.0);
    vk.verify(&body_hash.0, &s)
        .map_err(|_| SigError::Mismatch(*key))
}

/// Whether 32 bytes decode to an Ed25519 public key.
pub fn is_valid_key(key: &PublicKey) -> bool {
    VerifyingKey::from_bytes(&key.0).is_ok()
}
