import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate, openDatabase } from '../src/storage/open-database.js';
import { createTestDatabase, databaseKinds } from './support/databases.js';

/**
 * Start-up migrations on a shared PostgreSQL database, while other schemas come and go (other
 * Tessera deployments, or test suites dropping theirs): Kysely's migrator lists the tables of every
 * schema, and a schema dropped during that query must not stop Tessera from starting.
 */
for (const kind of databaseKinds()) {
  if (kind !== 'postgres') continue;
  describe('migrations on a shared PostgreSQL database', () => {
    it('succeed while other schemas are created and dropped', async () => {
      const churn = new pg.Client({ connectionString: process.env.TESSERA_TEST_POSTGRES_URL });
      await churn.connect();
      let stop = false;
      const churning = (async () => {
        for (let i = 0; !stop; i++) {
          const name = `churn_${process.pid}_${i}`;
          await churn.query(`create schema ${name}`);
          await churn.query(`create table ${name}.t (id int)`);
          await churn.query(`drop schema ${name} cascade`);
        }
      })();
      try {
        for (let i = 0; i < 12; i++) {
          const db = await createTestDatabase('postgres');
          const opened = await openDatabase(db.url);
          try {
            assert.ok((await migrate(opened)).length > 0);
          } finally {
            await opened.close();
            await db.drop();
          }
        }
      } finally {
        stop = true;
        await churning;
        await churn.end();
      }
    });
  });
}
