import { Option, type Command } from 'commander';
import type { ApiOidcIssuer } from './api-types.js';
import { CliError, oneLine } from './cli-error.js';
import { cell, formatUnix, printJson, table } from './format.js';
import { connect, formatSeconds, issuerPath, listIssuers, orgOption, orgPath, resolveIssuer } from './oidc-client.js';
import { EXPIRATION_HELP, parseExpiration } from './oidc-exchange.js';
import { readJsonArgument } from './oidc-input.js';

function issuerTable(issuers: ApiOidcIssuer[]): string {
  const rows = issuers.map((i) => [i.id, cell(i.name), cell(i.url, 60), String(i.thumbprints.length), i.jwks ? 'static' : 'fetched', formatSeconds(i.maxExpiration), formatUnix(i.lastUsed)]);
  return table(['ID', 'NAME', 'URL', 'THUMBPRINTS', 'KEYS', 'MAX EXPIRATION', 'LAST USED'], rows);
}

/** What was registered, as `issuers add` prints it. */
function describeIssuer(i: ApiOidcIssuer): string {
  const lines = [
    `registered issuer ${oneLine(i.name)}`,
    `  id:             ${i.id}`,
    `  url:            ${oneLine(i.url)}`,
    `  thumbprints:    ${i.thumbprints.length === 0 ? 'none' : i.thumbprints.join(', ')}`,
    `  keys:           ${i.jwks ? 'the given key set (never fetched)' : 'fetched from the issuer'}`,
    `  max expiration: ${formatSeconds(i.maxExpiration)}`,
  ];
  return `${lines.join('\n')}\n`;
}

function registerList(issuers: Command): void {
  issuers
    .command('list')
    .description('list the OIDC issuers of an organization')
    .addOption(orgOption())
    .option('--json', 'print {oidcIssuers: [...]} as JSON')
    .addHelpText('after', '\nExample:\n  tessera oidc issuers list --org acme')
    .action(async (opts: { org: string; json?: boolean }) => {
      const list = await listIssuers(await connect(), opts.org);
      if (opts.json) return printJson({ oidcIssuers: list });
      if (list.length === 0) process.stderr.write(`organization ${oneLine(opts.org)} has no OIDC issuers\n`);
      else process.stdout.write(issuerTable(list));
    });
}

interface AddOptions {
  org: string;
  name: string;
  url: string;
  thumbprint?: string[];
  maxExpiration?: number;
  jwks?: string;
  json?: boolean;
}

function registerAdd(issuers: Command): void {
  issuers
    .command('add')
    .description('register an OIDC issuer whose ID tokens the organization accepts in exchange for access tokens')
    .addOption(orgOption())
    .requiredOption('--name <name>', 'a name for the issuer, unique in the organization (1 to 100 characters)')
    .requiredOption('--url <url>', 'the issuer URL: exactly the iss claim of its tokens, https (discovery is <url>/.well-known/openid-configuration)')
    .option('--thumbprint <sha256>', 'SHA-256 fingerprint (hex) of a TLS certificate to accept; repeat for several (default: the certificates serving the issuer now)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .addOption(new Option('--max-expiration <duration>', `longest lifetime of an exchanged token: ${EXPIRATION_HELP} (server default 25h)`).argParser(parseExpiration))
    .option('--jwks <json|@file>', 'a JSON Web Key Set to verify tokens with, instead of fetching the issuer\'s keys')
    .option('--json', 'print the registered issuer as JSON')
    .addHelpText(
      'after',
      `
The server fetches the discovery document and keys when the issuer is registered (unless --jwks
is given), so the URL must be reachable from the server. A new issuer has no policies and denies
every exchange until tessera oidc policies set gives it some.

Examples:
  tessera oidc issuers add --org acme --name github --url https://token.actions.githubusercontent.com
  tessera oidc issuers add --org acme --name ci --url https://ci.example.com --jwks @ci-keys.json --max-expiration 1h`,
    )
    .action(async (opts: AddOptions) => {
      const jwks = opts.jwks === undefined ? undefined : await readJsonArgument(opts.jwks, '--jwks');
      if (jwks !== undefined && (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys))) {
        throw new CliError('--jwks must be a JSON Web Key Set: {"keys": [...]}');
      }
      const body = {
        name: opts.name,
        url: opts.url,
        ...(opts.thumbprint === undefined ? {} : { thumbprints: opts.thumbprint }),
        ...(opts.maxExpiration === undefined ? {} : { maxExpiration: opts.maxExpiration }),
        ...(jwks === undefined ? {} : { jwks }),
      };
      const issuer = await (await connect()).post<ApiOidcIssuer>(`${orgPath(opts.org)}/oidc/issuers`, body);
      if (opts.json) return printJson(issuer);
      process.stdout.write(describeIssuer(issuer));
    });
}

function registerRemove(issuers: Command): void {
  issuers
    .command('remove')
    .description('delete an OIDC issuer and its policies; its tokens can no longer be exchanged')
    .argument('<issuer>', 'the issuer\'s id or name, as shown by tessera oidc issuers list')
    .addOption(orgOption())
    .addHelpText('after', '\nAccess tokens already exchanged stay valid until they expire or are deleted.\n\nExample:\n  tessera oidc issuers remove github --org acme')
    .action(async (ref: string, opts: { org: string }) => {
      const client = await connect();
      const issuer = await resolveIssuer(client, opts.org, ref);
      await client.delete(issuerPath(opts.org, issuer));
      process.stdout.write(`removed issuer ${oneLine(issuer.name)} (${issuer.id})\n`);
    });
}

export function registerIssuers(oidc: Command): void {
  const issuers = oidc.command('issuers').description('list, register and remove the OIDC issuers an organization trusts (organization admins)');
  registerList(issuers);
  registerAdd(issuers);
  registerRemove(issuers);
}
