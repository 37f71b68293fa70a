//! MCP: authorization discovery and login for MCP servers.

pub mod auth;
