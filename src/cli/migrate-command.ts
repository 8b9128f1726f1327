import type { Command } from 'commander';
import { loadConfig, redactUrl } from '../config.js';
import { withConfigErrors } from './config-errors.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date, then exit')
    .option('--database <url>', 'sqlite:<path> or postgres://… (TESSERA_DATABASE_URL)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { database?: string; json?: boolean }) => {
      const config = withConfigErrors(() => loadConfig(process.env, opts.database === undefined ? {} : { database: opts.database }));
      // Loaded on use, so other commands start without loading the database drivers.
      const { migrate, openDatabase } = await import('../storage/open-database.js');
      const database = await openDatabase(config.databaseUrl);
      try {
        const applied = await migrate(database);
        if (opts.json) process.stdout.write(`${JSON.stringify({ database: redactUrl(config.databaseUrl), applied })}\n`);
        else process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
      } finally {
        await database.close();
      }
    });
}
