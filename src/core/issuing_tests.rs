use super::*;

/// One of RFC 9474's test vectors (Appendix A), as the RFC writes them.
pub(crate) struct RfcVector {
    pub name: String,
    pub n: Vec<u8>,
    pub e: Vec<u8>,
    pub d: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub msg: Vec<u8>,
    pub msg_prefix: Vec<u8>,
    pub salt_len: usize,
    pub blinded_msg: Vec<u8>,
    pub blind_sig: Vec<u8>,
    pub sig: Vec<u8>,
}

fn bytes(v: &serde_json::Value, k: &str) -> Vec<u8> {
    let s = v[k].as_str().unwrap_or_default();
    let s = s.strip_prefix("0x").unwrap_or(s);
    let s = if s.len() % 2 == 1 {
        format!("0{s}")
    } else {
        s.to_string()
    };
    let b = hex::decode(s).unwrap_or_default();
    // Big integers without leading zero bytes.
    let skip = b.iter().take_while(|x| **x == 0).count();
    if k.starts_with(['n', 'e', 'd', 'p', 'q']) && k.len() == 1 {
        b[skip..].to_vec()
    } else {
        b
    }
}

/// The RFC's vectors, from the copy kept with the spec.
pub(crate) fn rfc_vectors() -> Vec<RfcVector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/spec/v2/vectors/rfc9474.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(all.len(), 4, "RFC 9474 has four vectors");
    all.iter()
        .map(|v| RfcVector {
            name: v["name"].as_str().unwrap_or_default().to_string(),
            n: bytes(v, "n"),
            e: bytes(v, "e"),
            d: bytes(v, "d"),
            p: bytes(v, "p"),
            q: bytes(v, "q"),
            msg: bytes(v, "msg"),
            msg_prefix: bytes(v, "msg_prefix"),
            salt_len: usize::from_str_radix(
                v["sLen"].as_str().unwrap_or("0x0").trim_start_matches("0x"),
                16,
            )
            .unwrap_or(99),
            blinded_msg: bytes(v, "blinded_msg"),
            blind_sig: bytes(v, "blind_sig"),
            sig: bytes(v, "sig"),
        })
        .collect()
}

#[test]
fn the_rfc_signatures_without_salt_verify_and_nothing_near_them_does() {
    let mut checked = 0;
    for v in rfc_vectors() {
        let key = IssuingKey::from_parts(v.n.clone(), v.e.clone()).unwrap();
        assert_eq!(key.bits(), 4096, "{}", v.name);
        let ver = key.verifier().unwrap();
        // The randomized variant signs prefix || msg; with salt 0 the check
        // is ours exactly.
        let mut msg = v.msg_prefix.clone();
        msg.extend_from_slice(&v.msg);
        let sig = IssuerSignature(v.sig.clone());
        if v.salt_len != 0 {
            // A salted signature is not one of ours.
            assert_eq!(
                ver.verify_message(&msg, &sig),
                Err(SignatureFault::Invalid),
                "{}",
                v.name
            );
            continue;
        }
        assert_eq!(ver.verify_message(&msg, &sig), Ok(()), "{}", v.name);
        checked += 1;
        // Another message.
        assert_eq!(
            ver.verify_message(b"other", &sig),
            Err(SignatureFault::Invalid)
        );
        // One bit flipped.
        let mut flipped = v.sig.clone();
        flipped[100] ^= 1;
        assert_eq!(
            ver.verify_message(&msg, &IssuerSignature(flipped)),
            Err(SignatureFault::Invalid)
        );
        // s + n: the same value mod n, but not below the modulus.
        let mut plus = vec![0u8; v.sig.len()];
        let mut carry = 0u16;
        for i in (0..v.sig.len()).rev() {
            let t = v.sig[i] as u16 + v.n[i] as u16 + carry;
            plus[i] = t as u8;
            carry = t >> 8;
        }
        if carry == 0 {
            assert_eq!(
                ver.verify_message(&msg, &IssuerSignature(plus)),
                Err(SignatureFault::NotBelowModulus)
            );
        }
        // The modulus itself, and a short signature.
        assert_eq!(
            ver.verify_message(&msg, &IssuerSignature(v.n.clone())),
            Err(SignatureFault::NotBelowModulus)
        );
        assert_eq!(
            ver.verify_message(&msg, &IssuerSignature(v.sig[1..].to_vec())),
            Err(SignatureFault::Length)
        );
    }
    assert_eq!(checked, 2, "both PSSZero vectors checked");
}

