//! Errors as the caller sees them, and the extractors every route uses: a
//! JSON body (unknown fields and duplicate keys refused), a raw upload, a
//! path and a query — each refusing with the API's own error JSON, never
//! axum's plain text.

use crate::error::{Code, Error, Kind};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most a JSON body or upload may hold.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// What every error answers: `{"error": "<中文>", "code": "<stable_code>"}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: String,
}

/// The one status for each kind of error.
pub fn status(kind: Kind) -> StatusCode {
    match kind {
        Kind::BadRequest => StatusCode::BAD_REQUEST,
        Kind::Unauthorized => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            // Detail for the operator's log; never ballot content or credentials.
            match self.kind() {
                Kind::Unavailable => tracing::warn!(code = self.code.as_str(), %cause, "disk"),
                _ => tracing::error!(code = self.code.as_str(), %cause, "internal fault"),
            }
        }
        let body = ErrorBody {
            error: self.message,
            code: self.code.as_str().to_string(),
        };
        (status(self.code.kind()), Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, Error>;

/// Refuses a JSON text in which any object names a key twice (serde would
/// otherwise keep the last, silently).
pub fn no_duplicate_keys(bytes: &[u8]) -> Result<(), serde_json::Error> {
    struct Walk;
    impl<'de> DeserializeSeed<'de> for Walk {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Walk {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Walk)?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(k) = map.next_key::<String>()? {
                if !seen.insert(k.clone()) {
                    return Err(A::Error::custom(format!("键 {k:?} 出现了两次")));
                }
                map.next_value_seed(Walk)?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Walk.deserialize(&mut de)?;
    de.end()
}

/// A JSON body as `T`: malformed JSON, a duplicate key, an unknown field or
/// a wrong type is a 400 naming where.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    no_duplicate_keys(bytes)
        .map_err(|e| Error::bad(format!("请求内容有误：{}", reason_zh(&e.to_string()))))?;
    // The plain parse first; only a refused body is parsed again to say where.
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Ok(v);
    }
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(bytes)).map_err(
        |e| {
            let path = e.path().to_string();
            let inner = reason_zh(&e.into_inner().to_string());
            if path == "." {
                Error::bad(format!("请求内容有误：{inner}"))
            } else if inner.starts_with("不认识的字段") {
                Error::bad(format!("请求内容有误：不认识的字段 {path}"))
            } else {
                Error::bad(format!("请求内容有误：字段 {path}：{inner}"))
            }
        },
    )
}

/// What serde (or a type's own parser) said, in words people read: the
/// kind of fault and the name it concerns, never serde's English.
fn reason_zh(detail: &str) -> String {
    let named = |marker: &str| {
        let rest = &detail[detail.find(marker)? + marker.len()..];
        Some(rest.split('`').next()?.to_string())
    };
    if let Some(f) = named("missing field `") {
        return format!("缺少 {f}");
    }
    if let Some(f) = named("unknown field `") {
        return format!("不认识的字段 {f}");
    }
    if let Some(v) = named("unknown variant `") {
        return format!("{v} 不是可选的值");
    }
    let kinds: [(&str, &str); 7] = [
        ("invalid type", "类型不对"),
        ("invalid length", "长度不对"),
        ("invalid value", "取值不对"),
        ("EOF while parsing", "内容不完整"),
        ("trailing characters", "末尾有多余的内容"),
        ("expected", "不是有效的 JSON"),
        ("key must be a string", "不是有效的 JSON"),
    ];
    if let Some((_, zh)) = kinds.iter().find(|(en, _)| detail.starts_with(en)) {
        return zh.to_string();
    }
    // Our own parsers speak Chinese already; anything else is named only.
    if detail
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    {
        detail
            .split(" at line ")
            .next()
            .unwrap_or(detail)
            .to_string()
    } else {
        "取值不对".to_string()
    }
}

fn body_error(r: BytesRejection) -> Error {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::new(
            Code::TooLarge,
            format!("内容过大：一次最多 {} MB", BODY_LIMIT / (1024 * 1024)),
        )
    } else {
        Error::bad("请求内容无法读取")
    }
}

/// A JSON request body (see [`parse_json`]).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(body_error)?;
        parse_json(&bytes).map(Body)
    }
}

/// The most an import's file may be: a year's hotline export is tens of MB.
pub const IMPORT_LIMIT: usize = 100 * 1024 * 1024;

/// An uploaded file written to disk in `dir` as it arrives (never whole in
/// memory), up to `limit` bytes; the file is removed when this is dropped.
pub struct SavedUpload(tempfile::NamedTempFile);

impl SavedUpload {
    pub fn path(&self) -> &std::path::Path {
        self.0.path()
    }
}

