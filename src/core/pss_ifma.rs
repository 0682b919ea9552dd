//! `s^e mod n` with AVX-512 IFMA (52-bit multiply-add, eight lanes at a
//! time), for CPUs that have it: about four times the portable arithmetic in
//! [`super::pss`], which stays the reference and the path on every other
//! machine (`tests` below check the two agree). Only public values pass
//! through (key, signature): variable time is fine.
//!
//! Numbers are held as 8·V digits of 52 bits, R = 2^(52·8V) ≥ 4n. One
//! Montgomery multiplication scans a's digits; each step adds a_i·b and y·n
//! to an accumulator of 64-bit lanes (the low and high 52 bits of each
//! product apart), then moves it down one digit. Lanes take the carries
//! until the end (≤ 2·8V·2^53 < 2^64), where one pass normalises them. As in
//! the "almost Montgomery multiplication" of Gueron and Krasnov (2016),
//! values stay below 2n between steps and are reduced once at the end.
//!
//! This is the one module with `unsafe`: a transmute between a vector and
//! its eight lanes (64 bytes of plain integers either way, every bit pattern
//! valid), and the call into the `avx512ifma` functions, made only after the
//! CPU said it has them (`Ifma::new`).
#![allow(unsafe_code)]

use core::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_alignr_epi64, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64,
    _mm512_maskz_srli_epi64, _mm512_permutexvar_epi64, _mm512_set1_epi64, _mm512_setzero_si512,
};

const MASK: u64 = (1 << 52) - 1;

/// 8·V digits of 52 bits, little-endian.
type Digits<const V: usize> = [[u64; 8]; V];

#[inline(always)]
fn vector(a: [u64; 8]) -> __m512i {
    // SAFETY: 64 bytes of plain integers either way; every bit pattern is valid.
    unsafe { core::mem::transmute::<[u64; 8], __m512i>(a) }
}

#[inline(always)]
fn lanes(v: __m512i) -> [u64; 8] {
    // SAFETY: as in `vector`.
    unsafe { core::mem::transmute::<__m512i, [u64; 8]>(v) }
}

/// out = a·b·R⁻¹ mod n, almost: below 2n when a and b are; every digit of
/// a and b below 2^52, and so is every digit of out.
#[target_feature(enable = "avx512f,avx512ifma")]
fn amm<const V: usize>(
    a: &Digits<V>,
    b: &[__m512i; V],
    n: &[__m512i; V],
    k0: __m512i,
    out: &mut Digits<V>,
) {
    let zero = _mm512_setzero_si512();
    let mut acc = [zero; V];
    for i in 0..8 * V {
        let ai = _mm512_set1_epi64(a[i / 8][i % 8] as i64);
        // The high halves belong one digit up: added after the move down.
        let mut hi = [zero; V];
        for v in 0..V {
            acc[v] = _mm512_madd52lo_epu64(acc[v], ai, b[v]);
            hi[v] = _mm512_madd52hi_epu64(zero, ai, b[v]);
        }
        // y = t0·k0 mod 2^52 (k0 = −n⁻¹), in every lane: t0 + y·n0 ≡ 0.
        let y = _mm512_madd52lo_epu64(zero, _mm512_permutexvar_epi64(zero, acc[0]), k0);
        for v in 0..V {
            acc[v] = _mm512_madd52lo_epu64(acc[v], y, n[v]);
            hi[v] = _mm512_madd52hi_epu64(hi[v], y, n[v]);
        }
        // Digit 0 is now 0 mod 2^52: its carry goes up, the rest down one.
        let carry = _mm512_maskz_srli_epi64(1, acc[0], 52);
        for v in 0..V {
            let next = if v + 1 < V { acc[v + 1] } else { zero };
            acc[v] = _mm512_add_epi64(_mm512_alignr_epi64::<1>(next, acc[v]), hi[v]);
        }
        acc[0] = _mm512_add_epi64(acc[0], carry);
    }
    let mut c = 0u64;
    for (v, d) in acc.iter().zip(out.iter_mut()) {
        for (x, o) in lanes(*v).iter().zip(d.iter_mut()) {
            let t = x + c;
            *o = t & MASK;
            c = t >> 52;
        }
    }
}

/// 64-bit limbs (little-endian) to 52-bit digits.
fn digits<const V: usize>(x: &[u64]) -> Digits<V> {
    let mut out = [[0u64; 8]; V];
    for i in 0..8 * V {
        let (w, s) = (52 * i / 64, 52 * i % 64);
        let mut d = x.get(w).copied().unwrap_or(0) >> s;
        if s > 12 {
            d |= x.get(w + 1).copied().unwrap_or(0) << (64 - s);
        }
        out[i / 8][i % 8] = d & MASK;
    }
    out
}

/// 52-bit digits to `limbs` 64-bit limbs.
fn limbs<const V: usize>(d: &Digits<V>, limbs: usize) -> Vec<u64> {
    let mut out = vec![0u64; limbs];
    for i in 0..8 * V {
        let (w, s) = (52 * i / 64, 52 * i % 64);
        let x = d[i / 8][i % 8];
        if let Some(o) = out.get_mut(w) {
            *o |= x << s;
        }
        if s > 12 {
            if let Some(o) = out.get_mut(w + 1) {
                *o |= x >> (64 - s);
            }
        }
    }
    out
}

