"""A fastmcp 4.1.6 server that is its own authorization server
(`InMemoryOAuthProvider`: registration, PKCE, rotating refresh tokens,
revocation), as shipped except the access-token lifetime, set through the
module constant the provider reads (ACCESS_TTL seconds).

Environment: PORT (127.0.0.1 only), ACCESS_TTL, REGISTRATIONS (a file that
gets one line per client registration, so a test can count them).
Prints "listening <url>" before serving.
"""

import os

from fastmcp import FastMCP
from fastmcp.server.auth.providers import in_memory
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions

PORT = int(os.environ["PORT"])
in_memory.DEFAULT_ACCESS_TOKEN_EXPIRY_SECONDS = int(os.environ.get("ACCESS_TTL", "3600"))


class CountingProvider(in_memory.InMemoryOAuthProvider):
    async def register_client(self, client_info):
        with open(os.environ["REGISTRATIONS"], "a") as f:
            f.write(f"{client_info.client_id}\n")
        await super().register_client(client_info)


auth = CountingProvider(
    base_url=f"http://127.0.0.1:{PORT}",
    client_registration_options=ClientRegistrationOptions(enabled=True),
    revocation_options=RevocationOptions(enabled=True),
)
mcp = FastMCP("fastmcp-interop", auth=auth)


@mcp.tool
def add(a: int, b: int) -> int:
    """Adds two numbers."""
    return a + b


print(f"listening http://127.0.0.1:{PORT}/mcp", flush=True)
mcp.run(transport="http", host="127.0.0.1", port=PORT, show_banner=False)
