import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import type { Deps, RequestContext } from '../domain/deps.js';
import { VERSION } from '../version.js';
import { withConfigErrors } from './config-errors.js';
import { databaseOption } from './options.js';

export interface AdminOptions {
  database?: string;
  json?: boolean;
}

/** Audit events of admin commands carry no request, and name the CLI as the client. */
export const ADMIN_CONTEXT: RequestContext = { requestId: null, sourceIp: null, userAgent: `tessera-cli/${VERSION}` };

/**
 * Opens the database named by --database (or TESSERA_DATABASE_URL), brings its schema up to date,
 * runs `fn` with the domain's dependencies and closes the database, also when `fn` fails.
 */
export async function withDatabase<T>(opts: AdminOptions, fn: (deps: Deps) => Promise<T>): Promise<T> {
  const config = withConfigErrors(() => loadConfig(process.env, opts.database === undefined ? {} : { database: opts.database }));
  // Loaded on use: the database drivers are the slow part of starting the CLI.
  const { openServices } = await import('../services.js');
  const services = await openServices(config);
  try {
    return await fn(services.deps);
  } finally {
    await services.close();
  }
}

/** Adds the options every admin command takes. */
export function adminCommand(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).addOption(databaseOption()).option('--json', 'print the result as JSON');
}
