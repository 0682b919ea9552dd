//! minsheng — 民生实事项目代表票决: a district's livelihood projects from the
//! first citizen suggestion to the deputies' secret, durable, verifiable vote.
//!
//! See `docs/ARCHITECTURE.md` for the map of modules and their invariants.

pub mod cli;
pub mod core;
pub mod demo;
pub mod error;
pub mod hall;
pub mod keys;
pub mod paper;
pub mod sample;
pub mod seed;
pub mod seed_after;
pub mod server;
pub mod service;
pub mod sheets;
pub mod store;
pub mod tls;
pub mod upstream;
pub mod web;
