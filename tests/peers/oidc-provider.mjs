// oidc-provider (a certified OpenID provider) configured for mcp-auth's
// interop tests. Listens on 127.0.0.1 only, on a free port, and prints
// "listening <issuer>" once ready. Settings come from the environment:
//   ACCESS_TTL   access token lifetime in seconds (default 60)
//   CLIENT_ID    the pre-registered native client (default mcp-auth-test)
//   DCR=1        enable dynamic client registration
//   RESOURCE     enable resource indicators (RFC 8707) for this resource
//   CLIENT_SECRET  also register a confidential client CLIENT_ID-m2m for
//                the client credentials grant
//   REFRESH_ALWAYS=1  issue refresh tokens to every client allowed the
//                refresh_token grant, offline_access or not
import http from 'node:http';
import Provider from 'oidc-provider';

const accessTtl = Number(process.env.ACCESS_TTL || 60);
const clientId = process.env.CLIENT_ID || 'mcp-auth-test';
const resource = process.env.RESOURCE;

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const clients = [{
  client_id: clientId,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  response_types: ['code'],
}];
if (process.env.CLIENT_SECRET) {
  clients.push({
    client_id: `${clientId}-m2m`,
    client_secret: process.env.CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  });
}

const accounts = { alice: { sub: 'alice', email: 'alice@example.com', preferred_username: 'alice' } };

const provider = new Provider(issuer, {
  clients,
  pkce: { required: () => true },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'api'],
  claims: { openid: ['sub'], email: ['email'], profile: ['preferred_username'] },
  ttl: {
    AccessToken: accessTtl,
    ClientCredentials: accessTtl,
    RefreshToken: 86400,
    Grant: 86400,
    Session: 86400,
    Interaction: 600,
    AuthorizationCode: 60,
    DeviceCode: 600,
  },
  rotateRefreshToken: true,
  issueRefreshToken: async (ctx, client, code) =>
    client.grantTypeAllowed('refresh_token')
    && (process.env.REFRESH_ALWAYS === '1' || code.scopes.has('offline_access')),
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => accounts[id] || { sub: id, preferred_username: id },
  }),
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    registration: { enabled: process.env.DCR === '1' },
    resourceIndicators: resource ? {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api offline_access', accessTokenFormat: 'opaque' }),
    } : { enabled: false },
  },
});
// Quiet the development warnings; failures still reach stderr.
provider.on('server_error', (ctx, err) => console.error('server_error', err));

server.on('request', provider.callback());
console.log(`listening ${issuer}`);
