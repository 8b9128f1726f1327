import type { Command } from 'commander';
import { VERSION } from '../version.js';

/** `tessera openapi`: the OpenAPI document of the HTTP API, built from the route schemas. */
export function registerOpenapi(program: Command): void {
  program
    .command('openapi')
    .description('print the OpenAPI document of the HTTP API as JSON (no server or database needed)')
    .action(async () => {
      // Loaded on use, so other commands do not pay for Fastify and the database drivers.
      const [{ default: pino }, { buildApp }, { openServices }] = await Promise.all([import('pino'), import('../http/app.js'), import('../services.js')]);
      // The routes need services to register; an in-memory database serves and is thrown away.
      const services = await openServices({ databaseUrl: 'sqlite::memory:', maxTokenLifetimeSeconds: 2 * 365 * 86400, requireTokenExpiry: false });
      try {
        const app = await buildApp(services.deps, { logger: pino({ level: 'silent' }), version: VERSION });
        try {
          await app.ready();
          process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
        } finally {
          await app.close();
        }
      } finally {
        await services.close();
      }
    });
}
