import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, redactUrl } from '../src/config.js';
import { timeOrderedId } from '../src/domain/ids.js';
import { displayHint, generateTokenValue, hashTokenValue, parseTokenValue } from '../src/domain/tokens/token-format.js';
import { resolveExpires } from '../src/domain/tokens/expiry.js';
import { parseDuration, parseWhen } from '../src/domain/when.js';
import { tokenFromHeader } from '../src/domain/tokens/authenticate.js';

describe('token format (API.md section 2)', () => {
  it('generates tsr<kind>_ + 38 base62 characters with a valid checksum', () => {
    for (const [type, prefix] of [['personal', 'tsrp_'], ['team', 'tsrt_'], ['organization', 'tsro_']] as const) {
      const v = generateTokenValue(type);
      assert.equal(v.length, 43);
      assert.ok(v.startsWith(prefix));
      assert.match(v, /^tsr[pto]_[0-9A-Za-z]{38}$/);
      assert.equal(parseTokenValue(v), type);
      assert.equal(displayHint(v), `${prefix.slice(0, 5)}…${v.slice(-4)}`);
    }
  });

  it('A04: rejects a changed character, a wrong prefix or length, and a changed kind letter', () => {
    const v = generateTokenValue('personal');
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
    for (let i = 5; i < v.length; i++) assert.equal(parseTokenValue(flip(v, i)), undefined, `position ${i}`);
    assert.equal(parseTokenValue(`tsrt${v.slice(4)}`), undefined);
    assert.equal(parseTokenValue(`pul-${v.slice(4)}`), undefined);
    assert.equal(parseTokenValue(v.slice(0, -1)), undefined);
    assert.equal(parseTokenValue(`${v}a`), undefined);
    assert.equal(parseTokenValue(''), undefined);
  });

  it('values are distinct and only their SHA-256 is kept', () => {
    const values = new Set(Array.from({ length: 1000 }, () => generateTokenValue('team')));
    assert.equal(values.size, 1000);
    assert.match(hashTokenValue('x'), /^[0-9a-f]{64}$/);
  });

  it('reads `token <v>` and `Bearer <v>`, case-insensitively, and nothing else', () => {
    assert.equal(tokenFromHeader('token abc'), 'abc');
    assert.equal(tokenFromHeader('Bearer abc'), 'abc');
    assert.equal(tokenFromHeader('TOKEN abc'), 'abc');
    for (const bad of ['token', 'token ', 'token  abc', 'Basic abc', 'token a b', 'token a,token b', 'tokenabc']) assert.equal(tokenFromHeader(bad), undefined, bad);
  });
});

