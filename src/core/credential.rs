//! 投票凭证 (one-time credentials): 16 random bytes, written in Crockford
//! base32, committed to in the manifest; and the pool of commitments a round
//! accepts, with a record of which have been used.

use super::canon::Hash;
use super::record::ElectionId;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of a credential: 128 bits in 5-bit groups.
pub const CREDENTIAL_CHARS: usize = 26;

/// A credential as a deputy holds it (on a tablet or printed on paper).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Credential([u8; 16]);

/// Why typed or scanned credential text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("凭证应为 26 个字符，实际为 {found} 个")]
    Length { found: usize },
    #[error("凭证第 {pos} 个字符 {ch:?} 不可能出现")]
    Char { pos: usize, ch: char },
    #[error("凭证最后一个字符 {ch:?} 不可能出现")]
    Tail { ch: char },
}

impl Credential {
    /// A fresh credential from the operating system's CSPRNG.
    pub fn generate() -> Result<Credential, rand_core::Error> {
        use rand_core::RngCore;
        let mut b = [0u8; 16];
        rand_core::OsRng.try_fill_bytes(&mut b)?;
        Ok(Credential(b))
    }

    pub fn from_bytes(b: [u8; 16]) -> Credential {
        Credential(b)
    }

    /// Reads a credential back leniently: case, `-` and spaces are ignored,
    /// `O` is read as `0`, `I` and `L` as `1`.
    pub fn parse(text: &str) -> Result<Credential, CredentialError> {
        let mut vals = [0u8; CREDENTIAL_CHARS];
        let mut n = 0usize;
        for (i, ch) in text.chars().enumerate() {
            if ch == '-' || ch.is_whitespace() {
                continue;
            }
            let c = match ch.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let v = if c.is_ascii() {
                ALPHABET.iter().position(|&a| a == c as u8)
            } else {
                None
            };
            let Some(v) = v else {
                return Err(CredentialError::Char { pos: i + 1, ch });
            };
            if n < CREDENTIAL_CHARS {
                vals[n] = v as u8;
            }
            n += 1;
        }
        if n != CREDENTIAL_CHARS {
            return Err(CredentialError::Length { found: n });
        }
        // 26 x 5 = 130 bits: the last character carries 3 bits and 2 zero bits.
        if vals[25] & 0b11 != 0 {
            return Err(CredentialError::Tail {
                ch: ALPHABET[vals[25] as usize] as char,
            });
        }
        let mut acc: u32 = 0;
        let mut bits = 0;
        let mut out = [0u8; 16];
        let mut o = 0;
        for &v in &vals {
            acc = (acc << 5) | v as u32;
            bits += 5;
            if bits >= 8 && o < 16 {
                bits -= 8;
                out[o] = (acc >> bits) as u8;
                o += 1;
            }
        }
        Ok(Credential(out))
    }

    /// The 26-character canonical text, as hashed in the commitment.
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(CREDENTIAL_CHARS);
        let mut acc: u32 = 0;
        let mut bits = 0;
        for &b in &self.0 {
            acc = (acc << 8) | b as u32;
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                s.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
            }
        }
        s.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
        s
    }

    /// For people: groups of five and four, `XXXXX-XXXXX-XXXX-XXXX-XXXX-XXXX`.
    pub fn grouped(&self) -> String {
        let t = self.text();
        [
            &t[0..5],
            &t[5..10],
            &t[10..14],
            &t[14..18],
            &t[18..22],
            &t[22..26],
        ]
        .join("-")
    }

    /// `SHA-256("minsheng-credential:" + election_id + ":" + round + ":" + credential)`.
    pub fn commitment(&self, election_id: &ElectionId, round: u64) -> Hash {
        let mut h = Sha256::new();
        h.update(b"minsheng-credential:");
        h.update(election_id.as_str().as_bytes());
        h.update(b":");
        h.update(round.to_string().as_bytes());
        h.update(b":");
        h.update(self.text().as_bytes());
        Hash(h.finalize().into())
    }

    /// The text a paper ballot's QR code holds: `MSV1|<election_id>|<round>|<credential>`.
    pub fn qr_text(&self, election_id: &ElectionId, round: u64) -> String {
        format!("MSV1|{election_id}|{round}|{}", self.text())
    }
}

impl fmt::Debug for Credential {
    // Never print a credential by accident (logs, panics): it is a vote.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential(..)")
    }
}

/// What a scanned QR code said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrBallot {
    pub election_id: ElectionId,
    pub round: u64,
    pub credential: Credential,
}

