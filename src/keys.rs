//! 密钥 (signing keys). The one module that sees private-key bytes: it makes,
//! stores, loads and signs with them. Everything else holds a [`Signer`] or
//! just a [`PublicKey`].
//!
//! Files: `<name>.key` holds the 32-byte Ed25519 seed as 64 hex characters,
//! mode 0600, never overwritten; `<name>.pub` holds the public key in hex.

use crate::core::canon::Hash;
use crate::core::issuing::IssuingKey;
use crate::core::record::{PublicKey, Role, Signature, SignatureBytes};
use blind_rsa_signatures::{
    DefaultRng, KeyPairSha384PSSZeroDeterministic, SecretKeySha384PSSZeroDeterministic,
};
use ed25519_dalek::{Signer as _, SigningKey};
use serde::Serialize;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A failure with a key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: expected 64 hex characters (an Ed25519 seed or public key): {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("{0} already exists: a private key is never overwritten (move it away first)")]
    Exists(PathBuf),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// A private signing key.
pub struct Signer {
    key: SigningKey,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.public_key())
    }
}

impl Signer {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Signer, KeyError> {
        use rand_core::RngCore;
        let mut seed = [0u8; 32];
        rand_core::OsRng
            .try_fill_bytes(&mut seed)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Signer::from_seed(seed))
    }

    /// A key from a 32-byte seed (tests and the conformance vectors use
    /// `SHA-256("authority")` and the like).
    pub fn from_seed(seed: [u8; 32]) -> Signer {
        Signer {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The well-known test key whose seed is `SHA-256(label)`: never for a real vote.
    pub fn for_tests(label: &str) -> Signer {
        Signer::from_seed(Hash::of_bytes(label.as_bytes()).0)
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key().to_bytes())
    }

    /// Signs `H(body)` in the given role.
    pub fn sign<B: Serialize>(&self, role: Role, body: &B) -> Signature {
        self.sign_hash(role, &Hash::of(body))
    }

    /// Signs the 32 raw bytes of a body hash.
    pub fn sign_hash(&self, role: Role, body_hash: &Hash) -> Signature {
        Signature {
            public_key: self.public_key(),
            role,
            signature: SignatureBytes(self.key.sign(&body_hash.0).to_bytes()),
        }
    }

    /// Loads `<path>` (a `.key` file).
    pub fn load(path: &Path) -> Result<Signer, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.into(),
            source,
        })?;
        let mut seed = [0u8; 32];
        crate::core::canon::parse_lower_hex(text.trim(), &mut seed).map_err(|e| {
            KeyError::Format {
                path: path.into(),
                reason: e.to_string(),
            }
        })?;
        Ok(Signer::from_seed(seed))
    }

    /// Writes `<dir>/<name>.key` (mode 0600, refusing to overwrite) and
    /// `<dir>/<name>.pub`; returns both paths. Each file appears whole or
    /// not at all, and both are on disk when this returns: a crash or a
    /// failing disk never leaves an empty or half-written key behind.
    pub fn save(&self, dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), KeyError> {
        std::fs::create_dir_all(dir).map_err(|source| KeyError::Io {
            path: dir.into(),
            source,
        })?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(
                |source| KeyError::Io {
                    path: dir.into(),
                    source,
                },
            )?;
        }
        let key_path = dir.join(format!("{name}.key"));
        if key_path.exists() {
            return Err(KeyError::Exists(key_path));
        }
        let key_text = format!("{}\n", hex::encode(self.key.to_bytes()));
        let tmp = write_synced(dir, &format!("{name}.key"), &key_text, 0o600)?;
        // A hard link is made only if the name is free: never an overwrite.
        let linked = std::fs::hard_link(&tmp, &key_path);
        let _ = std::fs::remove_file(&tmp);
        linked.map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::Exists(key_path.clone())
            } else {
                KeyError::Io {
                    path: key_path.clone(),
                    source,
                }
            }
        })?;
        let text = format!("{}\n", self.public_key());
        let pub_path = write_whole(dir, &format!("{name}.pub"), &text, 0o600)?;
        Ok((key_path, pub_path))
    }

    /// Loads `<dir>/<name>.key`, or makes and saves a new key if there is none.
    pub fn load_or_create(dir: &Path, name: &str) -> Result<(Signer, bool), KeyError> {
        let path = dir.join(format!("{name}.key"));
        if path.exists() {
            return Ok((Signer::load(&path)?, false));
        }
        let s = Signer::generate()?;
        s.save(dir, name)?;
        Ok((s, true))
    }
}

