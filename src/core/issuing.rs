//! 盲签发 (blind issuance, tally-record-v2): a tablet makes its own
//! credential and has the round's issuing key sign it blindly, RFC 9474
//! RSABSSA-SHA384-PSSZero-Deterministic. This module is the public half —
//! the key as the manifest names it, the message a credential stands for,
//! and the check of a finished signature — shared by the server, both
//! verifiers' Rust side and the tests. The private half is in `keys.rs`.
//!
//! Why this variant: the message is the tablet's own 32 random bytes, so it
//! already has the entropy the randomized variants add (RFC 9474 §4: the
//! deterministic variants are for messages with high entropy); with no salt
//! (`PSSZero`) a credential has exactly one valid signature, so an entry
//! cannot be replayed with a second signature, and the verifiers stay short
//! (no salt to recover). SHA-384 is the RFC's only defined hash.

use super::canon::Hash;
use super::record::ElectionId;
use blind_rsa_signatures::reexports::rsa::{BoxedUint, RsaPublicKey};
use blind_rsa_signatures::PublicKeySha384PSSZeroDeterministic;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// The smallest issuing key a manifest may name (it only has to hold while
/// the round is open).
pub const MIN_BITS: usize = 2048;
/// The largest: beyond this a verifier's work is out of proportion.
pub const MAX_BITS: usize = 8192;

/// The round's issuing key, as the manifest carries it:
/// `{"e": "<hex>", "n": "<hex>"}`, big-endian lowercase hex without
/// leading zeros.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuingKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl fmt::Debug for IssuingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuingKey({} bits)", self.bits())
    }
}

fn minimal_hex(field: &str, s: &str) -> Result<Vec<u8>, String> {
    if s.is_empty() || s.len() % 2 == 1 {
        return Err(format!(
            "{field}: an even number of lowercase hex digits, found {}",
            s.len()
        ));
    }
    if s.bytes().any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(format!("{field}: lowercase hex digits only"));
    }
    let v = hex::decode(s).map_err(|e| format!("{field}: {e}"))?;
    if v[0] == 0 {
        return Err(format!("{field}: no leading zero bytes"));
    }
    Ok(v)
}

impl IssuingKey {
    /// A key from its modulus and public exponent, big-endian; every rule a
    /// manifest holds it to is checked here.
    pub fn from_parts(n: Vec<u8>, e: Vec<u8>) -> Result<IssuingKey, String> {
        let k = IssuingKey { n, e };
        k.check()?;
        Ok(k)
    }

    fn check(&self) -> Result<(), String> {
        if self.n.first() == Some(&0) || self.e.first() == Some(&0) {
            return Err("no leading zero bytes".into());
        }
        let bits = self.bits();
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return Err(format!(
                "n: a modulus of {MIN_BITS} to {MAX_BITS} bits, found {bits}"
            ));
        }
        if self.n.last().is_some_and(|b| b % 2 == 0) {
            return Err("n: an RSA modulus is odd".into());
        }
        if self.e.len() > 8 || self.e.last().is_some_and(|b| b % 2 == 0) || self.e == [1] {
            return Err("e: an odd public exponent from 3 to 2^64-1".into());
        }
        Ok(())
    }

    pub fn n(&self) -> &[u8] {
        &self.n
    }
    pub fn e(&self) -> &[u8] {
        &self.e
    }
    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        match self.n.first() {
            None => 0,
            Some(b) => self.n.len() * 8 - b.leading_zeros() as usize,
        }
    }
    /// A signature's length in bytes: the modulus's.
    pub fn size(&self) -> usize {
        self.n.len()
    }

    /// The key ready to check signatures.
    pub fn verifier(&self) -> Result<BallotVerifier, String> {
        let bits = (self.n.len() * 8) as u32;
        let n = BoxedUint::from_be_slice(&self.n, bits).map_err(|e| format!("n: {e:?}"))?;
        let e = BoxedUint::from_be_slice(&self.e, 64).map_err(|e| format!("e: {e:?}"))?;
        let inner = RsaPublicKey::new(n, e).map_err(|e| format!("not an RSA public key: {e}"))?;
        let op = super::pss::PublicOp::new(&self.n, &self.e)
            .ok_or_else(|| "not an RSA public key".to_string())?;
        Ok(BallotVerifier {
            key: PublicKeySha384PSSZeroDeterministic::new(inner),
            n: self.n.clone(),
            op,
        })
    }
}

