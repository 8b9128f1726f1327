import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Resolver } from '../src/domain/oidc/fetch-issuer-document.js';
import { databaseKinds } from './support/databases.js';
import { makeOrg, makePerson } from './support/harness.js';
import { startLive, type LiveHarness } from './support/live.js';

/**
 * S01 and S02 at the registration endpoint, over HTTP, with the production setting (loopback
 * issuers not allowed): the earlier endpoint test ran with loopback issuers allowed and so could
 * not list the loopback spellings; the in-process test listed them against the fetcher alone.
 */

const asked: string[] = [];
/** Names a public-looking host could resolve to; no socket is ever opened to them. */
const resolver: Resolver = async (host) => {
  asked.push(host);
  if (host === 'internal.example') return [{ address: '10.20.30.40', family: 4 }];
  if (host === 'mixed.example') return [{ address: '93.184.216.34', family: 4 }, { address: '169.254.169.254', family: 4 }];
  if (host === 'six.example') return [{ address: '::ffff:127.0.0.1', family: 6 }];
  if (host === 'localhost') return [{ address: '127.0.0.1', family: 4 }];
  throw new Error('unknown host');
};

for (const kind of databaseKinds()) {
  describe(`security review: issuer URLs at the registration endpoint (${kind})`, () => {
    let h: LiveHarness;
    let admin: Awaited<ReturnType<typeof makePerson>>;
    let org: string;
    let orgId: string;

    before(async () => {
      h = await startLive(kind, { allowLoopbackIssuers: false, issuerFetch: { resolve: resolver } });
      admin = await makePerson(h);
      const o = await makeOrg(h, admin.user);
      org = o.name;
      orgId = o.id;
    });
    after(async () => h.close());

    /** Client sockets opened while `fn` runs, other than ours to the server under test. */
    async function foreignSockets(fn: () => Promise<void>): Promise<string[]> {
      // Remote ends are read on connect: a closed socket forgets them.
      const seen: Array<{ remote?: string; port?: number }> = [];
      const onSocket = ({ socket }: { socket: net.Socket }) => {
        const entry: { remote?: string; port?: number } = {};
        seen.push(entry);
        socket.once('connect', () => Object.assign(entry, { remote: socket.remoteAddress, port: socket.remotePort }));
      };
      diagnostics.subscribe('net.client.socket', onSocket as (m: unknown) => void);
      try {
        await fn();
      } finally {
        diagnostics.unsubscribe('net.client.socket', onSocket as (m: unknown) => void);
      }
      // Ours connected to the listening port; anything else (even a failed connect) is a leak.
      return seen.filter((e) => e.port !== h.port).map((e) => `${e.remote}:${e.port}`);
    }

    const state = async () => ({
      issuers: (await h.deps.store.listIssuers(orgId)).length,
      audit: (await h.deps.store.listAudit(orgId, 10_000)).length,
    });

    it('S01: every listed internal, loopback and odd spelling, and every non-https scheme, is refused before any socket opens; NC', async () => {
      const urls = [
        'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        'https://169.254.169.254',
        'https://127.0.0.1',
        'http://127.0.0.1:8080',
        'https://localhost',
        'https://[::1]',
        'https://[::ffff:127.0.0.1]',
        'https://2130706433',
        'https://0x7f.1',
        'https://0177.0.0.1',
        'https://10.0.0.1',
        'https://10.255.255.255/issuer',
        'https://0.0.0.0',
        'file:///etc/passwd',
        'gopher://example.com:70/_',
        'http://token.actions.githubusercontent.com',
      ];
      const before = await state();
      asked.length = 0;
      const leaks = await foreignSockets(async () => {
        for (const [n, url] of urls.entries()) {
          const res = await h.http('POST', `/api/orgs/${org}/oidc/issuers`, { token: admin.token, body: { name: `s01-${n}`, url } });
          assert.equal(res.status, 400, `${url}: ${res.text}`);
          assert.equal(res.json.reason, 'issuer_url_refused', url);
          assert.match(String(res.headers['content-type']), /^application\/json\b/);
        }
      });
      assert.deepEqual(leaks, [], 'no socket opened to a refused URL');
      assert.deepEqual(asked.filter((a) => a !== 'localhost'), [], 'IP literals and refused schemes never reach the resolver');
      assert.deepEqual(await state(), before, 'nothing stored, nothing audited');
    });

    it('S02: a public-looking name resolving to a private, link-local or mapped-loopback address (any of its addresses) is refused at connect time; NC', async () => {
      const before = await state();
      const leaks = await foreignSockets(async () => {
        for (const host of ['internal.example', 'mixed.example', 'six.example']) {
          const res = await h.http('POST', `/api/orgs/${org}/oidc/issuers`, { token: admin.token, body: { name: `s02-${host.split('.')[0]}`, url: `https://${host}/issuer` } });
          assert.equal(res.status, 400, `${host}: ${res.text}`);
          assert.equal(res.json.reason, 'issuer_url_refused', host);
        }
      });
      assert.deepEqual(leaks, []);
      assert.deepEqual(await state(), before);
    });
  });
}
