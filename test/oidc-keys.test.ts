import assert from 'node:assert/strict';
import { generateKeyPair, exportJWK } from 'jose';
import { after, before, describe, it } from 'node:test';
import type { OAuth2Server } from 'oauth2-mock-server';
import { DomainError } from '../src/domain/errors.js';
import {
  checkIssuerTarget,
  classifyAddress,
  fetchIssuerJson,
  FETCH_TIMEOUT_MS,
  IssuerFetchError,
  type IssuerFetchOptions,
  type Resolver,
} from '../src/domain/oidc/fetch-issuer-document.js';
import { issuerKeyLoader, IssuerKeys, KEY_MAX_AGE_MS, KEY_REFETCH_COOLDOWN_MS, type KeyLoader } from '../src/domain/oidc/issuer-keys.js';
import { importKeySet } from '../src/domain/oidc/key-set.js';
import type { OidcIssuer } from '../src/domain/records.js';
import { TestClock } from './support/harness.js';
import { countSockets, FIXTURE_CERT, FIXTURE_THUMBPRINT, startLocalServer, startMockIssuer, type LocalServer } from './support/issuers.js';

const strict: IssuerFetchOptions = { allowLoopback: false };

/** A resolver that answers from a table and records what it was asked. */
function tableResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const fn = (async (host: string) => {
    asked.push(host);
    return (table[host] ?? []).map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  }) as Resolver & { asked: string[] };
  fn.asked = asked;
  return fn;
}

function issuerRecord(over: Partial<OidcIssuer> = {}): OidcIssuer {
  return {
    id: 'issuer-1',
    orgId: 'org',
    name: 'ci',
    url: 'http://localhost',
    issuer: 'http://localhost',
    thumbprints: [],
    maxExpiration: 90000,
    jwks: null,
    jwksUri: null,
    createdAt: 0,
    modifiedAt: 0,
    lastUsed: 0,
    ...over,
  };
}

