"""A resource server built with the Python MCP SDK (`mcp` on PyPI), for the
bridge interop tests. It trusts an external authorization server (the
oidc-provider peer) and verifies bearer tokens by RFC 7662 introspection.

Environment: PORT (listen port, 127.0.0.1 only), ISSUER (the authorization
server), INTROSPECT_ID / INTROSPECT_SECRET (a confidential client allowed to
introspect). Prints "listening <url>" before serving.
"""

import os

import httpx2 as httpx
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

PORT = int(os.environ["PORT"])
ISSUER = os.environ["ISSUER"]
RESOURCE = f"http://localhost:{PORT}/mcp"


class Introspection:
    async def verify_token(self, token: str) -> AccessToken | None:
        async with httpx.AsyncClient() as client:
            resp = await client.post(
                f"{ISSUER}/token/introspection",
                data={"token": token},
                auth=(os.environ["INTROSPECT_ID"], os.environ["INTROSPECT_SECRET"]),
            )
        info = resp.json()
        if not info.get("active"):
            return None
        aud = info.get("aud")
        return AccessToken(
            token=token,
            client_id=info.get("client_id", ""),
            scopes=info.get("scope", "").split(),
            expires_at=info.get("exp"),
            resource=aud[0] if isinstance(aud, list) else aud,
            subject=info.get("sub"),
        )


server = MCPServer(
    "python-peer",
    token_verifier=Introspection(),
    auth=AuthSettings(
        issuer_url=ISSUER,
        resource_server_url=RESOURCE,
        required_scopes=["api"],
        # Refuse tokens issued for any other resource (RFC 8707 audience).
        validate_token_resource=True,
    ),
)


@server.tool()
def echo(text: str) -> str:
    """Echoes the text back."""
    return f"python says: {text}"


@server.resource("greeting://{name}")
def greeting(name: str) -> str:
    """A greeting for a name."""
    return f"Hello, {name}!"


@server.prompt()
def review(code: str) -> str:
    """Asks for a code review."""
    return f"Please review this code:\n\n{code}"


print(f"listening {RESOURCE}", flush=True)
server.run(transport="streamable-http", host="127.0.0.1", port=PORT)
