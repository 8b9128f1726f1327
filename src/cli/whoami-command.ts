import type { Command } from 'commander';
import type { ApiUser } from './api-types.js';
import { callerLabel } from './api-types.js';
import { oneLine } from './cli-error.js';
import { resolveCredentials } from './credentials.js';
import { formatUnix, printJson } from './format.js';
import { TesseraClient } from './http-client.js';

export function registerWhoami(program: Command): void {
  program
    .command('whoami')
    .description('show who the stored credentials (or TESSERA_URL / TESSERA_TOKEN) act as')
    .option('--json', 'print the server\'s description of the caller (GET /api/user) as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { url, token } = await resolveCredentials(process.env);
      const client = new TesseraClient(url, token);
      const me = await client.get<ApiUser>('/api/user');
      if (opts.json) return printJson(me);
      const orgs = me.organizations.map((o) => `${o.name} (${o.role})`).join(', ') || '-';
      const lines = [oneLine(callerLabel(me)), `  server:        ${client.baseUrl}`, `  organizations: ${oneLine(orgs)}`];
      if (me.token) lines.push(`  token:         ${me.token.type}, expires ${formatUnix(me.token.expires)}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
