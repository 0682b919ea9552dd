pub mod app;
pub mod verifiers;
