import { Option, type Command } from 'commander';
import type { ApiAccessToken, ApiCreatedToken, ApiTokenList } from './api-types.js';
import { CliError, oneLine } from './cli-error.js';
import { resolveCredentials } from './credentials.js';
import { cell, formatUnix, printJson, table } from './format.js';
import { segment, TesseraClient } from './http-client.js';
import { whenOption } from './options.js';

interface ScopeOptions {
  org?: string;
  team?: string;
}

interface Scope {
  kind: 'personal' | 'organization' | 'team';
  /** The collection path of API.md section 4. */
  path: string;
}

/** Resolves --org / --team to a token collection; --team without --org is a usage error. */
function scopeOf(cmd: Command, opts: ScopeOptions): Scope {
  if (opts.team !== undefined && opts.org === undefined) cmd.error('error: --team requires --org', { exitCode: 2, code: 'tessera.usage' });
  if (opts.org === undefined) return { kind: 'personal', path: '/api/user/tokens' };
  const org = `/api/orgs/${segment(opts.org, 'organization')}`;
  if (opts.team === undefined) return { kind: 'organization', path: `${org}/tokens` };
  return { kind: 'team', path: `${org}/teams/${segment(opts.team, 'team')}/tokens` };
}

const scopeOptions = (cmd: Command): Command =>
  cmd
    .option('--org <org>', 'organization tokens of <org> (default: your personal tokens)')
    .option('--team <team>', 'team tokens of <team> in the organization given by --org');

async function connect(): Promise<TesseraClient> {
  const { url, token } = await resolveCredentials(process.env);
  return new TesseraClient(url, token);
}

/** Fetches every page of a token list, following continuationToken. */
async function listAll(client: TesseraClient, path: string, filter: string, pageSize: number): Promise<ApiAccessToken[]> {
  const tokens: ApiAccessToken[] = [];
  const seen = new Set<string>();
  let continuationToken: string | undefined;
  do {
    const page = await client.get<ApiTokenList>(path, { filter, maxResults: pageSize, continuationToken });
    tokens.push(...page.tokens);
    continuationToken = page.continuationToken;
    // A server that hands out the same position twice would keep us here forever.
    if (continuationToken !== undefined) {
      if (seen.has(continuationToken)) throw new CliError('the server repeated a continuationToken; stopping');
      seen.add(continuationToken);
    }
  } while (continuationToken !== undefined);
  return tokens;
}

function tokenTable(tokens: ApiAccessToken[]): string {
  const rows = tokens.map((t) => [t.id, cell(t.name), cell(t.description), t.status, formatUnix(t.expires), formatUnix(t.lastUsed)]);
  return table(['ID', 'NAME', 'DESCRIPTION', 'STATUS', 'EXPIRES', 'LAST USED'], rows);
}

function registerList(tokens: Command): void {
  const cmd = tokens.command('list').description('list access tokens (all pages), newest first');
  scopeOptions(cmd)
    .addOption(new Option('--filter <filter>', 'which tokens: active, expired, or all (all includes revoked)').choices(['active', 'expired', 'all']).default('active'))
    .addOption(new Option('--page-size <n>', 'tokens per request').argParser((v) => Number(v)).default(1000).hideHelp())
    .option('--json', 'print {tokens: [...]} as JSON')
    .action(async (opts: ScopeOptions & { filter: string; pageSize: number; json?: boolean }) => {
      const scope = scopeOf(cmd, opts);
      if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1 || opts.pageSize > 1000) cmd.error('error: --page-size must be 1 to 1000', { exitCode: 2, code: 'tessera.usage' });
      const list = await listAll(await connect(), scope.path, opts.filter, opts.pageSize);
      if (opts.json) return printJson({ tokens: list });
      if (list.length === 0) process.stderr.write(`no ${opts.filter === 'all' ? '' : `${opts.filter} `}${scope.kind} tokens\n`);
      else process.stdout.write(tokenTable(list));
    });
}

function registerCreate(tokens: Command): void {
  const cmd = tokens.command('create').description('create an access token and print its value (shown only this once)');
  scopeOptions(cmd)
    .option('--name <name>', 'token name, required for organization and team tokens: 1 to 40 letters, digits, - or _')
    .option('--description <text>', 'what the token is for (up to 1024 characters)')
    .addOption(whenOption('--expires <when>', 'when the token expires (default never, unless the server requires an expiry)'))
    .option('--admin', 'an organization token with admin rights (organization tokens only)')
    .option('--json', 'print {id, tokenValue} as JSON')
    .addHelpText(
      'after',
      `
In plain mode the value alone goes to stdout, so it can be captured:
  TOKEN=$(tessera tokens create --description ci --expires 30d)
  tessera tokens create --org acme --team platform --name deploy --expires 2027-01-31`,
    )
    .action(async (opts: ScopeOptions & { name?: string; description?: string; expires?: number; admin?: boolean; json?: boolean }) => {
      const scope = scopeOf(cmd, opts);
      const usage = (message: string): never => cmd.error(`error: ${message}`, { exitCode: 2, code: 'tessera.usage' });
      if (scope.kind === 'personal' && opts.name !== undefined) usage('personal tokens have no name; use --description, or add --org for an organization token');
      if (scope.kind !== 'personal' && opts.name === undefined) usage(`${scope.kind} tokens need --name`);
      if (opts.admin && scope.kind !== 'organization') usage('--admin applies to organization tokens only (--org without --team)');
      const body = {
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(opts.description === undefined ? {} : { description: opts.description }),
        ...(opts.expires === undefined ? {} : { expires: opts.expires }),
        ...(opts.admin ? { admin: true } : {}),
      };
      const created = await (await connect()).post<ApiCreatedToken>(scope.path, body);
      if (opts.json) return printJson({ id: created.id, tokenValue: created.tokenValue });
      process.stdout.write(`${created.tokenValue}\n`);
      const expiry = opts.expires === undefined ? '' : `, expires ${formatUnix(opts.expires)}`;
      process.stderr.write(`created ${scope.kind} token ${created.id}${expiry}; the value above is shown only once\n`);
    });
}

function registerDelete(tokens: Command): void {
  const cmd = tokens.command('delete').description('delete (revoke) an access token; it stops working at once').argument('<tokenId>', 'the token\'s id, as shown by tessera tokens list');
  scopeOptions(cmd).action(async (tokenId: string, opts: ScopeOptions) => {
    const scope = scopeOf(cmd, opts);
    await (await connect()).delete(`${scope.path}/${segment(tokenId, 'token id')}`);
    process.stdout.write(`deleted ${scope.kind} token ${oneLine(tokenId)}\n`);
  });
}

export function registerTokens(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('list, create and delete personal, organization and team tokens on a server (uses tessera login)');
  registerList(tokens);
  registerCreate(tokens);
  registerDelete(tokens);
}