/// A round's private issuing key (RFC 9474 RSABSSA-SHA384-PSSZero-
/// Deterministic): it signs tablets' blinded credentials while the round is
/// open and is deleted when it closes. Kept as `keys/issuing-<round id>.der`
/// (PKCS#1 DER, mode 0600) so that a restart mid-round can go on signing.
pub struct IssuingSecret {
    key: SecretKeySha384PSSZeroDeterministic,
    public: IssuingKey,
}

impl fmt::Debug for IssuingSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuingSecret({:?})", self.public)
    }
}

/// Why a blinded message is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlindSignError {
    #[error("a blinded message is as long as the modulus ({0} bytes)")]
    Length(usize),
    #[error("a blinded message is a number below the modulus")]
    NotBelowModulus,
    #[error("the RSA operation failed")]
    Failed,
}

impl IssuingSecret {
    /// The file a round's key lives in.
    pub fn file_name(round_id: i64) -> String {
        format!("issuing-{round_id}.der")
    }

    /// A fresh key of `bits` bits (2048 for a round).
    pub fn generate(bits: usize) -> Result<IssuingSecret, KeyError> {
        let kp = KeyPairSha384PSSZeroDeterministic::generate(&mut DefaultRng, bits)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        IssuingSecret::from_key(kp.sk)
    }

    fn from_key(key: SecretKeySha384PSSZeroDeterministic) -> Result<IssuingSecret, KeyError> {
        let c = key.components();
        let strip = |mut v: Vec<u8>| {
            let zeros = v.iter().take_while(|b| **b == 0).count();
            v.drain(..zeros);
            v
        };
        let public = IssuingKey::from_parts(strip(c.n()), strip(c.e())).map_err(|reason| {
            KeyError::Format {
                path: PathBuf::new(),
                reason,
            }
        })?;
        Ok(IssuingSecret { key, public })
    }

    /// A key from its parts, big-endian (the RFC's test key, for vectors).
    pub fn from_components(
        n: &[u8],
        e: &[u8],
        d: &[u8],
        p: &[u8],
        q: &[u8],
    ) -> Result<IssuingSecret, KeyError> {
        use blind_rsa_signatures::reexports::rsa::{BoxedUint, RsaPrivateKey};
        let bits = (n.len() * 8) as u32;
        let num = |b: &[u8], w: u32| {
            BoxedUint::from_be_slice(b, w).map_err(|e| KeyError::Format {
                path: PathBuf::new(),
                reason: format!("{e:?}"),
            })
        };
        let inner = RsaPrivateKey::from_components(
            num(n, bits)?,
            num(e, 64)?,
            num(d, bits)?,
            vec![num(p, bits / 2)?, num(q, bits / 2)?],
        )
        .map_err(|e| KeyError::Format {
            path: PathBuf::new(),
            reason: e.to_string(),
        })?;
        IssuingSecret::from_key(SecretKeySha384PSSZeroDeterministic::new(inner))
    }

    pub fn public_key(&self) -> &IssuingKey {
        &self.public
    }

    /// Saves the key as `<dir>/issuing-<round id>.der`, 0600, whole.
    pub fn save(&self, dir: &Path, round_id: i64) -> Result<PathBuf, KeyError> {
        let der = self.key.to_der().map_err(|e| KeyError::Format {
            path: dir.join(IssuingSecret::file_name(round_id)),
            reason: e.to_string(),
        })?;
        std::fs::create_dir_all(dir).map_err(|source| KeyError::Io {
            path: dir.into(),
            source,
        })?;
        write_whole(
            dir,
            &IssuingSecret::file_name(round_id),
            &hex::encode(der),
            0o600,
        )
    }

    /// Loads the key saved for a round.
    pub fn load(dir: &Path, round_id: i64) -> Result<IssuingSecret, KeyError> {
        let path = dir.join(IssuingSecret::file_name(round_id));
        let text = std::fs::read_to_string(&path).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
        let format = |reason: String| KeyError::Format {
            path: path.clone(),
            reason,
        };
        let der = hex::decode(text.trim()).map_err(|e| format(e.to_string()))?;
        let key = SecretKeySha384PSSZeroDeterministic::from_der(&der)
            .map_err(|e| format(e.to_string()))?;
        IssuingSecret::from_key(key)
    }

