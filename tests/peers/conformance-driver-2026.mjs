// The 2026-era client command for the MCP conformance suite 0.2.0-alpha.12:
// the TypeScript SDK v2 client (@modelcontextprotocol/client 2.4.0, which
// negotiates 2026-07-28 first) over stdio in front of `mcp-auth bridge URL`.
//
// The runner appends the scenario's server URL. The bridge runs with a
// throwaway MCP_AUTH_HOME, the file secret store, a "browser" that follows
// the authorization redirect, and the credentials of MCP_CONFORMANCE_CONTEXT
// passed the same way as tests/conformance/driver.py does. The driver does
// what a host does: lists what the server offers and uses it (the tool
// calls the scenario's context asks for, else every listed tool with
// arguments built from its schema). It answers elicitation with the
// schema's defaults. Exit status 0 when every call got a result.
//
// MCP_DRIVER_DIRECT=1 talks to the URL directly over Streamable HTTP with
// the same client: to show that a failure belongs to the client, not the
// bridge.

import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
const url = process.argv[process.argv.length - 1];
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}');
const log = (m) => process.stderr.write(`driver2026: ${m}\n`);

function bridgeCommand(home) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('MCP_AUTH_') || k === 'MCP_AUTH_BIN') env[k] = v;
  }
  Object.assign(env, {
    MCP_AUTH_HOME: home,
    MCP_AUTH_SECRET_STORE: 'file',
    MCP_AUTH_BROWSER: 'curl -fsSL -o /dev/null --max-time 20',
    MCP_AUTH_LOG: process.env.MCP_AUTH_LOG ?? 'info',
  });
  const args = ['bridge', url, '--client-metadata-url', CIMD_URL];
  if (context.client_id) args.push('--client-id', context.client_id);
  if (context.client_secret) {
    env.CONFORMANCE_CLIENT_SECRET = context.client_secret;
    args.push('--client-secret-env', 'CONFORMANCE_CLIENT_SECRET');
  }
  if (context.private_key_pem) {
    const key = join(home, 'client-key.pem');
    writeFileSync(key, context.private_key_pem, { mode: 0o600 });
    args.push('--private-key-file', key);
    if (context.signing_algorithm) args.push('--signing-alg', context.signing_algorithm);
  }
  if (scenario.startsWith('auth/client-credentials')) args.push('--grant', 'client-credentials');
  if (context.idp_id_token) {
    env.CONFORMANCE_ID_TOKEN = context.idp_id_token;
    args.push(
      '--grant', 'cross-app',
      '--idp-token-url', context.idp_token_endpoint,
      '--idp-client-id', context.idp_client_id,
      '--id-token-env', 'CONFORMANCE_ID_TOKEN',
    );
  }
  if (context.valid_jwt) {
    // Workload identity: the platform's token in a file, as a CI runner or a pod has it.
    const token = join(home, 'identity-token');
    writeFileSync(token, context.valid_jwt, { mode: 0o600 });
    args.push('--grant', 'jwt-bearer', '--assertion-file', token);
  }
  return { command: process.env.MCP_AUTH_BIN, args, env, stderr: 'inherit' };
}

/** A value for each property: its default, an enum's first member, else one of its type. */
function argumentsFor(schema) {
  const out = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    if ('default' in prop) out[name] = prop.default;
    else if (prop.enum) out[name] = prop.enum[0];
    else out[name] = { string: 'x', integer: 1, number: 1, boolean: true, object: {}, array: [] }[prop.type] ?? 'x';
  }
  return out;
}

function defaultsFor(schema) {
  const out = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    if ('default' in prop) out[name] = prop.default;
    else if (prop.enum) out[name] = prop.enum[0];
    else out[name] = { string: 'x', integer: 1, number: 1, boolean: true }[prop.type] ?? 'x';
  }
  return out;
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'mcp-auth-conformance-'));
  const client = new Client(
    { name: 'mcp-auth-conformance-driver', version: '1.0.0' },
    {
      capabilities: { elicitation: {}, sampling: {}, roots: { listChanged: true } },
      inputRequired: { autoFulfill: true },
      // 'auto': server/discover first (2026-07-28), 2025 fallback.
      versionNegotiation: { mode: 'auto' },
    },
  );
  client.setRequestHandler('elicitation/create', async (req) => ({
    action: 'accept',
    content: defaultsFor(req.params.requestedSchema),
  }));
  client.setRequestHandler('sampling/createMessage', async () => ({
    role: 'assistant',
    content: { type: 'text', text: 'ok' },
    model: 'conformance-driver',
  }));
  client.setRequestHandler('roots/list', async () => ({ roots: [] }));
  const transport = process.env.MCP_DRIVER_DIRECT
    ? new StreamableHTTPClientTransport(new URL(url))
    : new StdioClientTransport(bridgeCommand(home));
  let failed = 0;
  const attempt = async (what, fn) => {
    try {
      const r = await fn();
      log(`${what}: ok`);
      return r;
    } catch (e) {
      failed++;
      log(`${what}: ${e?.message ?? e}`);
      return undefined;
    }
  };
  try {
    await client.connect(transport);
    log(`connected; protocol ${client.getNegotiatedProtocolVersion?.() ?? '?'}`);
    const caps = client.getServerCapabilities() ?? {};
    const listed = (await attempt('tools/list', () => client.listTools()))?.tools ?? [];
    if (Array.isArray(context.toolCalls)) {
      for (const call of context.toolCalls) {
        await attempt(`tools/call ${call.name}`, () => client.callTool({ name: call.name, arguments: call.arguments }));
      }
    } else {
      const byName = Object.fromEntries(listed.map((t) => [t.name, t]));
      const mrtr = listed.filter((t) => t.name.startsWith('test_mrtr_'));
      if (mrtr.length > 0) {
        // The multi-round-trip tools, with an unrelated call in flight
        // beside each round (isolation), then the rest one by one.
        await Promise.all([
          attempt('tools/call test_mrtr_echo_state', () => client.callTool({ name: 'test_mrtr_echo_state', arguments: {} })),
          attempt('tools/call test_mrtr_unrelated', () => client.callTool({ name: 'test_mrtr_unrelated', arguments: {} })),
        ]);
        for (const t of mrtr.filter((t) => !['test_mrtr_echo_state', 'test_mrtr_unrelated'].includes(t.name))) {
          await attempt(`tools/call ${t.name}`, () => client.callTool({ name: t.name, arguments: {} }));
        }
      } else {
        for (const tool of listed) {
          let args = argumentsFor(tool.inputSchema);
          if (tool.name === 'json_schema_echo') {
            const focal = listed.find((t) => t.name !== 'json_schema_echo');
            args = { schema: focal?.inputSchema ?? {} };
          }
          await attempt(`tools/call ${tool.name}`, () => client.callTool({ name: tool.name, arguments: args }));
        }
      }
      void byName;
    }
    if (caps.resources) {
      const resources = (await attempt('resources/list', () => client.listResources()))?.resources ?? [];
      if (resources[0]) await attempt('resources/read', () => client.readResource({ uri: resources[0].uri }));
    }
    if (caps.prompts) {
      const prompts = (await attempt('prompts/list', () => client.listPrompts()))?.prompts ?? [];
      if (prompts[0]) await attempt('prompts/get', () => client.getPrompt({ name: prompts[0].name }));
    }
  } catch (e) {
    failed++;
    log(`connect: ${e?.message ?? e}`);
  } finally {
    await client.close().catch(() => {});
    rmSync(home, { recursive: true, force: true });
  }
  process.exit(failed === 0 ? 0 : 1);
}

main();
