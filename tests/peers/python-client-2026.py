"""The Python SDK's client (`mcp` 2.3.0, `mcp.Client`, mode "auto": it
probes `server/discover` first) over stdio in front of `mcp-auth bridge URL`,
for the bridge interop tests.

Arguments: the bridge command and its arguments (the URL last). Prints one
JSON line: the negotiated protocol version, the tool names, and the text of
a `locate` call. Exit status 0 on success.
"""

import asyncio
import json
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters


async def main() -> None:
    command, *args = sys.argv[1:]
    params = StdioServerParameters(command=command, args=args)
    async with Client(params, mode="auto") as client:
        tools = await client.list_tools()
        result = await client.call_tool("locate", {"region": "Zürich", "query": "q"})
        print(
            json.dumps(
                {
                    "protocol_version": client.protocol_version,
                    "tools": [t.name for t in tools.tools],
                    "text": result.content[0].text,
                }
            ),
            flush=True,
        )


asyncio.run(main())
