import Fastify from 'fastify';
import { importJWK, jwtVerify, type JWK } from 'jose';
import { send, serveControl } from './protocol.js';

// The exchange baseline: Fastify with its defaults and no logger, one route that reads the same
// form body as POST /api/oauth/token and only verifies the subject token with jose (jwtVerify with
// the issuer's public key, chosen by kid; algorithm, issuer and audience checked), then answers a
// small JSON body. No database, no policy, no token minted.
// Usage: node dist/bench/bare-exchange-server.js '<JSON array of {url, jwk}>'
const issuers = JSON.parse(process.argv[2] ?? '[]') as Array<{ url: string; jwk: JWK & { kid: string; alg: string } }>;
if (issuers.length === 0) throw new Error('usage: bare-exchange-server.js <issuers JSON>');
const keys = new Map<string, { alg: string; iss: string; key: Awaited<ReturnType<typeof importJWK>> }>();
for (const i of issuers) keys.set(i.jwk.kid, { alg: i.jwk.alg, iss: i.url, key: await importJWK(i.jwk, i.jwk.alg) });

const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, new URLSearchParams(body as string)));
app.post('/api/oauth/token', async (request, reply) => {
  const form = request.body as URLSearchParams;
  const jwt = form.get('subject_token');
  const audience = form.get('audience');
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange' || !jwt || !audience) return reply.code(400).send({ error: 'invalid_request' });
  try {
    let iss = '';
    const { payload } = await jwtVerify(
      jwt,
      (header) => {
        const k = keys.get(header.kid ?? '');
        if (!k || k.alg !== header.alg) throw new Error('no key');
        iss = k.iss;
        return k.key;
      },
      { algorithms: ['ES256', 'RS256'], audience },
    );
    if (payload.iss !== iss) throw new Error('issuer');
  } catch {
    return reply.code(400).send({ error: 'invalid_request' });
  }
  return { access_token: 'verified', token_type: 'token', expires_in: 7200 };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
serveControl(() => app.close());
const address = app.server.address();
send({
  type: 'listening',
  port: typeof address === 'object' && address ? address.port : 0,
  description: 'Fastify, logger off, POST /api/oauth/token: form body parsed, subject token verified with jose jwtVerify (key by kid, alg, aud, iss), small JSON answer',
});
