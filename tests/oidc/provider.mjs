// A real OpenID provider (node oidc-provider, a certified implementation) for the single
// sign-on tests. Started by tests/support/oidc.py on 127.0.0.1; nothing here is for production.
//
//   PORT           the port to listen on (the issuer is http://127.0.0.1:PORT)
//   REDIRECT_URIS  comma-separated redirect URIs of the one client, `scanlink`
//
// Its development log-in page takes any password; the login name picks an account from
// ACCOUNTS below, whose e-mail and email_verified the tests rely on.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

export const CLIENT_ID = 'scanlink';
export const CLIENT_SECRET = 'scanlink-test-client-secret';

const ACCOUNTS = {
  newcomer: { email: 'newcomer@example.com', email_verified: true, name: 'New Comer' },
  'ada-verified': { email: 'Ada@Example.com', email_verified: true, name: 'Ada' },
  'ada-unverified': { email: 'ada@example.com', email_verified: false, name: 'Not Ada' },
  'ada-string-verified': { email: 'ada@example.com', email_verified: 'true', name: 'Ada' },
  'no-email': { name: 'Nobody' },
  'unverified-newcomer': { email: 'stranger@example.com', email_verified: false },
};

const port = Number(process.env.PORT);
const redirectUris = (process.env.REDIRECT_URIS || '').split(',').filter(Boolean);
if (!port || !redirectUris.length) {
  console.error('PORT and REDIRECT_URIS are required');
  process.exit(2);
}

// A fresh signing key per run: the tests fetch it from the JWKS, as any client does.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: redirectUris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${provider.issuer}`);
});