impl Serialize for IssuingKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("e", &hex::encode(&self.e))?;
        m.serialize_entry("n", &hex::encode(&self.n))?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for IssuingKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            e: String,
            n: String,
        }
        let raw = Raw::deserialize(d)?;
        let n = minimal_hex("n", &raw.n).map_err(de::Error::custom)?;
        let e = minimal_hex("e", &raw.e).map_err(de::Error::custom)?;
        IssuingKey::from_parts(n, e).map_err(de::Error::custom)
    }
}

/// The issuer's signature on a tablet credential: as many bytes as the
/// modulus, lowercase hex.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IssuerSignature(pub Vec<u8>);

impl fmt::Debug for IssuerSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex::encode(&self.0);
        write!(f, "IssuerSignature({}…)", &h[..h.len().min(16)])
    }
}

impl IssuerSignature {
    pub fn parse_hex(s: &str) -> Result<IssuerSignature, String> {
        if s.len() % 2 == 1 || s.len() < MIN_BITS / 4 || s.len() > MAX_BITS / 4 {
            return Err(format!(
                "an RSA signature of {} to {} lowercase hex digits, found {}",
                MIN_BITS / 4,
                MAX_BITS / 4,
                s.len()
            ));
        }
        let mut out = vec![0u8; s.len() / 2];
        crate::core::canon::decode_hex_bytes(s.as_bytes(), &mut out)
            .map_err(|_| "lowercase hex digits only".to_string())?;
        Ok(IssuerSignature(out))
    }
    pub fn to_hex(&self) -> String {
        super::canon::encode_hex(&self.0)
    }
}

impl Serialize for IssuerSignature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for IssuerSignature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
        IssuerSignature::parse_hex(&s).map_err(de::Error::custom)
    }
}

/// The message a tablet credential stands for (the bytes the issuer signs,
/// blinded): `minsheng-ballot:<election_id>:<round>:<credential hex>`.
/// Binding the round and election means a signature from one round's key
/// can never pass as another's even if a key were reused.
pub fn ballot_message(election_id: &ElectionId, round: u64, credential: &Hash) -> String {
    format!("minsheng-ballot:{election_id}:{round}:{credential}")
}

/// Why an issuer signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureFault {
    #[error("the signature is not as long as the modulus")]
    Length,
    #[error("the signature is not below the modulus")]
    NotBelowModulus,
    #[error("the issuing key did not sign this credential for this round")]
    Invalid,
}

/// A signature checked against one round's key for one credential: the
/// vote log takes it without checking again (the check ran on the caller's
/// threads, not on the one thread that appends).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    signature: IssuerSignature,
    /// SHA-256 of the modulus and the message it was checked for.
    binding: Hash,
}

impl Checked {
    pub fn signature(&self) -> &IssuerSignature {
        &self.signature
    }
}

/// A round's issuing key, parsed once, checking finished signatures.
#[derive(Clone, Debug)]
pub struct BallotVerifier {
    /// The crate's key: the tablet side (blinding, finishing) in Rust.
    key: PublicKeySha384PSSZeroDeterministic,
    n: Vec<u8>,
    /// Our own check of a finished signature (see [`super::pss`]).
    op: super::pss::PublicOp,
}

