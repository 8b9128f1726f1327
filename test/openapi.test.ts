import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from './support/server-process.js';
import { call, startHarness, type Harness } from './support/harness.js';

const FILE = path.join(ROOT, 'openapi.json');

describe('OpenAPI document', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('sqlite');
  });
  after(async () => h.close());

  it('the committed openapi.json matches the route schemas (regenerate with npm run openapi)', () => {
    const generated = `${JSON.stringify(h.app.swagger(), null, 2)}\n`;
    if (process.env.UPDATE_OPENAPI === '1') fs.writeFileSync(FILE, generated);
    assert.equal(fs.readFileSync(FILE, 'utf8'), generated, 'openapi.json is stale: run `npm run openapi` and commit it');
  });

  it('the generated TypeScript types in src/generated/openapi.ts match openapi.json', () => {
    const check = spawnSync(process.execPath, ['scripts/generate-api-types.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });

  it('documents every API route, and serves the document and the reference page', async () => {
    const spec = h.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    for (const p of ['/api/user', '/api/user/tokens', '/api/user/tokens/{tokenId}', '/api/orgs/{org}/tokens', '/api/orgs/{org}/teams/{team}/tokens', '/api/orgs', '/api/orgs/{org}/members/{login}', '/api/orgs/{org}/teams/{team}/members/{login}']) {
      assert.ok(spec.paths[p], `${p} is documented`);
    }
    const served = await call(h, 'GET', '/api/openapi.json');
    assert.equal(served.statusCode, 200);
    assert.deepEqual(served.json(), JSON.parse(JSON.stringify(spec)));
    const docs = await h.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /<html/i);
  });
});
