//! RSASSA-PSS verification as tally-record-v2 uses it (RFC 8017 §8.1.2 and
//! §9.1.2: SHA-384, MGF1-SHA-384, salt length 0), small and fast: a
//! verifier checks one signature per tablet ballot, and a hall checks them
//! as ballots arrive. Everything here is public (the key, the signature, the
//! message), so the arithmetic is plain variable-time Montgomery
//! multiplication on 64-bit limbs — nothing secret passes through it.
//! Checked against RFC 9474's vectors and against the `rsa` crate.

use sha2::{Digest, Sha384};

const H_LEN: usize = 48;

/// A public RSA key ready for `s^e mod n`.
#[derive(Clone, Debug)]
pub struct PublicOp {
    /// The modulus, little-endian 64-bit limbs.
    n: Vec<u64>,
    /// −n⁻¹ mod 2⁶⁴
    n0: u64,
    /// R² mod n, R = 2^(64·limbs)
    rr: Vec<u64>,
    e: u64,
    /// The modulus's length in bytes and bits.
    k: usize,
    bits: usize,
}

fn limbs_from_be(b: &[u8], limbs: usize) -> Vec<u64> {
    let mut out = vec![0u64; limbs];
    for (i, byte) in b.iter().rev().enumerate() {
        out[i / 8] |= (*byte as u64) << (8 * (i % 8));
    }
    out
}

fn be_from_limbs(x: &[u64], k: usize) -> Vec<u8> {
    (0..k)
        .rev()
        .map(|i| (x.get(i / 8).copied().unwrap_or(0) >> (8 * (i % 8))) as u8)
        .collect()
}

/// a ≥ b, both `limbs` long.
fn ge(a: &[u64], b: &[u64]) -> bool {
    for i in (0..a.len()).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// a −= b (a ≥ b).
fn sub(a: &mut [u64], b: &[u64]) {
    let mut borrow = 0u64;
    for i in 0..a.len() {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow);
        a[i] = d;
        borrow = (b1 || b2) as u64;
    }
}

/// The limb counts the arithmetic is compiled for (a modulus is padded with
/// zero limbs to the next; Montgomery multiplication needs only n < R).
/// Fixed lengths let the compiler unroll the loops and drop bounds checks:
/// about twice as fast as the same code over run-time lengths.
const SIZES: [usize; 4] = [32, 48, 64, 128];

