// A stateless MCP server built with the TypeScript SDK v2
// (@modelcontextprotocol/server 2.4.0, createMcpHandler) that speaks only
// MCP 2026-07-28 (`legacy: 'reject'`: a 2025-era `initialize` is refused),
// for the bridge's interop tests. Tools: `echo {text}`, and `locate
// {region, query}` whose `region` is mirrored into `Mcp-Param-Region`
// (SEP-2243); the server checks the header against the body.
//
// Environment: PORT (0 for any). Prints "listening <url>" when ready.

import http from 'node:http';
import { McpServer, createMcpHandler, fromJsonSchema } from '@modelcontextprotocol/server';

function factory() {
  const server = new McpServer({ name: 'ts-v2-stateless', version: '2.4.0' });
  server.registerTool(
    'echo',
    {
      description: 'Echoes its text',
      inputSchema: fromJsonSchema({ type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }),
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'locate',
    {
      description: 'Says which region it was asked about',
      inputSchema: fromJsonSchema({
        type: 'object',
        properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, query: { type: 'string' } },
        required: ['region'],
      }),
    },
    async ({ region }) => ({ content: [{ type: 'text', text: `region ${region}` }] }),
  );
  return server;
}

const handler = createMcpHandler(factory, { legacy: 'reject' });

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  const url = `http://${req.headers.host}${req.url}`;
  const request = new Request(url, {
    method: req.method,
    headers: Object.entries(req.headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])),
    body: ['GET', 'HEAD'].includes(req.method) ? undefined : body,
  });
  try {
    const response = await handler.fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) {
      for await (const chunk of response.body) res.write(chunk);
    }
    res.end();
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(e));
  }
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/mcp`);
});
