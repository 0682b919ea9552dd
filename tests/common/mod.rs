pub mod verifiers;
