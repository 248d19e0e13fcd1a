//! Theme tokens: the shared rules live in `protocol::theme` (the edge draws the loader's launcher
//! from the same tokens).

pub use protocol::theme::*;
