//! The client side of MCP authorization: reading challenges, discovering
//! the authorization server, identifying the client and logging in.

pub mod challenge;
pub mod discovery;
pub mod login;