    /// Deletes a round's key (the round has closed); gone already is fine.
    pub fn delete(dir: &Path, round_id: i64) -> Result<(), KeyError> {
        let path = dir.join(IssuingSecret::file_name(round_id));
        match std::fs::remove_file(&path) {
            Ok(()) => sync_dir(dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(KeyError::Io { path, source }),
        }
    }

    /// Deletes every round's issuing key in `dir` but the open round's.
    pub fn delete_all_but(dir: &Path, open: Option<i64>) -> Result<(), KeyError> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(()); // no keys dir yet
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let id = name
                .strip_prefix("issuing-")
                .and_then(|r| r.strip_suffix(".der"))
                .and_then(|n| n.parse::<i64>().ok());
            if let Some(id) = id {
                if Some(id) != open {
                    IssuingSecret::delete(dir, id)?;
                }
            }
        }
        Ok(())
    }

    /// The blind signature: `blinded^d mod n`. The same blinded message
    /// always gets the same answer, so a tablet that lost the answer asks
    /// again with what it kept.
    pub fn blind_sign(&self, blinded: &[u8]) -> Result<Vec<u8>, BlindSignError> {
        let size = self.public.size();
        if blinded.len() != size {
            return Err(BlindSignError::Length(size));
        }
        if blinded >= self.public.n() {
            return Err(BlindSignError::NotBelowModulus);
        }
        // RFC 9474 §4.3 BlindSign: s = RSASP1(sk, m), then the check that
        // RSAVP1(pk, s) = m (a fault in the CRT step must not leak the key).
        // crypto-bigint's arithmetic is constant-time, so the extra
        // randomised blinding the crate's own `blind_sign` adds (a modular
        // inverse, a third of the cost) is left out.
        use blind_rsa_signatures::reexports::rsa::{hazmat, traits::PublicKeyParts, BoxedUint};
        let inner: &blind_rsa_signatures::reexports::rsa::RsaPrivateKey = self.key.as_ref();
        let bits = inner.n().bits_precision();
        let m = BoxedUint::from_be_slice(blinded, bits).map_err(|_| BlindSignError::Failed)?;
        let s = hazmat::rsa_decrypt_and_check::<DefaultRng>(inner, None, &m)
            .map_err(|_| BlindSignError::Failed)?;
        let bytes = s.to_be_bytes();
        // As long as the modulus, leading zeros kept (I2OSP).
        let tail = bytes.len().saturating_sub(size);
        let mut out = vec![0u8; size.saturating_sub(bytes.len())];
        out.extend_from_slice(&bytes[tail..]);
        Ok(out)
    }
}

/// Writes `text` to a fresh temporary file beside `<dir>/<name>` with the
/// given mode, flushed to disk; its path.
fn write_synced(dir: &Path, name: &str, text: &str, mode: u32) -> Result<PathBuf, KeyError> {
    let path = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let io = |source| KeyError::Io {
        path: path.clone(),
        source,
    };
    let _ = std::fs::remove_file(&path); // left by a crash of this same pid
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(&path).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(path)
}

/// Writes `<dir>/<name>` whole (a temporary file flushed to disk, then
/// renamed over it, then the directory flushed) with the given Unix mode:
/// after a crash the file is the old one or the new one, never a part.
pub fn write_whole(dir: &Path, name: &str, text: &str, mode: u32) -> Result<PathBuf, KeyError> {
    let path = dir.join(name);
    let tmp = write_synced(dir, name, text, mode)?;
    std::fs::rename(&tmp, &path).map_err(|source| KeyError::Io {
        path: path.clone(),
        source,
    })?;
    sync_dir(dir)?;
    Ok(path)
}

/// Flushes a directory's entries to disk (on Unix; elsewhere a no-op).
fn sync_dir(dir: &Path) -> Result<(), KeyError> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| KeyError::Io {
            path: dir.into(),
            source,
        })?;
    Ok(())
}

