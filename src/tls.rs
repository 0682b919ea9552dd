//! 传输加密 (TLS for the hall network): the server's certificate and key
//! from PEM files, or a self-signed pair for drills whose SHA-256
//! fingerprint staff compare on each tablet (printed, and as a QR code).
//! These are transport keys, never the signing keys of `keys.rs`.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("TLS: {0}")]
    Config(String),
}

/// What the server needs to speak TLS, and what staff check.
pub struct Tls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    /// SHA-256 of the certificate (DER), as colon-separated hex.
    pub fingerprint: String,
    /// The certificate, PEM (for tablets that install it).
    pub cert_pem: String,
}

fn fingerprint(der: &[u8]) -> String {
    crate::core::canon::Hash::of_bytes(der)
        .to_hex()
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

fn acceptor(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

impl Tls {
    /// From a certificate chain and a private key, both PEM files.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let file_err = |p: &Path, e: String| TlsError::File {
            path: p.display().to_string(),
            message: e,
        };
        let cert_pem = std::fs::read_to_string(cert).map_err(|e| file_err(cert, e.to_string()))?;
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| file_err(cert, format!("not a PEM certificate: {e}")))?;
        let first = certs
            .first()
            .ok_or_else(|| file_err(cert, "no certificate in the file".into()))?;
        let fingerprint = fingerprint(first.as_ref());
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| file_err(key, format!("not a PEM private key: {e}")))?;
        Ok(Tls {
            acceptor: acceptor(certs, key)?,
            fingerprint,
            cert_pem,
        })
    }

    /// A fresh self-signed certificate for `names` (host names or addresses),
    /// for drills; its fingerprint is what staff check on the tablets.
    pub fn self_signed(names: Vec<String>) -> Result<Tls, TlsError> {
        let ck = rcgen::generate_simple_self_signed(names)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let der = ck.cert.der().clone();
        let key = PrivateKeyDer::try_from(ck.signing_key.serialize_der())
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(Tls {
            fingerprint: fingerprint(der.as_ref()),
            cert_pem: ck.cert.pem(),
            acceptor: acceptor(vec![der], key)?,
        })
    }

    /// The fingerprint as a QR code drawn in the terminal.
    pub fn fingerprint_qr(&self) -> String {
        qrcode::QrCode::new(self.fingerprint.as_bytes())
            .map(|q| {
                q.render::<qrcode::render::unicode::Dense1x2>()
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default()
    }
}