pub async fn save_upload(
    dir: &std::path::Path,
    body: axum::body::Body,
    limit: usize,
) -> Result<SavedUpload, Error> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let tmp = tempfile::Builder::new()
        .prefix("import-")
        .tempfile_in(dir)
        .map_err(Error::internal)?;
    let mut file = tokio::fs::File::from_std(tmp.reopen().map_err(Error::internal)?);
    let mut stream = body.into_data_stream();
    let mut size = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Error::bad("上传中断，请重新上传"))?;
        size += chunk.len();
        if size > limit {
            return Err(Error::new(
                Code::TooLarge,
                format!("文件过大：导入的文件最多 {} MB", limit / (1024 * 1024)),
            ));
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| Error::storage("服务器磁盘无法保存上传的文件，请联系管理员", e))?;
    }
    file.flush()
        .await
        .map_err(|e| Error::storage("服务器磁盘无法保存上传的文件，请联系管理员", e))?;
    Ok(SavedUpload(tmp))
}

/// An uploaded file's bytes (CSV or XLSX), up to [`BODY_LIMIT`].
pub struct Upload(pub Vec<u8>);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(body_error)?;
        Ok(Upload(bytes.to_vec()))
    }
}

/// A path parameter; one that does not parse (`/api/rounds/abc`) is a 404:
/// there is no such thing.
pub struct P<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for P<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| P(p.0))
            .map_err(|_| Error::new(Code::NotFound, "没有这个页面或接口"))
    }
}

/// Query parameters; a missing or malformed one is a 400 naming it.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Q<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        parse_query(parts.uri.query().unwrap_or_default()).map(Q)
    }
}

/// A query string as `T`: a malformed, unknown or missing parameter is a
/// 400 naming it, in words people read, never serde's English.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = reason_zh(&e.into_inner().to_string());
        if path == "." || inner.starts_with("不认识的字段") || inner.starts_with("缺少") {
            Error::bad(format!("网址参数有误：{inner}"))
        } else {
            Error::bad(format!("网址参数有误：{path}：{inner}"))
        }
    })
}

/// Any path no route serves.
pub async fn no_route() -> Error {
    Error::new(Code::NoRoute, "没有这个页面或接口")
}

/// A route that exists, asked with a method it does not take.
pub async fn wrong_method() -> Error {
    Error::new(Code::MethodNotAllowed, "该接口不支持这种请求方式")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct R {
        #[allow(dead_code)]
        a: u32,
        #[allow(dead_code)]
        m: std::collections::BTreeMap<String, String>,
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(parse_json::<R>(br#"{"a":1,"m":{"x":"for"}}"#).is_ok());
        for bad in [
            &br#"{"a":1,"a":2,"m":{}}"#[..],
            br#"{"a":1,"m":{"x":"for","x":"against"}}"#,
            br#"{"a":1,"m":{},"z":[{"k":1,"k":2}]}"#,
        ] {
            let e = parse_json::<R>(bad).unwrap_err();
            assert_eq!(e.code, Code::BadRequest);
        }
        let e = parse_json::<R>(br#"{"a":1,"m":{},"b":2}"#).unwrap_err();
        assert!(e.message.contains('b'), "{}", e.message);
        let e = parse_json::<R>(br#"{"a":"x","m":{}}"#).unwrap_err();
        assert!(e.message.contains('a'), "{}", e.message);
        // In Chinese, never serde's English.
        for (body, want) in [
            (&br#"{"m":{}}"#[..], "请求内容有误：缺少 a"),
            (br#"{"a":"x","m":{}}"#, "请求内容有误：字段 a：类型不对"),
            (br#"{"a":1,"m":{},"b":2}"#, "请求内容有误：不认识的字段 b"),
            (b"{", "请求内容有误：内容不完整"),
            (br#"{"a":1,"m":{}} x"#, "请求内容有误：末尾有多余的内容"),
        ] {
            assert_eq!(parse_json::<R>(body).unwrap_err().message, want);
        }
        assert!(parse_json::<R>(b"{").is_err());
        assert!(parse_json::<R>(br#"{"a":1,"m":{}} x"#).is_err());
    }

    #[test]
    fn query_errors_name_the_parameter_in_chinese() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Q {
            #[allow(dead_code)]
            title: String,
            #[allow(dead_code)]
            page: Option<u32>,
        }
        let m = |q: &str| parse_query::<Q>(q).unwrap_err().message;
        assert_eq!(m("page=2"), "网址参数有误：缺少 title");
        assert_eq!(m("title=a&x=1"), "网址参数有误：不认识的字段 x");
        assert_eq!(m("title=a&page=abc"), "网址参数有误：page：取值不对");
        assert!(parse_query::<Q>("title=%E8%B7%AF&page=3").is_ok());
    }

    #[test]
    fn every_kind_has_its_own_status() {
        let mut seen = std::collections::HashMap::new();
        for c in Code::ALL {
            let s = status(c.kind());
            assert!(s.is_client_error() || s.is_server_error(), "{c:?}");
            if let Some(k) = seen.insert(s, c.kind()) {
                assert_eq!(k, c.kind(), "two kinds answer {s}");
            }
        }
    }
}
