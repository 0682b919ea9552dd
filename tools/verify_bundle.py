#!/usr/bin/env python3
"""An independent verifier for minsheng tally-record-v1 and -v2 bundles.

Written from the spec pages alone (docs/spec/v1/ and docs/spec/v2/:
tally-record-v1.md, tally-record-v2.md, counting-rules.md), with nothing but
the Python 3 standard library, so that an observer can read all of it in one
sitting and trust none of minsheng's own code.

    python3 verify_bundle.py bundle.jsonl [more.jsonl ...] [--tally-hash H] [--authority-key K]

Several bundles are a chain of rounds, in order: each later round must name
the tally hash of the one before as its previous_result (a fork is refused).
Prints each check as it passes and the tally hash; on the first failure prints
"FAIL line N: field: what" and exits 1.
"""
import argparse
import datetime
import hashlib
import json
import re
import sys

# --- Ed25519 verification (RFC 8032 section 5.1), plain integer arithmetic ---

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def point_add(a, b):
    # Extended coordinates (X, Y, Z, T), RFC 8032 section 5.1.4.
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    A = (y1 - x1) * (y2 - x2) % P
    B = (y1 + x1) * (y2 + x2) % P
    C = 2 * t1 * t2 * D % P
    Dd = 2 * z1 * z2 % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def scalar_mult(s, pt):
    q = (0, 1, 1, 0)  # the neutral element
    while s > 0:
        if s & 1:
            q = point_add(q, pt)
        pt = point_add(pt, pt)
        s >>= 1
    return q


def point_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def point_decode(s):
    # RFC 8032 section 5.1.3.
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        if sign:
            return None
        return (0, y, 1, 0)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return (x, y, 1, x * y % P)


GY = 4 * pow(5, P - 2, P) % P
BASE = point_decode(GY.to_bytes(32, "little"))


def ed25519_verify(public, msg, sig):
    """Checks [S]B = R + [k]A with S < L, k = SHA-512(R || A || msg)."""
    if len(public) != 32 or len(sig) != 64:
        return False
    A = point_decode(public)
    R = point_decode(sig[:32])
    S = int.from_bytes(sig[32:], "little")
    if A is None or R is None or S >= L:
        return False
    k = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % L
    return point_equal(scalar_mult(S, BASE), point_add(R, scalar_mult(k, A)))


# --- RSASSA-PSS verification (RFC 8017 section 8.1.2, 9.1.2): SHA-384, MGF1-SHA-384,
# salt length 0, as RFC 9474 RSABSSA-SHA384-PSSZero-Deterministic finishes it ---


