//! RESP wire format: request parsing (multibulk and inline) and reply encoding (RESP2 and RESP3).
//!
//! This crate knows frames, not commands: it never looks at what a command means.

mod parse;
mod reply;

pub use parse::{Limits, ProtocolError, RequestParser};
pub use reply::{format_double, Reply, RespVersion};
