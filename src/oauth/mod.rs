//! OAuth 2.0 client side: authorization requests with PKCE, the loopback
//! redirect listener, token endpoint grants, revocation and identity.
//! Everything here talks to the network; nothing here touches storage.

pub mod authorize;
pub mod browser;
pub mod device;
pub mod dpop;
pub mod flow;
pub mod http;
pub mod identity;
pub mod jwt;
pub mod loopback;
pub mod reach;
pub mod registration;
pub mod revoke;
pub mod token;

pub use token::{Assertion, ClientAuth, Extras, Tokens};
