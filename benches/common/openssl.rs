//! `openssl speed`'s RSA-2048 verification rate on this machine: the
//! yardstick the benches print their own figures beside (this machine's
//! speed varies by a third from hour to hour; a quiet one does ~45,000).

use std::process::Command;

/// RSA-2048 verifications a second on one core, by `openssl speed`
/// (two seconds); `None` without openssl.
pub fn openssl_rsa2048_verify_rate() -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "2", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.trim_start().starts_with("rsa") && l.contains("2048"))
        .and_then(|l| {
            l.split_whitespace()
                .rev()
                .find_map(|w| w.parse::<f64>().ok())
        })
}