#[test]
fn keys_in_the_manifest_are_held_to_their_rules() {
    let v = &rfc_vectors()[3];
    let good = format!("{{\"e\":\"010001\",\"n\":\"{}\"}}", hex::encode(&v.n));
    let k: IssuingKey = serde_json::from_str(&good).unwrap();
    assert_eq!(
        serde_json::to_string(&k).unwrap(),
        good,
        "round trip is canonical"
    );
    for (bad, why) in [
        (good.replace("010001", "10001"), "even number"),
        (good.replace("010001", "00010001"), "leading zero"),
        (good.replace("010001", "010000"), "odd public exponent"),
        (good.replace("010001", "01"), "odd public exponent"),
        (
            format!(
                "{{\"e\":\"010001\",\"n\":\"{}\"}}",
                hex::encode(&v.n[..128])
            ),
            "2048 to 8192",
        ),
        (
            format!(
                "{{\"e\":\"010001\",\"n\":\"{}\"}}",
                hex::encode(&v.n).to_uppercase()
            ),
            "lowercase",
        ),
        (good.replace("}", ",\"x\":1}"), "unknown field"),
    ] {
        let e = serde_json::from_str::<IssuingKey>(&bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{bad:.60}: {e}");
    }
}

#[test]
fn the_message_binds_election_round_and_credential() {
    let eid = ElectionId::parse("shiguai-2027").unwrap();
    let c = Hash::of_bytes(b"x");
    assert_eq!(
        ballot_message(&eid, 2, &c),
        format!("minsheng-ballot:shiguai-2027:2:{c}")
    );
    assert_ne!(ballot_message(&eid, 1, &c), ballot_message(&eid, 2, &c));
}

#[test]
fn a_checked_signature_vouches_only_for_its_key_round_and_credential() {
    let v = &rfc_vectors()[3];
    let key = IssuingKey::from_parts(v.n.clone(), v.e.clone()).unwrap();
    let ver = key.verifier().unwrap();
    let eid = ElectionId::parse("shiguai-2027").unwrap();
    // Sign through the RFC's key with the keys module.
    let sk = crate::keys::IssuingSecret::from_components(&v.n, &v.e, &v.d, &v.p, &v.q).unwrap();
    let c = Hash::of_bytes(b"tablet");
    let req = BlindRequest::for_credential(&key, &eid, 1, c).unwrap();
    let blinded = hex::decode(req.blinded_hex()).unwrap();
    let sig = req.finish(&sk.blind_sign(&blinded).unwrap()).unwrap();
    let checked = ver.check(&eid, 1, &c, &sig).unwrap();
    assert!(ver.vouches(&checked, &eid, 1, &c));
    assert!(!ver.vouches(&checked, &eid, 2, &c), "another round");
    assert!(
        !ver.vouches(&checked, &eid, 1, &Hash::of_bytes(b"other")),
        "another credential"
    );
    assert_eq!(ver.check(&eid, 2, &c, &sig), Err(SignatureFault::Invalid));
    // A log with this key takes the checked ballot without checking again,
    // and refuses the same proof offered for another credential.
    let mut f = crate::core::testkit::Fixture::new(3, 1, 4);
    f.manifest.kind = crate::core::record::ManifestType::V2;
    f.manifest.issuing_key = Some(key.clone());
    f.manifest.election_id = eid;
    let mut log = crate::core::chain::VoteLog::open(&f.manifest);
    let ballot = |credential: Hash| crate::core::chain::Ballot {
        credential,
        issuer_signature: Some(crate::core::chain::IssuerProof::Checked(checked.clone())),
        channel: crate::core::record::Channel::Tablet,
        marks: crate::core::testkit::marks("C01:for"),
        unreadable: false,
    };
    assert_eq!(
        log.append(&ballot(Hash::of_bytes(b"other"))).unwrap_err(),
        crate::core::chain::BallotError::BadSignature
    );
    let (e, _) = log.append(&ballot(c)).unwrap();
    assert_eq!(e.issuer_signature, Some(sig));
    assert_eq!(e.kind, crate::core::record::EntryType::V2);
    assert_eq!(
        log.append(&ballot(c)).unwrap_err(),
        crate::core::chain::BallotError::CredentialUsed
    );
}

#[test]
fn our_pss_check_agrees_with_the_rsa_crate_on_fresh_keys() {
    let eid = ElectionId::parse("x").unwrap();
    for bits in [2048, 3072] {
        let sk = crate::keys::IssuingSecret::generate(bits).unwrap();
        let ver = sk.public_key().verifier().unwrap();
        for i in 0..20u8 {
            let c = Hash::of_bytes(&[i]);
            let req = BlindRequest::for_credential(sk.public_key(), &eid, 1, c).unwrap();
            let blinded = hex::decode(req.blinded_hex()).unwrap();
            // `finish` checks with the crate; ours must agree.
            let sig = req.finish(&sk.blind_sign(&blinded).unwrap()).unwrap();
            assert_eq!(ver.verify(&eid, 1, &c, &sig), Ok(()), "{bits} bits");
            let mut bad = sig.clone();
            bad.0[i as usize] ^= 0x40;
            let crate_says = ver
                .key
                .verify(
                    &blind_rsa_signatures::Signature(bad.0.clone()),
                    None,
                    ballot_message(&eid, 1, &c),
                )
                .is_ok();
            assert_eq!(ver.verify(&eid, 1, &c, &bad).is_ok(), crate_says);
            assert!(!crate_says);
        }
    }
}