impl PublicOp {
    /// `n` and `e` big-endian, as the manifest has them (`n` odd, at most
    /// 8,192 bits, `e` < 2⁶⁴).
    pub fn new(n: &[u8], e: &[u8]) -> Option<PublicOp> {
        if n.is_empty() || n[n.len() - 1] % 2 == 0 || e.is_empty() || e.len() > 8 {
            return None;
        }
        let k = n.len();
        let limbs = *SIZES.iter().find(|&&l| l >= k.div_ceil(8))?;
        let nl = limbs_from_be(n, limbs);
        // Newton's iteration for n[0]⁻¹ mod 2⁶⁴ (n odd).
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(nl[0].wrapping_mul(inv)));
        }
        // R² mod n by doubling 1, 2·64·limbs times.
        let mut rr = vec![0u64; limbs];
        rr[0] = 1;
        for _ in 0..128 * limbs {
            let mut carry = 0u64;
            for x in rr.iter_mut() {
                let top = *x >> 63;
                *x = (*x << 1) | carry;
                carry = top;
            }
            if carry == 1 || ge(&rr, &nl) {
                sub(&mut rr, &nl);
            }
        }
        let e = e.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64);
        let bits = k * 8 - n[0].leading_zeros() as usize;
        Some(PublicOp {
            n: nl,
            n0: inv.wrapping_neg(),
            rr,
            e,
            k,
            bits,
        })
    }

    /// out = a·b·R⁻¹ mod n (CIOS), all `L` limbs; `t` is scratch of `L + 2`.
    fn mont_mul<const L: usize>(&self, a: &[u64], b: &[u64], t: &mut [u64], out: &mut [u64]) {
        let (n, a, b, t, out) = (
            &self.n[..L],
            &a[..L],
            &b[..L],
            &mut t[..L + 2],
            &mut out[..L],
        );
        t.iter_mut().for_each(|x| *x = 0);
        for &ai in a {
            let mut c = 0u64;
            for j in 0..L {
                let x = t[j] as u128 + ai as u128 * b[j] as u128 + c as u128;
                t[j] = x as u64;
                c = (x >> 64) as u64;
            }
            let x = t[L] as u128 + c as u128;
            t[L] = x as u64;
            t[L + 1] = (x >> 64) as u64;
            let m = t[0].wrapping_mul(self.n0);
            let x = t[0] as u128 + m as u128 * n[0] as u128;
            let mut c = (x >> 64) as u64;
            for j in 1..L {
                let x = t[j] as u128 + m as u128 * n[j] as u128 + c as u128;
                t[j - 1] = x as u64;
                c = (x >> 64) as u64;
            }
            let x = t[L] as u128 + c as u128;
            t[L - 1] = x as u64;
            t[L] = t[L + 1] + (x >> 64) as u64;
            t[L + 1] = 0;
        }
        out.copy_from_slice(&t[..L]);
        if t[L] != 0 || ge(out, n) {
            sub(out, n);
        }
    }

    /// out = a²·R⁻¹ mod n: the square with each cross product once, then a
    /// Montgomery reduction; `w` is scratch of `2·L + 1`.
    fn mont_sqr<const L: usize>(&self, a: &[u64], w: &mut [u64], out: &mut [u64]) {
        let (n, a, w, out) = (&self.n[..L], &a[..L], &mut w[..2 * L + 1], &mut out[..L]);
        w.iter_mut().for_each(|x| *x = 0);
        // Cross products a[i]·a[j], i < j.
        for i in 0..L {
            let mut c = 0u64;
            for j in i + 1..L {
                let x = w[i + j] as u128 + a[i] as u128 * a[j] as u128 + c as u128;
                w[i + j] = x as u64;
                c = (x >> 64) as u64;
            }
            w[i + L] = c;
        }
        // Doubled, plus the squares.
        let mut carry = 0u64;
        for x in w[..2 * L].iter_mut() {
            let top = *x >> 63;
            *x = (*x << 1) | carry;
            carry = top;
        }
        let mut c = 0u64;
        for i in 0..L {
            let sq = a[i] as u128 * a[i] as u128;
            let x = w[2 * i] as u128 + (sq as u64) as u128 + c as u128;
            w[2 * i] = x as u64;
            let y = w[2 * i + 1] as u128 + (sq >> 64) + (x >> 64);
            w[2 * i + 1] = y as u64;
            c = (y >> 64) as u64;
        }
        w[2 * L] = c;
        // Montgomery reduction: clear the low L limbs one at a time; the
        // carry out of limb i + L is added to limb i + L + 1 on the next turn.
        let mut high = 0u64;
        for i in 0..L {
            let m = w[i].wrapping_mul(self.n0);
            let mut c = 0u64;
            for j in 0..L {
                let x = w[i + j] as u128 + m as u128 * n[j] as u128 + c as u128;
                w[i + j] = x as u64;
                c = (x >> 64) as u64;
            }
            let x = w[i + L] as u128 + c as u128 + high as u128;
            w[i + L] = x as u64;
            high = (x >> 64) as u64;
        }
        w[2 * L] += high;
        out.copy_from_slice(&w[L..2 * L]);
        if w[2 * L] != 0 || ge(out, n) {
            sub(out, n);
        }
    }

    /// `s^e mod n` as `k` big-endian bytes (`s` < n, checked by the caller).
    fn public(&self, s: &[u8]) -> Vec<u8> {
        match self.n.len() {
            32 => self.public_in::<32>(s),
            48 => self.public_in::<48>(s),
            64 => self.public_in::<64>(s),
            _ => self.public_in::<128>(s),
        }
    }

    fn public_in<const L: usize>(&self, s: &[u8]) -> Vec<u8> {
        let mut t = vec![0u64; L + 2];
        let mut w = vec![0u64; 2 * L + 1];
        let (mut x, mut acc, mut tmp) = (vec![0u64; L], vec![0u64; L], vec![0u64; L]);
        let plain = limbs_from_be(s, L);
        self.mont_mul::<L>(&plain, &self.rr, &mut t, &mut x);
        acc.copy_from_slice(&x);
        for i in (0..63 - self.e.leading_zeros()).rev() {
            self.mont_sqr::<L>(&acc, &mut w, &mut tmp);
            std::mem::swap(&mut acc, &mut tmp);
            if (self.e >> i) & 1 == 1 {
                if i == 0 {
                    // The last multiplication by s itself (not in Montgomery
                    // form) leaves the Montgomery form: s^(e−1)·R · s · R⁻¹.
                    self.mont_mul::<L>(&acc, &plain, &mut t, &mut tmp);
                    return be_from_limbs(&tmp, self.k);
                }
                self.mont_mul::<L>(&acc, &x, &mut t, &mut tmp);
                std::mem::swap(&mut acc, &mut tmp);
            }
        }
        let mut one = vec![0u64; L];
        one[0] = 1;
        self.mont_mul::<L>(&acc, &one, &mut t, &mut tmp);
        be_from_limbs(&tmp, self.k)
    }

    /// EMSA-PSS-VERIFY of `msg` under `sig` (exactly `k` bytes, below n).
    pub fn verify_pss_sha384_zero_salt(&self, msg: &[u8], sig: &[u8]) -> bool {
        if sig.len() != self.k {
            return false;
        }
        let em_bits = self.bits - 1;
        let em_len = em_bits.div_ceil(8);
        let full = self.public(sig);
        if self.k > em_len && full[0] != 0 {
            return false;
        }
        let em = &full[self.k - em_len..];
        if em_len < H_LEN + 2 || em[em_len - 1] != 0xbc {
            return false;
        }
        let (masked, h) = (
            &em[..em_len - H_LEN - 1],
            &em[em_len - H_LEN - 1..em_len - 1],
        );
        let top = 8 * em_len - em_bits;
        if top > 0 && masked[0] >> (8 - top) != 0 {
            return false;
        }
        // DB = maskedDB ⊕ MGF1(H): all zeros, then 0x01 (no salt).
        let mut counter = 0u32;
        let mut at = 0;
        while at < masked.len() {
            let block = Sha384::new()
                .chain_update(h)
                .chain_update(counter.to_be_bytes())
                .finalize();
            for (i, m) in block.iter().enumerate() {
                if at + i >= masked.len() {
                    break;
                }
                let mut d = masked[at + i] ^ m;
                if at + i == 0 {
                    d &= 0xff >> top;
                }
                let want = if at + i == masked.len() - 1 { 1 } else { 0 };
                if d != want {
                    return false;
                }
            }
            at += H_LEN;
            counter += 1;
        }
        let m_hash = Sha384::digest(msg);
        let h2 = Sha384::new()
            .chain_update([0u8; 8])
            .chain_update(m_hash)
            .finalize();
        h2.as_slice() == h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squaring_agrees_with_multiplying_by_itself() {
        // A 2048-bit odd modulus and values from SHA-384 chains.
        let mut n = Vec::new();
        let mut seed = [7u8; 48];
        while n.len() < 256 {
            let d = Sha384::digest(seed);
            seed.copy_from_slice(&d);
            n.extend_from_slice(&seed);
        }
        n.truncate(256);
        n[0] |= 0x80;
        n[255] |= 1;
        let op = PublicOp::new(&n, &[1, 0, 1]).unwrap();
        let l = op.n.len();
        let (mut t, mut w) = (vec![0u64; l + 2], vec![0u64; 2 * l + 1]);
        let (mut a, mut b) = (vec![0u64; l], vec![0u64; l]);
        for k in 0..50u8 {
            let mut v = Vec::new();
            let mut s = [k; 48];
            while v.len() < 256 {
                let d = Sha384::digest(s);
                s.copy_from_slice(&d);
                v.extend_from_slice(&s);
            }
            v.truncate(256);
            v[0] &= 0x7f; // below n
            if k == 0 {
                v.iter_mut().for_each(|x| *x = 0xff);
                v[0] = n[0] - 1; // large
            }
            let x = limbs_from_be(&v, l);
            op.mont_mul::<32>(&x, &x, &mut t, &mut a);
            op.mont_sqr::<32>(&x, &mut w, &mut b);
            assert_eq!(a, b, "{k}");
        }
    }

    #[test]
    fn montgomery_powers_agree_with_plain_arithmetic_on_small_moduli() {
        // n = 2^127 - 1 (a Mersenne prime, odd), checked against u128 arithmetic.
        let n: u128 = (1 << 127) - 1;
        let op = PublicOp::new(&n.to_be_bytes(), &[0x01, 0x00, 0x01]).unwrap();
        let mulmod = |a: u128, b: u128| -> u128 {
            // Double-and-add, to stay within u128.
            let (mut r, mut a, mut b) = (0u128, a % n, b);
            while b > 0 {
                if b & 1 == 1 {
                    r = (r + a) % n;
                }
                a = (a << 1) % n;
                b >>= 1;
            }
            r
        };
        for s in [2u128, 3, 12345678901234567890, n - 1, n / 3] {
            // s^65537 = s^(2^16) · s
            let mut want = s % n;
            for _ in 0..16 {
                want = mulmod(want, want);
            }
            want = mulmod(want, s);
            let got = op.public(&s.to_be_bytes());
            assert_eq!(u128::from_be_bytes(got.try_into().unwrap()), want, "{s}");
        }
    }
}