describe('outbound issuer fetches (catalog S01, S02, S04, K05, K06)', () => {
  it('classifies addresses, including IPv4-mapped IPv6 and metadata addresses', () => {
    const cases: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.8.9.10': 'loopback',
      '::1': 'loopback',
      '10.1.2.3': 'private',
      '172.16.0.1': 'private',
      '172.31.255.255': 'private',
      '192.168.1.1': 'private',
      '100.64.0.1': 'private',
      '100.100.100.200': 'private',
      'fc00::1': 'private',
      'fd00:ec2::254': 'private',
      '169.254.169.254': 'link-local',
      'fe80::1': 'link-local',
      '0.0.0.0': 'reserved',
      '::': 'reserved',
      '224.0.0.1': 'reserved',
      'ff02::1': 'reserved',
      '255.255.255.255': 'reserved',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:7f00:1': 'loopback',
      '::ffff:169.254.169.254': 'link-local',
      '::ffff:a00:1': 'private',
      '64:ff9b::a00:1': 'reserved',
      '2002:a00:1::': 'reserved',
      '8.8.8.8': 'public',
      '172.32.0.1': 'public',
      '2606:4700::1111': 'public',
    };
    for (const [address, expected] of Object.entries(cases)) assert.equal(classifyAddress(address), expected, address);
  });

  it('S01: refuses internal, loopback and odd spellings before any socket opens', async () => {
    const resolver = tableResolver({ 'localhost': ['127.0.0.1'], 'metadata.google.internal': ['169.254.169.254'] });
    const urls = [
      'http://169.254.169.254/latest/meta-data',
      'https://169.254.169.254',
      'https://127.0.0.1',
      'https://localhost',
      'https://[::1]',
      'https://[::ffff:127.0.0.1]',
      'https://2130706433',
      'https://0x7f.1',
      'https://0177.0.0.1',
      'https://10.0.0.8',
      'https://[fd00:ec2::254]',
      'https://100.100.100.200',
      'https://[fe80::1]',
      'https://0.0.0.0',
      'https://metadata.google.internal/computeMetadata/v1',
      'file:///etc/passwd',
      'gopher://example.com:70/_',
      'http://example.com',
      'ftp://example.com',
      'https://user:pass@example.com',
      'not a url',
    ];
    for (const url of urls) {
      const { sockets, error } = await countSockets(() => fetchIssuerJson(url, { ...strict, resolve: resolver }));
      assert.ok(error instanceof IssuerFetchError, `${url} was not refused`);
      assert.equal((error as IssuerFetchError).kind, 'refused', `${url}: ${(error as Error).message}`);
      assert.equal(sockets, 0, `${url} opened a socket`);
    }
    // IP literals never reach the resolver.
    assert.deepEqual(resolver.asked.sort(), ['localhost', 'metadata.google.internal']);
  });

  it('S02: refuses a public-looking name that resolves to a private address, any of its addresses', async () => {
    const resolver = tableResolver({ 'issuer.example': ['93.184.216.34', '10.0.0.5'], 'rebind.example': ['192.168.0.10'] });
    for (const url of ['https://issuer.example', 'https://rebind.example/.well-known/openid-configuration']) {
      const { sockets, error } = await countSockets(() => fetchIssuerJson(url, { ...strict, resolve: resolver }));
      assert.equal((error as IssuerFetchError).kind, 'refused');
      assert.equal(sockets, 0);
    }
  });

  it('S02: connects to the address that was checked, not to a second lookup', async () => {
    // The server listens on 127.0.0.2 only; the system resolver would say 127.0.0.1 for localhost.
    const server = await startLocalServer({ host: '127.0.0.2', handler: (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}') });
    try {
      const resolver = tableResolver({ localhost: ['127.0.0.2'] });
      const doc = await fetchIssuerJson(`http://localhost:${server.port}/doc`, { allowLoopback: true, resolve: resolver });
      assert.deepEqual(doc.body, { ok: true });
      assert.deepEqual(resolver.asked, ['localhost'], 'resolved exactly once');
    } finally {
      await server.close();
    }
  });

  it('allows http only for loopback names, and only under the development allowance', async () => {
    const loose: IssuerFetchOptions = { allowLoopback: true };
    await checkIssuerTarget('http://127.0.0.1:8080', loose);
    await checkIssuerTarget('http://localhost:8080', { ...loose, resolve: tableResolver({ localhost: ['127.0.0.1'] }) });
    for (const url of ['http://10.0.0.1', 'https://10.0.0.1', 'http://example.com', 'https://169.254.169.254']) {
      await assert.rejects(checkIssuerTarget(url, { ...loose, resolve: tableResolver({ 'example.com': ['93.184.216.34'] }) }), IssuerFetchError, url);
    }
    await assert.rejects(checkIssuerTarget('http://127.0.0.1:8080', strict), IssuerFetchError);
  });

  describe('against loopback servers', () => {
    let server: LocalServer;
    let target: LocalServer;
    const loose: IssuerFetchOptions = { allowLoopback: true };
    before(async () => {
      server = await startLocalServer();
      target = await startLocalServer({ handler: (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"internal":true}') });
    });
    after(async () => {
      await server.close();
      await target.close();
    });

    it('K05: a redirect is not followed', async () => {
      server.handler = (_req, res) => res.writeHead(302, { location: `${target.origin}/secret` }).end();
      await assert.rejects(fetchIssuerJson(`${server.origin}/jwks`, loose), (err: IssuerFetchError) => err.kind === 'failed' && /redirect/.test(err.message));
      assert.deepEqual(target.requests, []);
    });

    it('K06: a body over the cap is aborted', async () => {
      server.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[');
        const chunk = `"${'x'.repeat(64 * 1024)}",`;
        const pump = () => {
          while (res.write(chunk)) {
            if (res.writableLength > 4 * 1024 * 1024) break;
          }
        };
        pump();
        res.on('drain', pump);
      };
      const started = Date.now();
      await assert.rejects(fetchIssuerJson(`${server.origin}/jwks`, loose), /too large/);
      assert.ok(Date.now() - started < FETCH_TIMEOUT_MS);
      // Declared too large: refused from the header alone.
      server.handler = (_req, res) => res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) }).end();
      await assert.rejects(fetchIssuerJson(`${server.origin}/jwks`, loose), /too large/);
    });

    it('K06: an endless trickle ends at the deadline (5 s by default)', async () => {
      assert.equal(FETCH_TIMEOUT_MS, 5000);
      let timer: NodeJS.Timeout | undefined;
      server.handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        timer = setInterval(() => res.write(' '), 50);
        res.on('close', () => clearInterval(timer));
      };
      const started = Date.now();
      await assert.rejects(fetchIssuerJson(`${server.origin}/jwks`, { ...loose, timeoutMs: 400 }), /timed out/);
      const took = Date.now() - started;
      assert.ok(took >= 380 && took < 2000, `took ${took} ms`);
      clearInterval(timer);
    });

    it('non-2xx answers and non-JSON bodies fail', async () => {
      server.handler = (_req, res) => res.writeHead(500).end('oops');
      await assert.rejects(fetchIssuerJson(`${server.origin}/jwks`, loose), /HTTP 500/);
      server.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      await assert.rejects(fetchIssuerJson(`${server.origin}/jwks`, loose), /not valid JSON/);
    });
  });

  describe('TLS and thumbprints', () => {
    let server: LocalServer;
    const resolve = tableResolver({ localhost: ['127.0.0.1'] });
    before(async () => {
      server = await startLocalServer({ tls: true, handler: (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":1}') });
    });
    after(async () => server.close());

    it('records the SHA-256 of the serving certificate', async () => {
      const doc = await fetchIssuerJson(`${server.origin}/x`, { allowLoopback: true, resolve, ca: FIXTURE_CERT });
      assert.equal(doc.thumbprint, FIXTURE_THUMBPRINT);
      assert.match(doc.thumbprint!, /^[0-9a-f]{64}$/);
    });

    it('accepts a pinned certificate and refuses another one', async () => {
      await fetchIssuerJson(`${server.origin}/x`, { allowLoopback: true, resolve, ca: FIXTURE_CERT }, [FIXTURE_THUMBPRINT]);
      const before = server.requests.length;
      await assert.rejects(fetchIssuerJson(`${server.origin}/x`, { allowLoopback: true, resolve, ca: FIXTURE_CERT }, ['a'.repeat(64)]), /thumbprints/);
      assert.equal(server.requests.length, before, 'no request completed to a server with another certificate');
    });

    it('an untrusted self-signed certificate is refused even when it is pinned', async () => {
      await assert.rejects(fetchIssuerJson(`${server.origin}/x`, { allowLoopback: true, resolve }, [FIXTURE_THUMBPRINT]), IssuerFetchError);
    });
  });
});

describe('key sets and the issuer key cache (catalog K01-K03, K07, F08-F11)', () => {
  let mock: OAuth2Server;
  before(async () => {
    mock = await startMockIssuer();
  });
  after(async () => mock.stop());

  it('K03: oct, encryption, non-allow-listed and private keys are ignored; an empty set is an error', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const ec = { ...(await exportJWK(publicKey)), kid: 'ec' };
    const keys = await importKeySet({
      keys: [
        { kty: 'oct', k: 'c2VjcmV0', alg: 'HS256', kid: 'hmac' },
        { ...ec, kid: 'enc', use: 'enc' },
        { ...ec, kid: 'wrap', key_ops: ['wrapKey'] },
        { ...ec, kid: 'none', alg: 'none' },
        { ...ec, kid: 'hs', alg: 'HS256' },
        ec,
      ],
    });
    assert.deepEqual(
      keys.map((k) => [k.kid, k.alg]),
      [['ec', 'ES256']],
    );
    await assert.rejects(importKeySet({ keys: [] }), /no usable/);
    await assert.rejects(importKeySet({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }), /no usable/);
    await assert.rejects(importKeySet('<html>'), /not a JWK Set/);
  });

  it('loads keys of a real loopback issuer (oauth2-mock-server) and selects by kid and alg', async () => {
    const clock = new TestClock();
    const url = mock.issuer.url!;
    const issuer = issuerRecord({ url, issuer: url, jwksUri: `${url}/jwks` });
    const cache = new IssuerKeys(clock, issuerKeyLoader({ allowLoopback: true }));
    const kid = mock.issuer.keys.get()!.kid!;
    const found = await cache.keysFor(issuer, 'RS256', kid);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.kid, kid);
    assert.deepEqual(await cache.keysFor(issuer, 'ES256', kid), [], 'an algorithm the key is not for selects nothing');
  });

  it('K01, F10: unknown kids cause at most one refetch per cooldown; concurrent callers share one fetch', async () => {
    const clock = new TestClock();
    const url = mock.issuer.url!;
    const issuer = issuerRecord({ url, issuer: url, jwksUri: `${url}/jwks` });
    const real = issuerKeyLoader({ allowLoopback: true });
    let loads = 0;
    const counting: KeyLoader = async (i) => {
      loads += 1;
      return real(i);
    };
    const cache = new IssuerKeys(clock, counting);
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => cache.keysFor(issuer, 'RS256', `unknown-${n}`)));
    assert.ok(results.every((r) => r.length === 0));
    assert.equal(loads, 1, 'the first load serves every caller; the refetch waits for the cooldown');
    for (let n = 0; n < 100; n++) await cache.keysFor(issuer, 'RS256', `again-${n}`);
    assert.equal(loads, 1);
    clock.advance(KEY_REFETCH_COOLDOWN_MS);
    await Promise.all(Array.from({ length: 50 }, (_, n) => cache.keysFor(issuer, 'RS256', `later-${n}`)));
    assert.equal(loads, 2, 'one refetch after the cooldown, shared by concurrent callers');
  });

  it('K07: a rotated-in key is found after one refetch; a removed key goes after the max age', async () => {
    const clock = new TestClock();
    const first = await generateKeyPair('ES256', { extractable: true });
    const second = await generateKeyPair('ES256', { extractable: true });
    const jwkA = { ...(await exportJWK(first.publicKey)), kid: 'a' };
    const jwkB = { ...(await exportJWK(second.publicKey)), kid: 'b' };
    let published: unknown = { keys: [jwkA] };
    let loads = 0;
    const cache = new IssuerKeys(clock, async () => {
      loads += 1;
      return importKeySet(published);
    });
    const issuer = issuerRecord();
    assert.equal((await cache.keysFor(issuer, 'ES256', 'a')).length, 1);
    published = { keys: [jwkB] };
    clock.advance(KEY_REFETCH_COOLDOWN_MS);
    assert.equal((await cache.keysFor(issuer, 'ES256', 'b')).length, 1, 'new kid accepted after one refetch');
    assert.equal(loads, 2);
    published = { keys: [jwkB] };
    assert.equal((await cache.keysFor(issuer, 'ES256', 'a')).length, 0, 'the old kid is gone from the refetched set');
    // Without a refetch for an unknown kid, the max age alone reloads.
    published = { keys: [jwkA] };
    clock.advance(KEY_MAX_AGE_MS);
    assert.equal((await cache.keysFor(issuer, 'ES256')).map((k) => k.kid).join(), 'a');
  });

  it('K02, F08: a failed, empty or broken refetch keeps the last good keys until their max age; then 503', async () => {
    const clock = new TestClock();
    const good = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(good.publicKey)), kid: 'good' };
    let answer: () => Promise<unknown> = async () => ({ keys: [jwk] });
    const cache = new IssuerKeys(clock, async () => importKeySet(await answer()));
    const issuer = issuerRecord();
    assert.equal((await cache.keysFor(issuer, 'ES256', 'good')).length, 1);
    const broken: Array<() => Promise<unknown>> = [async () => ({ keys: [] }), async () => '<html>', async () => Promise.reject(new Error('ECONNREFUSED'))];
    for (const b of broken) {
      answer = b;
      clock.advance(KEY_REFETCH_COOLDOWN_MS);
      assert.equal((await cache.keysFor(issuer, 'ES256', 'other')).length, 0);
      assert.equal((await cache.keysFor(issuer, 'ES256', 'good')).length, 1, 'last good keys kept');
    }
    clock.advance(KEY_MAX_AGE_MS);
    await assert.rejects(cache.keysFor(issuer, 'ES256', 'good'), (err: DomainError) => err.code === 'issuer_keys_unavailable');
    answer = async () => ({ keys: [jwk] });
    assert.equal((await cache.keysFor(issuer, 'ES256', 'good')).length, 1, 'recovers when the issuer is back');
  });

  it('K04: two keys with the same kid are both kept, so the exchange can verify with each', async () => {
    const a = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)), kid: 'same' };
    const b = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)), kid: 'same' };
    const cache = new IssuerKeys(new TestClock(), issuerKeyLoader({ allowLoopback: false }));
    assert.equal((await cache.keysFor(issuerRecord({ jwks: { keys: [a, b] } }), 'ES256', 'same')).length, 2);
  });

  it('F09: a cold cache with the issuer down is issuer_keys_unavailable (503), never an empty success', async () => {
    const cache = new IssuerKeys(new TestClock(), issuerKeyLoader({ allowLoopback: true, timeoutMs: 1000 }));
    const down = issuerRecord({ jwksUri: 'http://127.0.0.1:9/jwks' });
    await assert.rejects(cache.keysFor(down, 'RS256', 'x'), (err: DomainError) => err instanceof DomainError && err.code === 'issuer_keys_unavailable');
  });

  it('F11: a reload that finishes after a newer one cannot bring back older keys', async () => {
    const clock = new TestClock();
    const oldKey = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)), kid: 'old' };
    const newKey = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)), kid: 'new' };
    const pending: Array<(set: unknown) => void> = [];
    const cache = new IssuerKeys(clock, () => new Promise((resolve, reject) => pending.push((set) => importKeySet(set).then(resolve, reject))));
    const issuer = issuerRecord();
    const slow = cache.keysFor(issuer, 'ES256');
    // The issuer's key source changes (an update): the cache forgets, and a new load starts.
    cache.forget(issuer.id);
    const fast = cache.keysFor(issuer, 'ES256');
    assert.equal(pending.length, 2);
    pending[1]!({ keys: [newKey] });
    assert.equal((await fast).map((k) => k.kid).join(), 'new');
    pending[0]!({ keys: [oldKey] });
    await slow;
    assert.equal((await cache.keysFor(issuer, 'ES256')).map((k) => k.kid).join(), 'new', 'the older reload did not overwrite the newer keys');
  });

  it('a static key set is used without any fetch', async () => {
    const jwk = { ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)), kid: 's' };
    const cache = new IssuerKeys(new TestClock(), issuerKeyLoader({ allowLoopback: false }));
    const { sockets, result } = await countSockets(() => cache.keysFor(issuerRecord({ jwks: { keys: [jwk] }, jwksUri: 'https://10.0.0.1/jwks' }), 'ES256', 's'));
    assert.equal(result?.length, 1);
    assert.equal(sockets, 0);
  });
});
