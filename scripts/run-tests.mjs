// Runs every compiled suite under dist/test with Node's test runner. With
// TESSERA_TEST_POSTGRES_URL set, PostgreSQL must answer: an unreachable server fails the run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

const dir = 'dist/test';
const only = process.argv.slice(2);
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => path.join(dir, f));

const pgUrl = process.env.TESSERA_TEST_POSTGRES_URL;
if (pgUrl) {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    await client.end();
  } catch (err) {
    console.error(`TESSERA_TEST_POSTGRES_URL is set but PostgreSQL does not answer: ${err.message}`);
    process.exit(1);
  }
  console.log('databases: sqlite, postgres');
} else {
  console.log('databases: sqlite (set TESSERA_TEST_POSTGRES_URL to run every suite on PostgreSQL too)');
}

fs.mkdirSync('test-results', { recursive: true });
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
