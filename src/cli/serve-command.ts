import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { withConfigErrors } from './config-errors.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('migrate the database, then serve the API until SIGTERM')
    .option('--host <host>', 'address to listen on (TESSERA_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (TESSERA_PORT, default 8080)')
    .option('--database <url>', 'sqlite:<path> or postgres://… (TESSERA_DATABASE_URL, default sqlite:data/tessera.db)')
    .action(async (opts: { host?: string; port?: string; database?: string }) => {
      const config = withConfigErrors(() => loadConfig(process.env, opts));
      // Loaded on use, so other commands start without loading the server and database drivers.
      const { serve } = await import('../serve.js');
      await serve(config);
    });
}
