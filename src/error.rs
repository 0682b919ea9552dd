//! 错误 (errors): one typed error for every operation the server offers.
//!
//! An [`Error`] carries a [`Code`] — stable, for programs — and a message in
//! Chinese for people. Each code belongs to exactly one [`Kind`], and the web
//! edge maps each kind to one HTTP status (`web/error.rs`): nothing is ever
//! decided by reading a message. Internal faults keep their cause for the
//! operator's log and show people only a plain sentence.

use std::fmt;

/// How a refusal is answered: one HTTP status per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The request itself is malformed (400).
    BadRequest,
    /// No session, or an expired one (401).
    Unauthorized,
    /// The caller may not do this (403).
    Forbidden,
    /// No such thing (404).
    NotFound,
    /// The path exists, but not with this method (405).
    MethodNotAllowed,
    /// Not allowed in the present state (409).
    Conflict,
    /// Well formed, but breaks a rule of the domain (422).
    Unprocessable,
    /// Too many attempts; wait (429).
    TooMany,
    /// The body is larger than the call takes (413).
    TooLarge,
    /// The disk is full, read-only or failing; nothing was written (503).
    Unavailable,
    /// A fault of the server's own (500).
    Internal,
}

macro_rules! codes {
    ($($variant:ident => $text:literal, $kind:ident;)*) => {
        /// Stable error codes, as `docs/api.md` lists them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Code { $($variant),* }

        impl Code {
            /// Every code, for tests and documentation.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as programs see it (`"already_issued"`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text),* }
            }

            /// The one kind this code is answered as.
            pub fn kind(self) -> Kind {
                match self { $(Code::$variant => Kind::$kind),* }
            }
        }
    };
}

codes! {
    BadRequest => "bad_request", BadRequest;
    Credential => "credential", BadRequest;
    ScannedCode => "code", BadRequest;
    LoginRequired => "login_required", Unauthorized;
    BadLogin => "bad_login", Unauthorized;
    CheckinRequired => "checkin_required", Unauthorized;
    CheckinFailed => "checkin_failed", Unauthorized;
    Forbidden => "forbidden", Forbidden;
    Csrf => "csrf", Forbidden;
    CredentialUnknown => "credential_unknown", Forbidden;
    PaperCredential => "paper_credential", Forbidden;
    NotFound => "not_found", NotFound;
    NoRoute => "no_route", NotFound;
    NotPublished => "not_published", NotFound;
    Conflict => "conflict", Conflict;
    NotOpen => "not_open", Conflict;
    NotClosed => "not_closed", Conflict;
    AlreadyIssued => "already_issued", Conflict;
    CredentialUsed => "credential_used", Conflict;
    PaperOnly => "paper_only", Conflict;
    Unsigned => "unsigned", Conflict;
    NoRunoff => "no_runoff", Conflict;
    SetAside => "set_aside", Conflict;
    MethodNotAllowed => "method_not_allowed", MethodNotAllowed;
    Invalid => "invalid", Unprocessable;
    OverCap => "over_cap", Unprocessable;
    BallotRules => "ballot_rules", Unprocessable;
    RosterRows => "roster_rows", Unprocessable;
    CandidateRows => "candidate_rows", Unprocessable;
    ImportRows => "import_rows", Unprocessable;
    MajorRows => "major_rows", Unprocessable;
    SlowDown => "slow_down", TooMany;
    TooLarge => "too_large", TooLarge;
    Storage => "storage", Unavailable;
    Internal => "internal", Internal;
}

/// A refused or failed operation: what programs match on, what people read,
/// and (for internal faults only) the cause for the operator's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: String,
    /// Never shown to the caller; logged by the web edge.
    pub cause: Option<String>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            cause: None,
        }
    }

    /// A malformed request (400 `bad_request`).
    pub fn bad(message: impl Into<String>) -> Self {
        Error::new(Code::BadRequest, message)
    }

    /// Not allowed in the present state (409 `conflict`).
    pub fn conflict(message: impl Into<String>) -> Self {
        Error::new(Code::Conflict, message)
    }

    /// Breaks a rule of the domain (422 `invalid`), every problem named.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(Code::Invalid, message)
    }

    /// `what` does not exist (404 `not_found`).
    pub fn not_found(what: &str) -> Self {
        Error::new(Code::NotFound, format!("{what}不存在"))
    }

    pub fn forbidden() -> Self {
        Error::new(Code::Forbidden, "您的角色无权进行此操作")
    }

    pub fn unauthorized() -> Self {
        Error::new(Code::LoginRequired, "请先登录")
    }

    /// A fault of the server's own: people read a plain sentence, the log
    /// gets `cause`.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Error {
            code: Code::Internal,
            message: "系统内部出错，请联系工作人员".into(),
            cause: Some(cause.to_string()),
        }
    }

    /// Nothing was written because the disk is full, read-only or failing.
    pub fn storage(message: impl Into<String>, cause: impl fmt::Display) -> Self {
        Error {
            code: Code::Storage,
            message: message.into(),
            cause: Some(cause.to_string()),
        }
    }

    pub fn kind(&self) -> Kind {
        self.code.kind()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
        }
    }

    #[test]
    fn internal_faults_hide_their_cause() {
        let e = Error::internal("disk /dev/vda: I/O error at sector 42");
        assert_eq!(e.kind(), Kind::Internal);
        assert!(!e.message.contains("sector"));
        assert!(e.cause.as_deref().is_some_and(|c| c.contains("sector")));
    }
}
