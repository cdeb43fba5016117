//! RESP wire format: request parsing (multibulk and inline) and reply encoding (RESP2 and RESP3).
//!
//! This crate knows frames, not commands: it never looks at what a command means.
//!
//! Redis 7.0's `networking.c` is the reference for every observable behaviour, including its
//! quirks (see the notes on [`RequestParser`]).

mod decode;
mod num;
mod parse;
mod reply;

pub use decode::parse_reply;
pub use parse::{split_args, Limits, ProtocolError, RequestParser};
pub use reply::{format_double, Reply, RespVersion};

#[cfg(test)]
mod tests;
