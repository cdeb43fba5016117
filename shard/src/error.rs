//! Command errors, typed until the edge where they become RESP error replies.

use ferrokv_protocol::Reply;

use crate::blocking::BlockOn;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdError {
    WrongType,
    Syntax,
    NotInteger,
    NotFloat,
    Overflow,
    NoSuchKey,
    /// `ERR invalid expire time in 'set' command`
    InvalidExpire(&'static str),
    DbIndexOutOfRange,
    /// Any other error; the text includes its code (`ERR ...`).
    Other(String),
    /// An error quoting client bytes, which need not be UTF-8; sent as they are.
    Raw(Vec<u8>),
    /// Not an error: a blocking command found nothing and waits (see `blocking`). Reaches
    /// a client as its timeout reply only where the server cannot block it.
    Block(Box<BlockOn>),
}

impl CmdError {
    pub fn other(msg: impl Into<String>) -> Self {
        CmdError::Other(msg.into())
    }

    pub fn message(&self) -> String {
        match self {
            CmdError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            }
            CmdError::Syntax => "ERR syntax error".into(),
            CmdError::NotInteger => "ERR value is not an integer or out of range".into(),
            CmdError::NotFloat => "ERR value is not a valid float".into(),
            CmdError::Overflow => "ERR increment or decrement would overflow".into(),
            CmdError::NoSuchKey => "ERR no such key".into(),
            CmdError::InvalidExpire(cmd) => format!("ERR invalid expire time in '{cmd}' command"),
            CmdError::DbIndexOutOfRange => "ERR DB index is out of range".into(),
            CmdError::Other(s) => s.clone(),
            CmdError::Raw(b) => String::from_utf8_lossy(b).into_owned(),
            CmdError::Block(_) => String::new(),
        }
    }

    pub fn into_reply(self) -> Reply {
        match self {
            CmdError::Raw(b) => Reply::Error(b.into()),
            CmdError::Block(on) => on.on_timeout.reply(),
            other => Reply::error(other.message()),
        }
    }
}

pub type CmdResult = Result<Reply, CmdError>;