/// Reads a public key: a `.pub` file or 64 hex characters given directly.
pub fn read_public_key(arg: &str) -> Result<PublicKey, KeyError> {
    let path = Path::new(arg);
    let text = if arg.len() != 64 && path.exists() {
        std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.into(),
            source,
        })?
    } else {
        arg.to_string()
    };
    PublicKey::parse_hex(text.trim()).map_err(|e| KeyError::Format {
        path: path.into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn blind_signing_gives_the_rfc_9474_blind_signatures() {
        for v in crate::core::issuing::tests::rfc_vectors() {
            let sk = IssuingSecret::from_components(&v.n, &v.e, &v.d, &v.p, &v.q).unwrap();
            assert_eq!(
                sk.blind_sign(&v.blinded_msg).unwrap(),
                v.blind_sig,
                "{}",
                v.name
            );
            // The same blinded message again: the same answer.
            assert_eq!(sk.blind_sign(&v.blinded_msg).unwrap(), v.blind_sig);
            assert_eq!(
                sk.blind_sign(&v.blinded_msg[1..]),
                Err(BlindSignError::Length(512))
            );
            assert_eq!(sk.blind_sign(&v.n), Err(BlindSignError::NotBelowModulus));
        }
    }

    #[test]
    fn an_issuing_key_survives_a_restart_0600_and_is_deleted_at_close() {
        let dir = tempfile::tempdir().unwrap();
        let v = &crate::core::issuing::tests::rfc_vectors()[3];
        let sk = IssuingSecret::from_components(&v.n, &v.e, &v.d, &v.p, &v.q).unwrap();
        let path = sk.save(dir.path(), 7).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = IssuingSecret::load(dir.path(), 7).unwrap();
        assert_eq!(back.public_key(), sk.public_key());
        assert_eq!(back.blind_sign(&v.blinded_msg).unwrap(), v.blind_sig);
        IssuingSecret::delete(dir.path(), 7).unwrap();
        assert!(!path.exists());
        IssuingSecret::delete(dir.path(), 7).unwrap();
        // At start, only the open round's key stays.
        sk.save(dir.path(), 8).unwrap();
        sk.save(dir.path(), 9).unwrap();
        IssuingSecret::delete_all_but(dir.path(), Some(9)).unwrap();
        assert!(!dir.path().join("issuing-8.der").exists());
        assert!(dir.path().join("issuing-9.der").exists());
        IssuingSecret::delete_all_but(dir.path(), None).unwrap();
        assert!(!dir.path().join("issuing-9.der").exists());
    }

    use super::*;
    use crate::core::sig;

    #[test]
    fn test_keys_match_the_conformance_vectors() {
        assert_eq!(
            Signer::for_tests("authority").public_key().to_hex(),
            "682cf77463272e9c6e69692efa8620bf890130e2eae7c84e33dd9eae760e1f2d"
        );
        assert_eq!(
            Signer::for_tests("scrutineer-1").public_key().to_hex(),
            "cad2011d003b55fb9a9ce7de6eb6d5fe2ba7227423ad46d23b162414d90143b5"
        );
    }

    #[test]
    fn signatures_verify_and_bind_the_body() {
        let s = Signer::for_tests("authority");
        let sigv = s.sign(Role::Authority, &serde_json::json!({"a": 1}));
        let h = Hash::of(&serde_json::json!({"a": 1}));
        assert!(sig::verify(&s.public_key(), &h, &sigv.signature).is_ok());
        let other = Hash::of(&serde_json::json!({"a": 2}));
        assert!(sig::verify(&s.public_key(), &other, &sigv.signature).is_err());
    }

    #[test]
    fn save_writes_private_key_0600_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let s = Signer::generate().unwrap();
        let (k, p) = s.save(dir.path(), "authority").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&k).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(Signer::load(&k).unwrap().public_key(), s.public_key());
        assert_eq!(
            read_public_key(p.to_str().unwrap()).unwrap(),
            s.public_key()
        );
        assert!(matches!(
            Signer::generate().unwrap().save(dir.path(), "authority"),
            Err(KeyError::Exists(_))
        ));
        assert_eq!(Signer::load(&k).unwrap().public_key(), s.public_key());
        std::fs::write(dir.path().join("bad.key"), "zz").unwrap();
        assert!(matches!(
            Signer::load(&dir.path().join("bad.key")),
            Err(KeyError::Format { .. })
        ));
    }
}
