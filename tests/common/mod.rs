pub mod app;
pub mod child;
pub mod verifiers;
