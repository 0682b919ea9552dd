pub mod apidoc;
pub mod app;
pub mod child;
pub mod rng;
pub mod verifiers;
