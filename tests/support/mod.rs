//! Shared test support: an in-process fake authorization server, a
//! temporary mcp-auth home that runs the real binary, and real peers.
#![allow(dead_code)]

pub mod fake_as;
pub mod home;
pub mod peers;