describe('<when> and durations', () => {
  const now = 1_800_000_000;
  it('parses never, durations and ISO dates', () => {
    assert.equal(parseWhen('never', now), 0);
    assert.equal(parseWhen('90m', now), now + 5400);
    assert.equal(parseWhen('12h', now), now + 43200);
    assert.equal(parseWhen('30d', now), now + 30 * 86400);
    assert.equal(parseWhen('1y', now), now + 365 * 86400);
    assert.equal(parseWhen('1d12h', now), now + 86400 + 43200);
    assert.equal(parseWhen('2027-01-01', now), Date.UTC(2027, 0, 1) / 1000);
    assert.equal(parseWhen('2027-01-01T10:00:00Z', now), Date.UTC(2027, 0, 1, 10) / 1000);
    assert.equal(parseWhen('2027-01-01T10:00:00+02:00', now), Date.UTC(2027, 0, 1, 8) / 1000);
    for (const bad of ['', 'soon', '0d', '-5d', '5x', '2027-13-45', '2027-02-30T99:00']) assert.equal(parseWhen(bad, now), undefined, bad);
    assert.equal(parseDuration('2y'), 2 * 365 * 86400);
  });

  it('Z08: resolveExpires enforces future, maximum and the optional require-expiry policy', () => {
    const config = { maxTokenLifetimeSeconds: 86400, requireTokenExpiry: false };
    assert.equal(resolveExpires(undefined, now, config), 0);
    assert.equal(resolveExpires(0, now, config), 0);
    assert.equal(resolveExpires(now + 10, now, config), now + 10);
    assert.equal(resolveExpires(String(now + 10), now, config), now + 10);
    assert.equal(resolveExpires(new Date((now + 60) * 1000).toISOString(), now, config), now + 60);
    for (const bad of [now, now - 1, now + 86401, 1.5, -3, 'tomorrow', '']) {
      assert.throws(() => resolveExpires(bad, now, config), { code: 'expires_invalid' }, String(bad));
    }
    assert.throws(() => resolveExpires(0, now, { ...config, requireTokenExpiry: true }), { code: 'expires_invalid' });
  });
});

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.deepEqual(c, {
      databaseUrl: 'sqlite:data/tessera.db',
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      maxTokenLifetimeSeconds: 2 * 365 * 86400,
      requireTokenExpiry: false,
      sessionIdleTimeoutSeconds: 30 * 60,
      sessionMaxAgeSeconds: 12 * 3600,
      allowLoopbackIssuers: false,
      oidcTokenRetentionSeconds: 30 * 86400,
      trustProxy: [],
      publicUrls: ['http://127.0.0.1:8080'],
      listensOnLoopback: true,
    });
  });

  it('TESSERA_TRUST_PROXY takes addresses, CIDR ranges and proxy-addr names, and nothing else', () => {
    assert.deepEqual(loadConfig({ TESSERA_TRUST_PROXY: '10.0.0.0/8, 192.0.2.1,loopback,fd00::/8' }).trustProxy, ['10.0.0.0/8', '192.0.2.1', 'loopback', 'fd00::/8']);
    for (const bad of ['true', '*', '10.0.0.0/33', 'proxy.example.com', '1.2.3.4/8/8', '::1/129']) {
      assert.throws(() => loadConfig({ TESSERA_TRUST_PROXY: bad }), /TESSERA_TRUST_PROXY/, bad);
    }
  });

  it('TESSERA_OIDC_TOKEN_RETENTION takes a duration, or 0 to keep exchanged tokens', () => {
    assert.equal(loadConfig({ TESSERA_OIDC_TOKEN_RETENTION: '7d' }).oidcTokenRetentionSeconds, 7 * 86400);
    assert.equal(loadConfig({ TESSERA_OIDC_TOKEN_RETENTION: '0' }).oidcTokenRetentionSeconds, 0);
    assert.throws(() => loadConfig({ TESSERA_OIDC_TOKEN_RETENTION: 'forever' }), /TESSERA_OIDC_TOKEN_RETENTION/);
  });

  it('TESSERA_ALLOW_LOOPBACK_ISSUERS is off by default and takes 0, 1, true or false', () => {
    assert.equal(loadConfig({ TESSERA_ALLOW_LOOPBACK_ISSUERS: '1' }).allowLoopbackIssuers, true);
    assert.equal(loadConfig({ TESSERA_ALLOW_LOOPBACK_ISSUERS: 'false' }).allowLoopbackIssuers, false);
    assert.throws(() => loadConfig({ TESSERA_ALLOW_LOOPBACK_ISSUERS: 'yes' }), /TESSERA_ALLOW_LOOPBACK_ISSUERS/);
  });

  it('flags override the environment', () => {
    const c = loadConfig({ TESSERA_PORT: '9000', TESSERA_HOST: '0.0.0.0', TESSERA_PUBLIC_URL: 'https://tessera.example.com' }, { port: '9100' });
    assert.equal(c.port, 9100);
    assert.equal(c.host, '0.0.0.0');
  });

  it('F20: reports every bad value at once, naming each variable', () => {
    try {
      loadConfig({ TESSERA_PORT: 'eighty', TESSERA_DATABASE_URL: 'mysql://x', TESSERA_MAX_TOKEN_LIFETIME: 'forever', TESSERA_LOG_LEVEL: 'loud', TESSERA_REQUIRE_TOKEN_EXPIRY: 'maybe' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const names = ['TESSERA_PORT', 'TESSERA_DATABASE_URL', 'TESSERA_MAX_TOKEN_LIFETIME', 'TESSERA_LOG_LEVEL', 'TESSERA_REQUIRE_TOKEN_EXPIRY'];
      assert.equal(err.problems.length, names.length);
      for (const n of names) assert.ok(err.message.includes(n), n);
    }
  });

  it('never prints a database password', () => {
    assert.equal(redactUrl('postgres://app:s3cret@db:5432/tessera'), 'postgres://app:***@db:5432/tessera');
    assert.throws(() => loadConfig({ TESSERA_DATABASE_URL: 'mysql://app:s3cret@db' }), (err: Error) => !err.message.includes('s3cret'));
  });
});

describe('time-ordered ids', () => {
  it('sort in creation order, even within one millisecond', () => {
    const ids = Array.from({ length: 500 }, (_, i) => timeOrderedId(1_800_000_000_000 + Math.floor(i / 100)));
    assert.deepEqual([...ids].sort(), ids);
    assert.match(ids[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