impl BallotVerifier {
    /// RSASSA-PSS verification (SHA-384, MGF1-SHA-384, salt length 0) of
    /// the credential's message.
    pub fn verify(
        &self,
        election_id: &ElectionId,
        round: u64,
        credential: &Hash,
        sig: &IssuerSignature,
    ) -> Result<(), SignatureFault> {
        self.verify_message(
            ballot_message(election_id, round, credential).as_bytes(),
            sig,
        )
    }

    /// As [`Self::verify`], keeping the proof that it was done.
    pub fn check(
        &self,
        election_id: &ElectionId,
        round: u64,
        credential: &Hash,
        sig: &IssuerSignature,
    ) -> Result<Checked, SignatureFault> {
        self.verify(election_id, round, credential, sig)?;
        Ok(Checked {
            signature: sig.clone(),
            binding: self.binding(election_id, round, credential),
        })
    }

    /// Whether `checked` was checked by this key for this credential.
    pub fn vouches(
        &self,
        checked: &Checked,
        election_id: &ElectionId,
        round: u64,
        credential: &Hash,
    ) -> bool {
        checked.binding == self.binding(election_id, round, credential)
    }

    fn binding(&self, election_id: &ElectionId, round: u64, credential: &Hash) -> Hash {
        let mut b = self.n.clone();
        b.extend_from_slice(ballot_message(election_id, round, credential).as_bytes());
        Hash::of_bytes(&b)
    }

    /// Which arithmetic checks signatures on this machine (benches print it).
    pub fn arithmetic(&self) -> &'static str {
        self.op.arithmetic()
    }

    /// The same for any message (the RFC's vectors).
    pub fn verify_message(&self, msg: &[u8], sig: &IssuerSignature) -> Result<(), SignatureFault> {
        if sig.0.len() != self.n.len() {
            return Err(SignatureFault::Length);
        }
        // Big-endian, equal length: byte order is numeric order.
        if sig.0.as_slice() >= self.n.as_slice() {
            return Err(SignatureFault::NotBelowModulus);
        }
        if self.op.verify_pss_sha384_zero_salt(msg, &sig.0) {
            Ok(())
        } else {
            Err(SignatureFault::Invalid)
        }
    }
}

/// The tablet's side in Rust (the browser has its own in `blind.js`): a
/// fresh credential, blinded for the round's key. Tests and the hall bench
/// use it to behave exactly as a tablet does.
pub struct BlindRequest {
    pub credential: Hash,
    message: Vec<u8>,
    key: PublicKeySha384PSSZeroDeterministic,
    blinding: blind_rsa_signatures::BlindingResult,
}

impl BlindRequest {
    pub fn new(key: &IssuingKey, election_id: &ElectionId, round: u64) -> Result<Self, String> {
        let mut bytes = [0u8; 32];
        rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut bytes)
            .map_err(|e| e.to_string())?;
        BlindRequest::for_credential(key, election_id, round, Hash(bytes))
    }

    /// The same for a given credential (conformance vectors are made so).
    pub fn for_credential(
        key: &IssuingKey,
        election_id: &ElectionId,
        round: u64,
        credential: Hash,
    ) -> Result<Self, String> {
        let message = ballot_message(election_id, round, &credential).into_bytes();
        let verifier = key.verifier()?;
        let blinding = verifier
            .key
            .blind(&mut blind_rsa_signatures::DefaultRng, &message)
            .map_err(|e| e.to_string())?;
        Ok(BlindRequest {
            credential,
            message,
            key: verifier.key,
            blinding,
        })
    }

    /// What the tablet sends: the blinded message, hex.
    pub fn blinded_hex(&self) -> String {
        hex::encode(&self.blinding.blind_message.0)
    }

    /// The finished signature from the server's blind signature (checked).
    pub fn finish(&self, blind_signature: &[u8]) -> Result<IssuerSignature, String> {
        self.key
            .finalize(
                &blind_rsa_signatures::BlindSignature(blind_signature.to_vec()),
                &self.blinding,
                &self.message,
            )
            .map(|s| IssuerSignature(s.0))
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
#[path = "issuing_tests.rs"]
pub(crate) mod tests;