/// Why scanned QR text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("不是本系统的选票二维码")]
    Format,
    #[error("二维码中的选举标识无效: {0}")]
    Election(String),
    #[error("二维码中的轮次无效: {0:?}")]
    Round(String),
    #[error(transparent)]
    Credential(#[from] CredentialError),
}

impl QrBallot {
    /// Parses what a USB scanner types. Tolerates surrounding white space and
    /// lower case (some scanners send shifted characters as lower case).
    pub fn parse(text: &str) -> Result<QrBallot, QrError> {
        let t = text.trim();
        let mut parts = t.split('|');
        let (Some(tag), Some(e), Some(r), Some(c), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(QrError::Format);
        };
        if !tag.eq_ignore_ascii_case("MSV1") {
            return Err(QrError::Format);
        }
        let election_id = ElectionId::parse(&e.to_ascii_lowercase())
            .map_err(|x| QrError::Election(x.to_string()))?;
        let round = r
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=super::canon::MAX_INT).contains(n))
            .ok_or_else(|| QrError::Round(r.to_string()))?;
        Ok(QrBallot {
            election_id,
            round,
            credential: Credential::parse(c)?,
        })
    }
}

/// The commitments a round accepts (sorted, as in the manifest), with a
/// bucket index on their leading bits sized to about one commitment per
/// bucket, so that a lookup in a million-credential pool touches two or
/// three cache lines. Immutable, so shared by threads.
#[derive(Debug)]
pub struct PoolIndex {
    sorted: Arc<Vec<Hash>>,
    /// `bucket[b]..bucket[b+1]` is the range of commitments whose leading
    /// `bits` bits are `b`.
    bucket: Vec<u32>,
    bits: u32,
}

impl PoolIndex {
    /// `commitments` must be sorted ascending and unique (see `Manifest::check`).
    pub fn new(commitments: Arc<Vec<Hash>>) -> PoolIndex {
        let bits = (usize::BITS - commitments.len().leading_zeros()).clamp(8, 24);
        let buckets = 1usize << bits;
        let mut bucket = vec![0u32; buckets + 1];
        let mut i = 0usize;
        for (b, slot) in bucket.iter_mut().enumerate().take(buckets) {
            while i < commitments.len() && prefix(&commitments[i], bits) < b {
                i += 1;
            }
            *slot = i as u32;
        }
        bucket[buckets] = commitments.len() as u32;
        PoolIndex {
            sorted: commitments,
            bucket,
            bits,
        }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    pub fn commitments(&self) -> &[Hash] {
        &self.sorted
    }

    /// Where a commitment stands in the pool, if it is there at all.
    pub fn position(&self, c: &Hash) -> Option<usize> {
        let p = prefix(c, self.bits);
        let lo = self.bucket[p] as usize;
        let hi = self.bucket[p + 1] as usize;
        self.sorted[lo..hi]
            .iter()
            .position(|h| h == c)
            .map(|i| lo + i)
    }
}

/// A round's credential pool and which credentials have been used.
#[derive(Clone, Debug)]
pub struct Pool {
    index: Arc<PoolIndex>,
    used: Vec<u64>,
    used_count: usize,
}

impl Pool {
    /// `commitments` must be sorted ascending and unique (see `Manifest::check`).
    pub fn new(commitments: Arc<Vec<Hash>>) -> Pool {
        let words = commitments.len().div_ceil(64);
        Pool {
            index: Arc::new(PoolIndex::new(commitments)),
            used: vec![0; words],
            used_count: 0,
        }
    }

