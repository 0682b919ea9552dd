//! RSASSA-PSS verification as tally-record-v2 uses it (RFC 8017 §8.1.2 and
//! §9.1.2: SHA-384, MGF1-SHA-384, salt length 0), small and fast: a
//! verifier checks one signature per tablet ballot, and a hall checks them
//! as ballots arrive. Everything here is public (the key, the signature, the
//! message), so the arithmetic is plain variable-time Montgomery
//! multiplication on 64-bit limbs — nothing secret passes through it.
//! Where the CPU has AVX-512 IFMA, `s^e mod n` runs in
//! [`super::pss_ifma`] instead (about four times as fast); this code stays
//! the reference it is tested against. Checked against RFC 9474's vectors
//! and against the `rsa` crate.

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
    /// The same key for AVX-512 IFMA, where the CPU has it.
    #[cfg(target_arch = "x86_64")]
    fast: Option<super::pss_ifma::Ifma>,
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
        if n.is_empty() || n[n.len() - 1].is_multiple_of(2) || e.is_empty() || e.len() > 8 {
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
        let rr = pow2_mod(&nl, 128 * limbs);
        let e = e.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64);
        let bits = k * 8 - n[0].leading_zeros() as usize;
        let n0 = inv.wrapping_neg();
        Some(PublicOp {
            #[cfg(target_arch = "x86_64")]
            fast: super::pss_ifma::Ifma::new(&nl, bits, n0, e, |k| pow2_mod(&nl, k)),
            n: nl,
            n0,
            rr,
            e,
            k,
            bits,
        })
    }

    /// Which arithmetic `s^e mod n` runs on here: the CPU's AVX-512 IFMA or
    /// the portable 64-bit code.
    pub fn arithmetic(&self) -> &'static str {
        #[cfg(target_arch = "x86_64")]
        if self.fast.is_some() {
            return "AVX-512 IFMA";
        }
        "64-bit portable"
    }

    /// The same key on the portable arithmetic only (tests compare the two).
    #[cfg(test)]
    pub(crate) fn portable(&self) -> PublicOp {
        PublicOp {
            #[cfg(target_arch = "x86_64")]
            fast: None,
            ..self.clone()
        }
    }

    /// `s^e mod n` as `k` big-endian bytes (`s` < n, checked by the caller).
    fn public(&self, s: &[u8]) -> Vec<u8> {
        #[cfg(target_arch = "x86_64")]
        if let Some(f) = &self.fast {
            let l = self.n.len();
            return be_from_limbs(&f.public(&limbs_from_be(s, l), l), self.k);
        }
        match self.n.len() {
            32 => self.public_in::<32>(s),
            48 => self.public_in::<48>(s),
            64 => self.public_in::<64>(s),
            _ => self.public_in::<128>(s),
        }
    }

    fn public_in<const L: usize>(&self, s: &[u8]) -> Vec<u8> {
        let (Some(n), Some(rr)) = (self.n.first_chunk::<L>(), self.rr.first_chunk::<L>()) else {
            return Vec::new(); // a length from SIZES: not reached
        };
        let mut plain = [0u64; L];
        for (i, byte) in s.iter().rev().enumerate().take(8 * L) {
            plain[i / 8] |= (*byte as u64) << (8 * (i % 8));
        }
        let mut x = [0u64; L];
        mont_mul(n, self.n0, &plain, rr, &mut x);
        let mut acc = x;
        let mut tmp = [0u64; L];
        for i in (0..63 - self.e.leading_zeros()).rev() {
            mont_sqr(n, self.n0, &acc, &mut tmp);
            acc = tmp;
            if (self.e >> i) & 1 == 1 {
                if i == 0 {
                    // The last multiplication by s itself (not in Montgomery
                    // form) leaves the Montgomery form: s^(e−1)·R · s · R⁻¹.
                    mont_mul(n, self.n0, &acc, &plain, &mut tmp);
                    return be_from_limbs(&tmp, self.k);
                }
                mont_mul(n, self.n0, &acc, &x, &mut tmp);
                acc = tmp;
            }
        }
        let mut one = [0u64; L];
        one[0] = 1;
        mont_mul(n, self.n0, &acc, &one, &mut tmp);
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

/// 2^k mod n (n odd, little-endian limbs), by doubling 1 k times: R² for
/// the Montgomery form, once per key.
fn pow2_mod(n: &[u64], k: usize) -> Vec<u64> {
    let mut r = vec![0u64; n.len()];
    r[0] = 1;
    for _ in 0..k {
        let mut carry = 0u64;
        for x in r.iter_mut() {
            let top = *x >> 63;
            *x = (*x << 1) | carry;
            carry = top;
        }
        if carry == 1 || ge(&r, n) {
            sub(&mut r, n);
        }
    }
    r
}

/// acc += a·b, the carry out of the 128-bit accumulator into `top`.
#[inline(always)]
fn mac(acc: &mut u128, top: &mut u64, a: u64, b: u64) {
    let (sum, carry) = acc.overflowing_add(a as u128 * b as u128);
    *acc = sum;
    *top += carry as u64;
}

/// Moves the accumulator one limb on: its low limb is done.
#[inline(always)]
fn shift(acc: &mut u128, top: &mut u64) {
    *acc = (*acc >> 64) | ((*top as u128) << 64);
    *top = 0;
}

/// out = a·b·R⁻¹ mod n, product scanning (Koç's FIPS): each limb of the
/// result is the sum of its column's products in one 192-bit accumulator,
/// so the products are independent of each other and only the accumulator
/// carries — about a fifth faster than row-by-row (CIOS), whose every limb
/// waits for the carry of the one before.
fn mont_mul<const L: usize>(n: &[u64; L], n0: u64, a: &[u64; L], b: &[u64; L], out: &mut [u64; L]) {
    let mut m = [0u64; L];
    let (mut acc, mut top) = (0u128, 0u64);
    for i in 0..L {
        for j in 0..i {
            mac(&mut acc, &mut top, a[j], b[i - j]);
            mac(&mut acc, &mut top, m[j], n[i - j]);
        }
        mac(&mut acc, &mut top, a[i], b[0]);
        // m[i] makes this column's low limb zero.
        m[i] = (acc as u64).wrapping_mul(n0);
        mac(&mut acc, &mut top, m[i], n[0]);
        shift(&mut acc, &mut top);
    }
    for i in L..2 * L {
        for j in i - L + 1..L {
            mac(&mut acc, &mut top, a[j], b[i - j]);
            mac(&mut acc, &mut top, m[j], n[i - j]);
        }
        out[i - L] = acc as u64;
        shift(&mut acc, &mut top);
    }
    if acc != 0 || ge(out, n) {
        sub(out, n);
    }
}

/// out = a²·R⁻¹ mod n: as [`mont_mul`], with each column's cross products
/// a[j]·a[i−j] (j < i−j) taken once and doubled.
fn mont_sqr<const L: usize>(n: &[u64; L], n0: u64, a: &[u64; L], out: &mut [u64; L]) {
    let mut m = [0u64; L];
    let (mut acc, mut top) = (0u128, 0u64);
    for i in 0..2 * L {
        let (mut sq, mut sq_top) = (0u128, 0u64);
        let mut j = (i + 1).saturating_sub(L);
        while j < i - j {
            mac(&mut sq, &mut sq_top, a[j], a[i - j]);
            j += 1;
        }
        sq_top = (sq_top << 1) | (sq >> 127) as u64;
        sq <<= 1;
        if j == i - j {
            mac(&mut sq, &mut sq_top, a[j], a[j]);
        }
        let (sum, carry) = acc.overflowing_add(sq);
        acc = sum;
        top += sq_top + carry as u64;
        if i < L {
            for j in 0..i {
                mac(&mut acc, &mut top, m[j], n[i - j]);
            }
            m[i] = (acc as u64).wrapping_mul(n0);
            mac(&mut acc, &mut top, m[i], n[0]);
        } else {
            for j in i - L + 1..L {
                mac(&mut acc, &mut top, m[j], n[i - j]);
            }
            out[i - L] = acc as u64;
        }
        shift(&mut acc, &mut top);
    }
    if acc != 0 || ge(out, n) {
        sub(out, n);
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
        let n32: [u64; 32] = op.n.clone().try_into().unwrap();
        let (mut a, mut b) = ([0u64; 32], [0u64; 32]);
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
            let x: [u64; 32] = limbs_from_be(&v, 32).try_into().unwrap();
            mont_mul(&n32, op.n0, &x, &x, &mut a);
            mont_sqr(&n32, op.n0, &x, &mut b);
            assert_eq!(a, b, "{k}");
        }
    }

    /// Bytes from a SHA-384 chain: `len` of them, from `seed`.
    fn chain(seed: u8, len: usize) -> Vec<u8> {
        let mut v = Vec::new();
        let mut s = [seed; 48];
        while v.len() < len {
            let d = Sha384::digest(s);
            s.copy_from_slice(&d);
            v.extend_from_slice(&s);
        }
        v.truncate(len);
        v
    }

    #[test]
    fn the_ifma_arithmetic_agrees_with_the_portable_on_every_size() {
        // Moduli of 2,048 to 8,192 bits (every size the IFMA code has, and
        // sizes just past each), values from 0 to n − 1, e from 3 to 2^64−1.
        let mut checked = 0;
        for (bits, e) in [
            (2048usize, &[1u8, 0, 1][..]),
            (2049, &[3]),
            (2078, &[1, 0, 1]),
            (2079, &[1, 0, 1]),
            (3072, &[1, 0, 1]),
            (4096, &[0xff; 8]),
            (4160, &[1, 0, 1]),
            (6000, &[1, 0, 1]),
            (8192, &[1, 0, 1]),
        ] {
            let mut n = chain(bits as u8, bits.div_ceil(8));
            let top = bits % 8;
            n[0] &= if top == 0 { 0xff } else { (1u8 << top) - 1 };
            n[0] |= if top == 0 { 0x80 } else { 1 << (top - 1) };
            *n.last_mut().unwrap() |= 1;
            let op = PublicOp::new(&n, e).unwrap();
            assert_eq!(op.bits, bits);
            let portable = op.portable();
            if op.arithmetic() == portable.arithmetic() {
                continue; // this CPU has no IFMA: one arithmetic only
            }
            let k = n.len();
            let mut values = vec![vec![0u8; k], n.clone(), n.clone()];
            values[1][k - 1] -= 1; // n − 1
            values[2][k - 1] = 0; // n's top bytes, then 0: large, below n
            let mut one = vec![0u8; k];
            one[k - 1] = 1;
            values.push(one);
            for seed in 0..40u8 {
                let mut v = chain(seed, k);
                v[0] = v[0].min(n[0].saturating_sub(1)); // below n
                values.push(v);
            }
            for v in &values {
                assert_eq!(op.public(v), portable.public(v), "{bits} bits");
                checked += 1;
            }
        }
        if checked == 0 {
            eprintln!("no AVX-512 IFMA on this CPU: the portable arithmetic alone");
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