def mgf1_sha384(seed, length):
    out = b""
    for counter in range((length + 47) // 48):
        out += hashlib.sha384(seed + counter.to_bytes(4, "big")).digest()
    return out[:length]


def rsa_pss_verify(n, e, msg, sig):
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return "the signature is not as long as the modulus"
    s = int.from_bytes(sig, "big")
    if s >= n:
        return "the signature is not below the modulus"
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    em = pow(s, e, n).to_bytes(k, "big")
    if k > em_len:
        if em[0] != 0:
            return "the issuing key did not sign this credential for this round"
        em = em[1:]
    h_len = 48
    if em_len < h_len + 2 or em[-1] != 0xBC:
        return "the issuing key did not sign this credential for this round"
    masked, h = em[: em_len - h_len - 1], em[em_len - h_len - 1 : -1]
    top = 8 * em_len - em_bits
    if masked[0] >> (8 - top) if top else 0:
        return "the issuing key did not sign this credential for this round"
    db = bytearray(a ^ b for a, b in zip(masked, mgf1_sha384(h, len(masked))))
    db[0] &= 0xFF >> top
    if any(db[:-1]) or db[-1] != 1:
        return "the issuing key did not sign this credential for this round"
    m_prime = b"\0" * 8 + hashlib.sha384(msg).digest()
    if hashlib.sha384(m_prime).digest() != h:
        return "the issuing key did not sign this credential for this round"
    return None


def ballot_message(m, credential):
    return f"minsheng-ballot:{m['election_id']}:{m['round']}:{credential}".encode("ascii")


# --- Canonical JSON and H ---


def canonical(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def H(o):
    return hashlib.sha256(canonical(o)).hexdigest()


# --- Checking ---


class Fail(Exception):
    def __init__(self, line, field, message):
        super().__init__(f"line {line}: {field}: {message}")
        self.line, self.field, self.message = line, field, message


HEX64 = re.compile(r"[0-9a-f]{64}")
HEX128 = re.compile(r"[0-9a-f]{128}")
ELECTION = re.compile(r"[a-z0-9-]{1,64}")
CANDIDATE = re.compile(r"[A-Za-z0-9_-]{1,32}")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
MAX_INT = 2**53 - 1


def no_duplicate_keys(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"duplicate key {k!r}")
        d[k] = v
    return d


def parse_line(line, text):
    try:
        return json.loads(text, object_pairs_hook=no_duplicate_keys)
    except ValueError as e:
        raise Fail(line, "(record)", f"not valid JSON: {e}")


class Checker:
    """Field checks that name the path of what is wrong."""

    def __init__(self, line):
        self.line = line

    def fail(self, path, message):
        raise Fail(self.line, path, message)

    def obj(self, v, path, keys):
        if not isinstance(v, dict):
            self.fail(path, "expected an object")
        for k in sorted(set(v) - set(keys)):
            self.fail(f"{path}.{k}", "unknown field")
        for k in keys:
            if k not in v:
                self.fail(path, f"missing field {k}")
        return v

    def int(self, v, path, minimum=0):
        if type(v) is not int or not (minimum <= v <= MAX_INT):
            self.fail(path, f"expected an integer {minimum}..2^53-1, found {json.dumps(v)}")
        return v

    def str(self, v, path, pattern=None, nonempty=False):
        if not isinstance(v, str):
            self.fail(path, f"expected a string, found {json.dumps(v)}")
        if pattern is not None and not pattern.fullmatch(v):
            self.fail(path, f"{v!r} is not of the form {pattern.pattern}")
        if nonempty and not v.strip():
            self.fail(path, "must not be empty")
        return v

    def one_of(self, v, path, allowed):
        if v not in allowed:
            self.fail(path, f"expected one of {allowed}, found {json.dumps(v, ensure_ascii=False)}")
        return v

    def time(self, v, path):
        self.str(v, path, TIME)
        try:
            datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            self.fail(path, f"{v!r} is not an RFC 3339 time")
        return v

    def date(self, v, path):
        self.str(v, path, re.compile(r"\d{4}-\d{2}-\d{2}"))
        try:
            datetime.date.fromisoformat(v)
        except ValueError:
            self.fail(path, f"{v!r} is not a date")
        return v

    def key(self, v, path):
        self.str(v, path, HEX64)
        if point_decode(bytes.fromhex(v)) is None:
            self.fail(path, f"{v} is not a valid Ed25519 public key")
        return v

    def signatures(self, envelope, body_hash, required, allowed):
        sigs = envelope["signatures"]
        if not isinstance(sigs, list):
            self.fail("signatures", "expected a list")
        for i, s in enumerate(sigs):
            path = f"signatures[{i}]"
            self.obj(s, path, ["role", "public_key", "signature"])
            self.one_of(s["role"], f"{path}.role", ["authority", "scrutineer"])
            self.str(s["public_key"], f"{path}.public_key", HEX64)
            self.str(s["signature"], f"{path}.signature", HEX128)
            if (s["role"], s["public_key"]) not in allowed:
                self.fail(path, f"key {s['public_key']} with role {s['role']} is not named in the manifest")
            if not ed25519_verify(bytes.fromhex(s["public_key"]), bytes.fromhex(body_hash), bytes.fromhex(s["signature"])):
                self.fail(path, f"{s['role']} signature does not verify")
        for role, k in required:
            if not any(s["role"] == role and s["public_key"] == k for s in sigs):
                self.fail("signatures", f"missing the signature of {role} {k}")


MANIFEST_KEYS = ["type", "election_id", "round", "previous_result", "title", "assembly", "total_deputies",
                 "rules", "candidates", "credentials", "authority_key", "scrutineer_keys", "opened_at"]
HEX = re.compile(r"(?:[0-9a-f]{2})+")


def version(c, v, path, kind):
    c.one_of(v, path, [f"minsheng.{kind}/1", f"minsheng.{kind}/2"])
    return int(v[-1])
ENTRY_KEYS = ["type", "election_id", "round", "seq", "prev", "credential", "channel", "marks", "void"]
# review-record-v2 (满意度测评): a v2 round whose rules' marks are these.
REVIEW_MARKS = ["satisfied", "basically_satisfied", "unsatisfied"]
REVIEW_KEYS = ["type", "election_id", "round", "manifest", "log_head", "total_deputies", "present", "issued",
               "issued_roll", "returned", "valid", "void", "quorum_met", "round_valid", "threshold", "tally",
               "ratings", "closed_at"]
RESULT_KEYS = ["type", "election_id", "round", "manifest", "log_head", "total_deputies", "present", "issued",
               "returned", "valid", "void", "quorum_met", "round_valid", "threshold", "tally", "ranking",
               "decided", "runoff", "unfilled", "closed_at"]


def check_manifest(text, expected_authority):
    c = Checker(1)
    env = c.obj(parse_line(1, text), "(record)", ["body", "signatures"])
    body = env["body"]
    v2 = isinstance(body, dict) and body.get("type") == "minsheng.manifest/2"
    m = c.obj(body, "body", MANIFEST_KEYS + (["issuing_key"] if v2 else []))
    m["_version"] = version(c, m["type"], "body.type", "manifest")
    c.str(m["election_id"], "body.election_id", ELECTION)
    c.int(m["round"], "body.round", 1)
    if m["round"] == 1 and m["previous_result"] is not None:
        c.fail("body.previous_result", "round 1 has no previous result: expected null")
    if m["round"] > 1:
        c.str(m["previous_result"], "body.previous_result", HEX64)
    c.str(m["title"], "body.title", nonempty=True)
    c.str(m["assembly"], "body.assembly", nonempty=True)
    c.int(m["total_deputies"], "body.total_deputies", 1)
    r = c.obj(m["rules"], "body.rules", ["seats", "max_for", "marks", "threshold_base", "shortfall"])
    c.int(r["seats"], "body.rules.seats", 1)
    c.int(r["max_for"], "body.rules.max_for", 1)
    c.one_of(r["marks"], "body.rules.marks", [["for", "against", "abstain"], ["for"], REVIEW_MARKS])
    c.one_of(r["threshold_base"], "body.rules.threshold_base", ["total_deputies", "present", "valid"])
    c.one_of(r["shortfall"], "body.rules.shortfall", ["accept", "revote"])
    if not isinstance(m["candidates"], list) or not m["candidates"]:
        c.fail("body.candidates", "expected a non-empty list")
    seen = set()
    for i, cand in enumerate(m["candidates"]):
        path = f"body.candidates[{i}]"
        c.obj(cand, path, ["id", "name", "lead_unit", "investment_yuan", "deadline", "summary"])
        c.str(cand["id"], f"{path}.id", CANDIDATE)
        for f in ["name", "lead_unit", "summary"]:
            c.str(cand[f], f"{path}.{f}")
        c.int(cand["investment_yuan"], f"{path}.investment_yuan")
        c.date(cand["deadline"], f"{path}.deadline")
        if cand["id"] in seen:
            c.fail(f"{path}.id", f"{cand['id']} is used twice")
        seen.add(cand["id"])
    # review-record-v2: every project rated, none decided.
    m["_review"] = r["marks"] == REVIEW_MARKS
    n = len(m["candidates"])
    if m["_review"]:
        if m["_version"] != 2:
            c.fail("body.rules.marks", "a satisfaction review is a v2 round (review-record-v2)")
        if r["seats"] != n or r["max_for"] != n:
            c.fail("body.rules.seats", f"a review rates every project: seats and max_for must both be {n}, found {r['seats']} and {r['max_for']}")
        if r["shortfall"] != "accept":
            c.fail("body.rules.shortfall", 'a review decides nothing: shortfall must be "accept"')
    elif r["threshold_base"] == "valid":
        c.fail("body.rules.threshold_base", '"valid" is a satisfaction review\'s base; a vote counts against total_deputies or present')
    creds = m["credentials"]
    if not isinstance(creds, list):
        c.fail("body.credentials", "expected a list")
    for i, h in enumerate(creds):
        c.str(h, f"body.credentials[{i}]", HEX64)
        if i > 0 and creds[i - 1] >= h:
            c.fail(f"body.credentials[{i}]", "commitments must be sorted ascending and unique")
    c.key(m["authority_key"], "body.authority_key")
    if not isinstance(m["scrutineer_keys"], list):
        c.fail("body.scrutineer_keys", "expected a list")
    for i, k in enumerate(m["scrutineer_keys"]):
        c.key(k, f"body.scrutineer_keys[{i}]")
    if not m["scrutineer_keys"]:
        c.fail("body.scrutineer_keys", "at least one scrutineer key: a result only the authority signs is checked by nobody")
    if v2:
        ik = c.obj(m["issuing_key"], "body.issuing_key", ["e", "n"])
        for f in ["e", "n"]:
            c.str(ik[f], f"body.issuing_key.{f}", HEX)
            if ik[f].startswith("00"):
                c.fail(f"body.issuing_key.{f}", "no leading zero bytes")
        n, e = int(ik["n"], 16), int(ik["e"], 16)
        if not (2048 <= n.bit_length() <= 8192) or n % 2 == 0:
            c.fail("body.issuing_key.n", f"an odd modulus of 2048 to 8192 bits, found {n.bit_length()} bits")
        if e % 2 == 0 or not (3 <= e < 2**64):
            c.fail("body.issuing_key.e", "an odd public exponent from 3 to 2^64-1")
        m["_rsa"] = (n, e)
    c.time(m["opened_at"], "body.opened_at")
    if expected_authority and m["authority_key"] != expected_authority:
        c.fail("body.authority_key", f"found {m['authority_key']}, expected {expected_authority}")
    mh = H({k: v for k, v in m.items() if not k.startswith("_")})
    print(f"ok  manifest v{m['_version']}: {m['election_id']} round {m['round']}, {len(m['candidates'])} candidates, "
          f"{len(creds)} credentials sorted and unique; H = {mh}")
    auth = ("authority", m["authority_key"])
    allowed = {auth} | {("scrutineer", k) for k in m["scrutineer_keys"]}
    c.signatures(env, mh, [auth], allowed)
    print("ok  manifest signature: authority")
    return m, mh


def check_entry(line, e, m, seq, prev, pool, used):
    c = Checker(line)
    has_sig = isinstance(e, dict) and "issuer_signature" in e
    c.obj(e, "(record)", ENTRY_KEYS + (["issuer_signature"] if has_sig else []))
    want_type = f"minsheng.entry/{m['_version']}"
    if version(c, e["type"], "type", "entry") != m["_version"]:
        c.fail("type", f"found {e['type']!r}, expected {want_type!r} (the manifest's version)")
    c.str(e["election_id"], "election_id", ELECTION)
    c.int(e["round"], "round")
    c.int(e["seq"], "seq")
    c.str(e["prev"], "prev", HEX64)
    c.str(e["credential"], "credential", HEX64)
    if e["election_id"] != m["election_id"]:
        c.fail("election_id", f"found {e['election_id']}, expected {m['election_id']}")
    if e["round"] != m["round"]:
        c.fail("round", f"found {e['round']}, expected {m['round']}")
    if e["seq"] != seq:
        c.fail("seq", f"found {e['seq']}, expected {seq}")
    if e["prev"] != prev:
        c.fail("prev", f"found {e['prev']}, expected {prev} (the hash of the entry before)")
    c.one_of(e["channel"], "channel", ["tablet", "paper"])
    signed = m["_version"] == 2 and e["channel"] == "tablet"
    if has_sig and m["_version"] == 1:
        c.fail("issuer_signature", "a v1 entry has no issuer_signature")
    if has_sig and not signed:
        c.fail("issuer_signature", "a paper entry has no issuer_signature: its credential is in the manifest's pool")
    if signed and not has_sig:
        c.fail("issuer_signature", "a v2 tablet entry needs the issuer's signature on its credential")
    if signed:
        c.str(e["issuer_signature"], "issuer_signature", HEX)
        n, e_pub = m["_rsa"]
        why = rsa_pss_verify(n, e_pub, ballot_message(m, e["credential"]), bytes.fromhex(e["issuer_signature"]))
        if why:
            c.fail("issuer_signature", why)
    elif e["credential"] not in pool:
        c.fail("credential", f"{e['credential']} is not in the manifest")
    if e["credential"] in used:
        c.fail("credential", f"{e['credential']} was already used")
    if not isinstance(e["marks"], dict):
        c.fail("marks", "expected an object")
    # A review has no abstain: an unmarked project is no opinion.
    allowed = set(m["rules"]["marks"]) | (set() if m["_review"] else {"abstain"}) | ({"unclear"} if e["channel"] == "paper" else set())
    ids = {cand["id"] for cand in m["candidates"]}
    for cid, mark in e["marks"].items():
        if cid not in ids:
            c.fail("marks", f"no candidate {cid} in this round")
        if mark not in allowed:
            c.fail("marks", f"mark {mark!r} not allowed for {cid} on {e['channel']}")
    c.one_of(e["void"], "void", [None, "over_cap", "unreadable"])
    fors = sum(1 for v in e["marks"].values() if v == "for")
    if e["void"] != "unreadable":
        expected = "over_cap" if fors > m["rules"]["max_for"] else None
        if e["void"] != expected:
            c.fail("void", f"found {json.dumps(e['void'])}, expected {json.dumps(expected)}")
    used.add(e["credential"])


def expected_result(m, mh, head, entries, r):
    """Recomputes the result body from the manifest, the log and the attendance."""
    ids = [cand["id"] for cand in m["candidates"]]
    tally = {i: {"for": 0, "against": 0, "abstain": 0, "unclear": 0} for i in ids}
    valid = 0
    for e in entries:
        if e["void"] is not None:
            continue
        valid += 1
        for i in ids:
            tally[i][e["marks"].get(i, "abstain")] += 1
    total, present, issued, seats = m["total_deputies"], r["present"], r["issued"], m["rules"]["seats"]
    quorum_met = 3 * present >= 2 * total
    round_valid = quorum_met and len(entries) <= issued
    base = total if m["rules"]["threshold_base"] == "total_deputies" else present
    threshold = base // 2 + 1
    ranking = sorted(ids, key=lambda i: (-tally[i]["for"], i.encode()))
    passing = [i for i in ranking if tally[i]["for"] >= threshold]
    decided, runoff = [], []
    if round_valid:
        if len(passing) <= seats:
            decided = passing
        else:
            cut = tally[passing[seats - 1]]["for"]
            if tally[passing[seats]]["for"] == cut:
                decided = [i for i in passing if tally[i]["for"] > cut]
                runoff = [i for i in passing if tally[i]["for"] == cut]
            else:
                decided = passing[:seats]
    want = {
        "type": f"minsheng.result/{m['_version']}", "election_id": m["election_id"], "round": m["round"],
        "manifest": mh, "log_head": head, "total_deputies": total, "present": present, "issued": issued,
        "returned": len(entries), "valid": valid, "void": len(entries) - valid,
        "quorum_met": quorum_met, "round_valid": round_valid, "threshold": threshold,
        "tally": tally, "ranking": ranking, "decided": decided, "runoff": runoff,
        "unfilled": max(0, seats - len(passing)) if round_valid else seats, "closed_at": r["closed_at"],
    }
    if m["_version"] == 2:
        want["issued_roll"] = r["issued_roll"]
    return want


def expected_review(m, mh, head, entries, r):
    """A review's result (review-record-v2) from the manifest, the log and the attendance."""
    ids = [cand["id"] for cand in m["candidates"]]
    marks = REVIEW_MARKS + ["unclear"]
    tally = {i: {k: 0 for k in marks + ["no_opinion"]} for i in ids}
    valid = 0
    for e in entries:
        if e["void"] is not None:
            continue
        valid += 1
        for i in ids:
            tally[i][e["marks"].get(i, "no_opinion")] += 1
    total, present, issued = m["total_deputies"], r["present"], r["issued"]
    quorum_met = 3 * present >= 2 * total
    round_valid = quorum_met and len(entries) <= issued
    base = {"valid": valid, "present": present, "total_deputies": total}[m["rules"]["threshold_base"]]
    threshold = base // 2 + 1
    ratings = {}
    if round_valid:
        for i in ids:
            t = tally[i]
            ratings[i] = ("satisfied" if t["satisfied"] >= threshold
                          else "basically_satisfied" if t["satisfied"] + t["basically_satisfied"] >= threshold
                          else "unsatisfied")
    return {
        "type": "minsheng.review-result/2", "election_id": m["election_id"], "round": m["round"],
        "manifest": mh, "log_head": head, "total_deputies": total, "present": present, "issued": issued,
        "returned": len(entries), "valid": valid, "void": len(entries) - valid,
        "quorum_met": quorum_met, "round_valid": round_valid, "threshold": threshold,
        "tally": tally, "ratings": ratings, "closed_at": r["closed_at"], "issued_roll": r["issued_roll"],
    }


def check_result(line, text, m, mh, head, entries, expected_tally_hash):
    c = Checker(line)
    env = c.obj(parse_line(line, text), "(record)", ["body", "signatures"])
    v2 = m["_version"] == 2
    review = m["_review"]
    r = c.obj(env["body"], "body", REVIEW_KEYS if review else RESULT_KEYS + (["issued_roll"] if v2 else []))
    if review:
        c.one_of(r["type"], "body.type", ["minsheng.review-result/2"])
    elif version(c, r["type"], "body.type", "result") != m["_version"]:
        c.fail("body.type", f"found {r['type']!r}, expected 'minsheng.result/{m['_version']}' (the manifest's version)")
    for f in ["total_deputies", "present", "issued", "returned", "valid", "void", "threshold"] + ([] if review else ["unfilled"]):
        c.int(r[f], f"body.{f}")
    c.time(r["closed_at"], "body.closed_at")
    want = (expected_review if review else expected_result)(m, mh, head, entries, r)
    order = ["election_id", "round", "manifest", "log_head", "total_deputies", "returned", "valid", "void"]
    for f in order:
        if r[f] != want[f] or type(r[f]) is not type(want[f]):
            c.fail(f"body.{f}", f"found {json.dumps(r[f])}, expected {json.dumps(want[f])}")
    if not isinstance(r["tally"], dict) or sorted(r["tally"]) != sorted(want["tally"]):
        c.fail("body.tally (candidates)", "the tally must list exactly the manifest's candidates")
    counted = sorted(REVIEW_MARKS + ["unclear", "no_opinion"]) if review else ["for", "against", "abstain", "unclear"]
    for cid in sorted(want["tally"]):
        c.obj(r["tally"][cid], f"body.tally.{cid}", counted)
        for k in counted:
            if r["tally"][cid][k] != want["tally"][cid][k] or type(r["tally"][cid][k]) is not int:
                c.fail(f"body.tally.{cid}" + ("" if review else f".{k}"), f"found {r['tally'][cid][k]}, expected {want['tally'][cid][k]} ({k})")
    for f in ["threshold", "quorum_met", "round_valid"] + (["ratings"] if review else ["ranking", "decided", "runoff", "unfilled"]):
        if r[f] != want[f] or type(r[f]) is not type(want[f]):
            c.fail(f"body.{f}", f"found {json.dumps(r[f])}, expected {json.dumps(want[f])}")
    pooled, replaced = r["issued"], 0
    if v2:
        roll = c.obj(r["issued_roll"], "body.issued_roll", ["paper", "replaced", "switched_to_paper", "tablet"])
        c.int(roll["paper"], "body.issued_roll.paper")
        c.one_of(roll["switched_to_paper"], "body.issued_roll.switched_to_paper", [False, True])
        for name in ["replaced", "tablet"]:
            if not isinstance(roll[name], list):
                c.fail(f"body.issued_roll.{name}", "expected a list")
            for i, num in enumerate(roll[name]):
                c.str(num, f"body.issued_roll.{name}[{i}]")
                if not (1 <= len(num) <= 32) or num.strip() != num or any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in num):
                    c.fail(f"body.issued_roll.{name}[{i}]", f"{num!r}: a deputy number is 1 to 32 characters, no control characters or outer spaces")
                if i > 0 and roll[name][i - 1].encode() >= num.encode():
                    c.fail(f"body.issued_roll.{name}[{i}]", "numbers sorted ascending and unique")
        for i, num in enumerate(roll["replaced"]):
            if num not in set(roll["tablet"]):
                c.fail(f"body.issued_roll.replaced[{i}]", f"{num!r} is not on the tablet roll: only a tablet ballot is replaced")
        replaced = len(roll["replaced"])
        if replaced > roll["paper"]:
            c.fail("body.issued_roll.replaced", f"{replaced} replacements but only {roll['paper']} paper ballots handed out")
        tablet_entries = sum(1 for e in entries if e["channel"] == "tablet")
        tablets = len(roll["tablet"])
        if tablet_entries > tablets:
            c.fail("body.issued_roll.tablet", f"{tablet_entries} tablet ballots in the log but only {tablets} tablets issued")
        want_issued = (tablet_entries if roll["switched_to_paper"] else tablets) + roll["paper"]
        if r["issued"] != want_issued:
            c.fail("body.issued", f"found {r['issued']}, expected {want_issued} (from the issued roll)")
        if tablets > r["present"]:
            c.fail("body.issued_roll.tablet", f"{tablets} deputies on the tablet roll but {r['present']} present")
        pooled = roll["paper"]
    if not (r["issued"] <= r["present"] + replaced and r["present"] <= r["total_deputies"]):
        c.fail("body.present", f"issued {r['issued']} <= present {r['present']} (+ {replaced} replaced) <= total_deputies {r['total_deputies']} does not hold")
    if pooled > len(m["credentials"]):
        c.fail("body.issued", f"{pooled} ballots issued from the pool but the manifest has {len(m['credentials'])} credentials")
    print(f"ok  result: every field recomputed (returned {r['returned']}, valid {r['valid']}, void {r['void']})")
    th = H(r)
    required = [("authority", m["authority_key"])] + [("scrutineer", k) for k in m["scrutineer_keys"]]
    c.signatures(env, th, required, set(required))
    print(f"ok  result signatures: authority and {len(m['scrutineer_keys'])} scrutineers")
    if expected_tally_hash and expected_tally_hash != th:
        c.fail("tally hash", f"found {th}, expected {expected_tally_hash} (the one given)")
    return th


def verify(path, expected_tally_hash=None, expected_authority=None, head=None, previous=None):
    with open(path, "r", encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise Fail(1, "manifest", "the bundle is empty")
    m, mh = check_manifest(lines[0], expected_authority)
    if previous is not None:
        prev_round, prev_hash = previous
        if m["previous_result"] != prev_hash:
            raise Fail(1, "body.previous_result",
                       f"found {json.dumps(m['previous_result'])}, expected {prev_hash} (the tally hash of the round before)")
        if m["round"] != prev_round + 1:
            raise Fail(1, "body.round", f"found {m['round']}, expected {prev_round + 1} (the round after the one before)")
    if len(lines) < 2:
        raise Fail(2, "result", "the bundle ends after the manifest: the last line must be the signed result")
    pool, used, entries, prev = set(m["credentials"]), set(), [], mh
    for n, text in enumerate(lines[1:-1], start=2):
        if not text.strip():
            raise Fail(n, "(line)", "empty line")
        e = parse_line(n, text)
        check_entry(n, e, m, len(entries) + 1, prev, pool, used)
        entries.append(e)
        prev = H(e)
        if head and head[0] == e["seq"] and head[1] != prev:
            raise Fail(n, "head", f"the noted head {head[0]}:{head[1]} is not in this log (H(entry {head[0]}) = {prev})")
    if head and head[0] == 0 and head[1] != mh:
        raise Fail(1, "head", f"the noted head 0:{head[1]} is not this manifest's hash {mh}")
    if head and head[0] > len(entries):
        raise Fail(len(lines), "head", f"the noted head {head[0]}:{head[1]} is beyond the log, which has {len(entries)} entries")
    if head:
        print(f"ok  noted head {head[0]}:{head[1][:16]} is in the log")
    print(f"ok  entries: {len(entries)}, seq 1..{len(entries)}, chain links, credentials used once, marks and void per the rules")
    return m["round"], check_result(len(lines), lines[-1], m, mh, prev, entries, expected_tally_hash)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bundle", nargs="+", help="one bundle, or the bundles of a chain of rounds in order")
    ap.add_argument("--tally-hash")
    ap.add_argument("--authority-key")
    ap.add_argument("--head", help="a log head noted during voting, SEQ:HASH")
    a = ap.parse_args()
    head = None
    if a.head:
        seq, _, h = a.head.partition(":")
        if not seq.isdigit() or len(h) != 64:
            print(f"--head: expected SEQ:HASH, found {a.head!r}")
            return 2
        head = (int(seq), h.lower())
    previous, th = None, None
    for i, path in enumerate(a.bundle):
        if len(a.bundle) > 1:
            print(f"== {path}")
        last = i == len(a.bundle) - 1
        try:
            rnd, th = verify(path, a.tally_hash if last else None, a.authority_key, head if last else None, previous)
        except Fail as e:
            name = f"{path}: " if len(a.bundle) > 1 else ""
            print(f"FAIL {name}line {e.line}: {e.field}: {e.message}")
            return 1
        except (OSError, UnicodeDecodeError) as e:
            print(f"FAIL line 0: bundle: {e}")
            return 2
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            print(f"FAIL line 0: (record): malformed record ({type(e).__name__}: {e})")
            return 1
        if previous is not None:
            print(f"ok  follows round {previous[0]} (previous_result = its tally hash)")
        previous = (rnd, th)
    if th is None:
        return 2
    print(f"tally hash: {th}")
    print("VERIFIED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