    pub fn index(&self) -> &Arc<PoolIndex> {
        &self.index
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn used_count(&self) -> usize {
        self.used_count
    }

    pub fn position(&self, c: &Hash) -> Option<usize> {
        self.index.position(c)
    }

    pub fn is_used(&self, pos: usize) -> bool {
        self.used[pos / 64] & (1 << (pos % 64)) != 0
    }

    /// Marks a credential used; false if it already was.
    pub fn mark_used(&mut self, pos: usize) -> bool {
        let w = &mut self.used[pos / 64];
        let bit = 1u64 << (pos % 64);
        if *w & bit != 0 {
            return false;
        }
        *w |= bit;
        self.used_count += 1;
        true
    }
}

/// The leading `bits` bits of a commitment (bits <= 32).
fn prefix(h: &Hash, bits: u32) -> usize {
    (u32::from_be_bytes([h.0[0], h.0[1], h.0[2], h.0[3]]) >> (32 - bits)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_is_26_crockford_characters() {
        for seed in 0..200u8 {
            let c = Credential::from_bytes(Hash::of_bytes(&[seed]).0[..16].try_into().unwrap());
            let t = c.text();
            assert_eq!(t.len(), 26);
            assert!(t.bytes().all(|b| ALPHABET.contains(&b)));
            assert_eq!(Credential::parse(&t), Ok(c));
            assert_eq!(Credential::parse(&c.grouped()), Ok(c));
        }
        assert_eq!(Credential::from_bytes([0; 16]).text(), "0".repeat(26));
        assert_eq!(
            Credential::from_bytes([0xff; 16]).text(),
            format!("{}W", "Z".repeat(25))
        );
    }

    #[test]
    fn reading_back_is_lenient_about_case_dashes_and_lookalikes() {
        let c = Credential::from_bytes(*b"0123456789abcdef");
        let t = c.grouped();
        let messy = format!("  {} ", t.to_lowercase().replace('-', " - "));
        assert_eq!(Credential::parse(&messy), Ok(c));
        let zero = Credential::from_bytes([0; 16]);
        assert_eq!(
            Credential::parse("OOOOO-ooooo-0000-0000-0000-0000"),
            Ok(zero)
        );
        let ones = format!("{}0", "1".repeat(25));
        let lookalikes = format!("{}i0", "IL".repeat(12));
        assert_eq!(Credential::parse(&lookalikes), Credential::parse(&ones));
    }

    #[test]
    fn bad_text_is_refused_with_the_reason() {
        assert_eq!(
            Credential::parse("ABC"),
            Err(CredentialError::Length { found: 3 })
        );
        assert_eq!(
            Credential::parse(&"0".repeat(27)),
            Err(CredentialError::Length { found: 27 })
        );
        assert_eq!(
            Credential::parse(&format!("0U{}", "0".repeat(24))),
            Err(CredentialError::Char { pos: 2, ch: 'U' })
        );
        assert_eq!(
            Credential::parse(&format!("票{}", "0".repeat(25))),
            Err(CredentialError::Char { pos: 1, ch: '票' })
        );
        assert_eq!(
            Credential::parse(&format!("{}1", "0".repeat(25))),
            Err(CredentialError::Tail { ch: '1' })
        );
    }

    #[test]
    fn commitment_follows_the_spec_formula() {
        let c = Credential::from_bytes([7; 16]);
        let e = ElectionId::parse("shiguai-2027").unwrap();
        let expect =
            Hash::of_bytes(format!("minsheng-credential:shiguai-2027:2:{}", c.text()).as_bytes());
        assert_eq!(c.commitment(&e, 2), expect);
        assert_ne!(c.commitment(&e, 1), expect);
    }

    #[test]
    fn qr_text_parses_back() {
        let c = Credential::generate().unwrap();
        let e = ElectionId::parse("shiguai-2027").unwrap();
        let q = QrBallot::parse(&format!("{}\r\n", c.qr_text(&e, 3))).unwrap();
        assert_eq!(
            q,
            QrBallot {
                election_id: e,
                round: 3,
                credential: c
            }
        );
        assert_eq!(QrBallot::parse("hello"), Err(QrError::Format));
        assert!(matches!(
            QrBallot::parse("MSV1|x|0|AAAA"),
            Err(QrError::Round(_))
        ));
        assert!(matches!(
            QrBallot::parse("MSV1|X Y|1|AAAA"),
            Err(QrError::Election(_))
        ));
        assert!(matches!(
            QrBallot::parse("MSV1|x|1|AAAA"),
            Err(QrError::Credential(_))
        ));
    }

    #[test]
    fn pool_finds_members_and_marks_each_used_once() {
        for n in [1u32, 3, 255, 256, 257, 70_000] {
            let mut hs: Vec<Hash> = (0..n).map(|i| Hash::of_bytes(&i.to_le_bytes())).collect();
            hs.sort();
            let pool = PoolIndex::new(hs.clone().into());
            for (i, h) in hs.iter().enumerate() {
                assert_eq!(pool.position(h), Some(i), "pool of {n}");
            }
            assert_eq!(pool.position(&Hash([0; 32])), None);
            assert_eq!(pool.position(&Hash([0xff; 32])), None);
        }
        let mut hs: Vec<Hash> = (0..5000u32)
            .map(|i| Hash::of_bytes(&i.to_le_bytes()))
            .collect();
        hs.sort();
        let mut pool = Pool::new(hs.clone().into());
        assert_eq!(pool.position(&Hash::of_bytes(b"not there")), None);
        assert!(pool.mark_used(17));
        assert!(!pool.mark_used(17));
        assert!(pool.is_used(17) && !pool.is_used(18));
        assert_eq!(pool.used_count(), 1);
        let empty = Pool::new(Default::default());
        assert_eq!(empty.position(&hs[0]), None);
    }
}
