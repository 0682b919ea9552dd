//! 产生办法 (the upstream stages): everything before the vote — suggestions,
//! declarations, reviews, merges, opinions, approvals — as pure rules. The
//! store keeps the state and the hash-chained log of every change
//! ([`audit`]); the web edge takes the forms.

pub mod audit;
pub mod follow;
pub mod hot;
pub mod model;
pub mod stage;
pub mod topics;
