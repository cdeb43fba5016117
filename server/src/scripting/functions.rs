//! FUNCTION and FCALL's server side (TEMPORARY until the registry API lands).
use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::node::Node;

pub async fn command(_node: &Rc<Node>, _args: &[Bytes]) -> Reply {
    Reply::error("ERR FUNCTION pending")
}

pub fn check_call(_node: &Node, _name: &Bytes, _read_only: bool) -> Result<bool, Reply> {
    Err(Reply::error("ERR Function not found"))
}
