//! How amounts, dates and codes are shown to people: one place for each, so
//! the pages, the print and the exports say the same thing the same way.

/// 万元 with two decimals, as staff write amounts.
pub fn yuan_wan(yuan: u64) -> String {
    format!("{}.{:02} 万元", yuan / 10_000, (yuan % 10_000) / 100)
}

/// `2027-01-15T10:30:00+08:00` (or `2027-01-15`) as 2027年1月15日.
pub fn date_zh(t: &str) -> String {
    let d: Vec<u32> = t
        .get(..10)
        .unwrap_or("")
        .split('-')
        .filter_map(|p| p.parse().ok())
        .collect();
    match d.as_slice() {
        [y, m, d] => format!("{y}年{m}月{d}日"),
        _ => t.to_string(),
    }
}

/// A QR code as inline SVG (no outside assets), or nothing if the text is
/// too long for one.
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_dates_as_staff_write_them() {
        assert_eq!(yuan_wan(12_805_000), "1280.50 万元");
        assert_eq!(yuan_wan(99), "0.00 万元");
        assert_eq!(date_zh("2027-01-05T10:30:00+08:00"), "2027年1月5日");
        assert_eq!(date_zh("2027-10-31"), "2027年10月31日");
        assert_eq!(date_zh("soon"), "soon");
        assert!(qr_svg("MSV1|x").starts_with("<?xml"));
    }
}
