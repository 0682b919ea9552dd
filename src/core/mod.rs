//! The vote core: the published record, the counting rules and the checks
//! an observer runs. Pure code: no files, no network, no clock except where
//! a caller asks for a timestamp; the server, the CLI and the tests share it.

pub mod canon;
pub mod chain;
pub mod credential;
pub mod issuing;
pub mod pss;
#[cfg(target_arch = "x86_64")]
mod pss_ifma;
pub mod record;
pub mod satisfaction;
pub mod sig;
pub mod tally;
pub mod types;
pub mod verify;

#[cfg(test)]
pub(crate) mod testkit;

pub use canon::Hash;
pub use chain::{Ballot, BallotError, VoteLog};
pub use credential::{Credential, Pool, QrBallot};
pub use record::*;
pub use tally::{Attendance, Tally};