fn ge<const V: usize>(a: &Digits<V>, b: &Digits<V>) -> bool {
    for i in (0..8 * V).rev() {
        let (x, y) = (a[i / 8][i % 8], b[i / 8][i % 8]);
        if x != y {
            return x > y;
        }
    }
    true
}

fn sub<const V: usize>(a: &mut Digits<V>, b: &Digits<V>) {
    let mut borrow = 0u64;
    for i in 0..8 * V {
        let x = a[i / 8][i % 8]
            .wrapping_sub(b[i / 8][i % 8])
            .wrapping_sub(borrow);
        a[i / 8][i % 8] = x & MASK;
        borrow = x >> 63;
    }
}

/// One key's constants for V vectors of digits.
#[derive(Clone, Debug)]
pub(super) struct Key<const V: usize> {
    n: Digits<V>,
    /// R² mod n.
    rr: Digits<V>,
    /// −n⁻¹ mod 2^52.
    k0: u64,
    e: u64,
}

impl<const V: usize> Key<V> {
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn pow(&self, s: &Digits<V>) -> Digits<V> {
        let n = self.n.map(vector);
        let k0 = _mm512_set1_epi64(self.k0 as i64);
        let mut x = [[0u64; 8]; V];
        amm(s, &self.rr.map(vector), &n, k0, &mut x);
        let xv = x.map(vector);
        let (mut acc, mut tmp) = (x, [[0u64; 8]; V]);
        for i in (0..63 - self.e.leading_zeros()).rev() {
            amm(&acc, &acc.map(vector), &n, k0, &mut tmp);
            acc = tmp;
            if (self.e >> i) & 1 == 1 {
                amm(&acc, &xv, &n, k0, &mut tmp);
                acc = tmp;
            }
        }
        let mut one = [[0u64; 8]; V];
        one[0][0] = 1;
        amm(&acc, &one.map(vector), &n, k0, &mut tmp);
        // Below n + 1 here; n itself only for s ≡ 0.
        if ge(&tmp, &self.n) {
            sub(&mut tmp, &self.n);
        }
        tmp
    }
}

/// A public key ready for the IFMA arithmetic, in the size that holds it.
#[derive(Clone, Debug)]
pub(super) enum Ifma {
    V5(Box<Key<5>>),
    V8(Box<Key<8>>),
    V10(Box<Key<10>>),
    V16(Box<Key<16>>),
    V20(Box<Key<20>>),
}

impl Ifma {
    /// `None` unless this CPU has AVX-512 IFMA (and the modulus fits one of
    /// the sizes: up to 8,318 bits). `n` as 64-bit limbs, `n0` = −n⁻¹ mod
    /// 2⁶⁴; `pow2` gives 2^k mod n.
    pub(super) fn new(
        n: &[u64],
        bits: usize,
        n0: u64,
        e: u64,
        pow2: impl Fn(usize) -> Vec<u64>,
    ) -> Option<Ifma> {
        if !(std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512ifma"))
        {
            return None;
        }
        fn key<const V: usize>(
            n: &[u64],
            n0: u64,
            e: u64,
            pow2: impl Fn(usize) -> Vec<u64>,
        ) -> Key<V> {
            Key {
                n: digits(n),
                rr: digits(&pow2(2 * 52 * 8 * V)),
                k0: n0 & MASK,
                e,
            }
        }
        // R ≥ 4n keeps every step below 2n.
        let fits = |v: usize| bits + 2 <= 52 * 8 * v;
        Some(if fits(5) {
            Ifma::V5(Box::new(key(n, n0, e, pow2)))
        } else if fits(8) {
            Ifma::V8(Box::new(key(n, n0, e, pow2)))
        } else if fits(10) {
            Ifma::V10(Box::new(key(n, n0, e, pow2)))
        } else if fits(16) {
            Ifma::V16(Box::new(key(n, n0, e, pow2)))
        } else if fits(20) {
            Ifma::V20(Box::new(key(n, n0, e, pow2)))
        } else {
            return None;
        })
    }

    /// `s^e mod n` as `limbs` 64-bit limbs (`s` < n, as limbs).
    pub(super) fn public(&self, s: &[u64], limbs_out: usize) -> Vec<u64> {
        fn run<const V: usize>(k: &Key<V>, s: &[u64], l: usize) -> Vec<u64> {
            // SAFETY: a `Key` exists only inside an `Ifma`, made by
            // `Ifma::new` after the CPU was found to have avx512f and
            // avx512ifma.
            limbs(&unsafe { k.pow(&digits(s)) }, l)
        }
        match self {
            Ifma::V5(k) => run(k, s, limbs_out),
            Ifma::V8(k) => run(k, s, limbs_out),
            Ifma::V10(k) => run(k, s, limbs_out),
            Ifma::V16(k) => run(k, s, limbs_out),
            Ifma::V20(k) => run(k, s, limbs_out),
        }
    }
}
