// 盲签发 on the tablet: RFC 9474 RSABSSA-SHA384-PSSZero-Deterministic, client side.
// Plain JavaScript with BigInt, no outside code and no crypto.subtle (which plain
// HTTP does not have); randomness from crypto.getRandomValues, which it does.
// Checked against the RFC's own test vectors in the browser tests.
const MsBlind = (() => {
  const M64 = (1n << 64n) - 1n;
  const K = [
    '428a2f98d728ae22', '7137449123ef65cd', 'b5c0fbcfec4d3b2f', 'e9b5dba58189dbbc', '3956c25bf348b538',
    '59f111f1b605d019', '923f82a4af194f9b', 'ab1c5ed5da6d8118', 'd807aa98a3030242', '12835b0145706fbe',
    '243185be4ee4b28c', '550c7dc3d5ffb4e2', '72be5d74f27b896f', '80deb1fe3b1696b1', '9bdc06a725c71235',
    'c19bf174cf692694', 'e49b69c19ef14ad2', 'efbe4786384f25e3', '0fc19dc68b8cd5b5', '240ca1cc77ac9c65',
    '2de92c6f592b0275', '4a7484aa6ea6e483', '5cb0a9dcbd41fbd4', '76f988da831153b5', '983e5152ee66dfab',
    'a831c66d2db43210', 'b00327c898fb213f', 'bf597fc7beef0ee4', 'c6e00bf33da88fc2', 'd5a79147930aa725',
    '06ca6351e003826f', '142929670a0e6e70', '27b70a8546d22ffc', '2e1b21385c26c926', '4d2c6dfc5ac42aed',
    '53380d139d95b3df', '650a73548baf63de', '766a0abb3c77b2a8', '81c2c92e47edaee6', '92722c851482353b',
    'a2bfe8a14cf10364', 'a81a664bbc423001', 'c24b8b70d0f89791', 'c76c51a30654be30', 'd192e819d6ef5218',
    'd69906245565a910', 'f40e35855771202a', '106aa07032bbd1b8', '19a4c116b8d2d0c8', '1e376c085141ab53',
    '2748774cdf8eeb99', '34b0bcb5e19b48a8', '391c0cb3c5c95a63', '4ed8aa4ae3418acb', '5b9cca4f7763e373',
    '682e6ff3d6b2b8a3', '748f82ee5defb2fc', '78a5636f43172f60', '84c87814a1f0ab72', '8cc702081a6439ec',
    '90befffa23631e28', 'a4506cebde82bde9', 'bef9a3f7b2c67915', 'c67178f2e372532b', 'ca273eceea26619c',
    'd186b8c721c0c207', 'eada7dd6cde0eb1e', 'f57d4f7fee6ed178', '06f067aa72176fba', '0a637dc5a2c898a6',
    '113f9804bef90dae', '1b710b35131c471b', '28db77f523047d84', '32caab7b40c72493', '3c9ebe0a15c9bebc',
    '431d67c49c100d4c', '4cc5d4becb3e42b6', '597f299cfc657e2a', '5fcb6fab3ad6faec', '6c44198c4a475817',
  ].map((h) => BigInt('0x' + h));
  const H384 = [
    'cbbb9d5dc1059ed8', '629a292a367cd507', '9159015a3070dd17', '152fecd8f70e5939',
    '67332667ffc00b31', '8eb44a8768581511', 'db0c2e0d64f98fa7', '47b5481dbefa4fa4',
  ].map((h) => BigInt('0x' + h));
  const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & M64;

  /** SHA-384 (FIPS 180-4) of a Uint8Array. */
  function sha384(msg) {
    const len = msg.length;
    const padded = new Uint8Array(Math.ceil((len + 17) / 128) * 128);
    padded.set(msg);
    padded[len] = 0x80;
    let bits = BigInt(len) * 8n;
    for (let i = padded.length - 1; bits > 0n; i--, bits >>= 8n) padded[i] = Number(bits & 0xffn);
    const h = H384.slice();
    const w = new Array(80);
    for (let off = 0; off < padded.length; off += 128) {
      for (let t = 0; t < 16; t++) {
        let x = 0n;
        for (let j = 0; j < 8; j++) x = (x << 8n) | BigInt(padded[off + t * 8 + j]);
        w[t] = x;
      }
      for (let t = 16; t < 80; t++) {
        const s0 = rotr(w[t - 15], 1n) ^ rotr(w[t - 15], 8n) ^ (w[t - 15] >> 7n);
        const s1 = rotr(w[t - 2], 19n) ^ rotr(w[t - 2], 61n) ^ (w[t - 2] >> 6n);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) & M64;
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let t = 0; t < 80; t++) {
        const t1 = (hh + (rotr(e, 14n) ^ rotr(e, 18n) ^ rotr(e, 41n)) + ((e & f) ^ (~e & M64 & g)) + K[t] + w[t]) & M64;
        const t2 = ((rotr(a, 28n) ^ rotr(a, 34n) ^ rotr(a, 39n)) + ((a & b) ^ (a & c) ^ (b & c))) & M64;
        hh = g; g = f; f = e; e = (d + t1) & M64; d = c; c = b; b = a; a = (t1 + t2) & M64;
      }
      [a, b, c, d, e, f, g, hh].forEach((v, i) => { h[i] = (h[i] + v) & M64; });
    }
    const out = new Uint8Array(48);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 8; j++) out[i * 8 + j] = Number((h[i] >> BigInt(56 - 8 * j)) & 0xffn);
    return out;
  }

  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const unhex = (s) => new Uint8Array((s.match(/../g) || []).map((x) => parseInt(x, 16)));
  const toInt = (b) => (b.length ? BigInt('0x' + hex(b)) : 0n);
  function toBytes(x, k) {
    const s = x.toString(16).padStart(2 * k, '0');
    if (s.length > 2 * k) throw new Error('integer too large');
    return unhex(s);
  }
  const bitLen = (x) => x.toString(2).length;
  function modPow(b, e, m) {
    let r = 1n;
    b %= m;
    while (e > 0n) {
      if (e & 1n) r = (r * b) % m;
      b = (b * b) % m;
      e >>= 1n;
    }
    return r;
  }
  /** b^-1 mod m, or null when there is none. */
  function modInv(b, m) {
    let [r0, r1, t0, t1] = [m, b % m, 0n, 1n];
    while (r1 !== 0n) {
      const q = r0 / r1;
      [r0, r1] = [r1, r0 - q * r1];
      [t0, t1] = [t1, t0 - q * t1];
    }
    return r0 === 1n ? ((t0 % m) + m) % m : null;
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  function mgf1(seed, len) {
    const parts = [];
    for (let c = 0; parts.length * 48 < len; c++) parts.push(sha384(concat(seed, toBytes(BigInt(c), 4))));
    return concat(...parts).slice(0, len);
  }
  /** EMSA-PSS-ENCODE (RFC 8017 §9.1.1), SHA-384, salt length 0. */
  function pssEncode(msg, emBits) {
    const emLen = Math.ceil(emBits / 8);
    const h = sha384(concat(new Uint8Array(8), sha384(msg)));
    const db = new Uint8Array(emLen - 49);
    db[db.length - 1] = 1;
    const mask = mgf1(h, db.length);
    for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
    db[0] &= 0xff >> (8 * emLen - emBits);
    return concat(db, h, new Uint8Array([0xbc]));
  }
  function randomBelow(n, k) {
    for (;;) {
      const r = toInt(crypto.getRandomValues(new Uint8Array(k))) % n;
      if (r > 1n) return r;
    }
  }
  function keyOf(key) {
    const n = BigInt('0x' + key.n), e = BigInt('0x' + key.e);
    return {n, e, k: key.n.length / 2, bits: bitLen(n)};
  }
  /**
   * RFC 9474 §4.2 Blind, with r given (the tests) or drawn at random.
   * Returns hex strings: the blinded message to send, the inverse to keep.
   */
  function blind(msg, key, r) {
    const {n, e, k, bits} = keyOf(key);
    const m = toInt(pssEncode(msg, bits - 1));
    if (modInv(m, n) === null) throw new Error('message not invertible');
    for (;;) {
      const rr = r === undefined ? randomBelow(n, k) : r;
      const inv = modInv(rr, n);
      if (inv === null) { if (r !== undefined) throw new Error('r not invertible'); continue; }
      const z = (m * modPow(rr, e, n)) % n;
      return {blinded: hex(toBytes(z, k)), inv: hex(toBytes(inv, k))};
    }
  }
  /** RFC 9474 §4.4 Finalize: the signature, or null if it does not verify. */
  function finalize(msg, key, blindSig, inv) {
    const {n, e, k, bits} = keyOf(key);
    const z = BigInt('0x' + blindSig), s = (z * BigInt('0x' + inv)) % n;
    if (z >= n) return null;
    const m = toInt(pssEncode(msg, bits - 1));
    // Salt length 0: the encoding is unique, so s^e = m is the whole check.
    return modPow(s, e, n) === m ? hex(toBytes(s, k)) : null;
  }
  /** A tablet's own credential: 32 random bytes, hex. */
  const credential = () => hex(crypto.getRandomValues(new Uint8Array(32)));
  /** The message a credential stands for (tally-record-v2). */
  const message = (electionId, round, cred) => new TextEncoder().encode(`minsheng-ballot:${electionId}:${round}:${cred}`);
  return {sha384, blind, finalize, credential, message, hex, unhex, modInv};
})();
