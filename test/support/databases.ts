import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** A database a suite runs against: a fresh SQLite file, or a fresh PostgreSQL schema. */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  url: string;
  /** Removes the file or drops the schema. */
  drop(): Promise<void>;
}

export type DatabaseKind = TestDatabase['name'];

/** SQLite always; PostgreSQL too when TESSERA_TEST_POSTGRES_URL is set (then it must answer). */
export function databaseKinds(): DatabaseKind[] {
  return process.env.TESSERA_TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-test-'));
    return { name: 'sqlite', url: `sqlite:${path.join(dir, 'tessera.db')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.TESSERA_TEST_POSTGRES_URL;
  if (!base) throw new Error('TESSERA_TEST_POSTGRES_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return {
    name: 'postgres',
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
