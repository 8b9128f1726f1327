import type { Command } from 'commander';
import type { ApiUser } from './api-types.js';
import { callerLabel } from './api-types.js';
import { CliError, oneLine } from './cli-error.js';
import { credentialsPath, loginUrl, writeCredentials } from './credentials.js';
import { TesseraClient } from './http-client.js';
import { addExchangeOptions, EXCHANGE_DEFAULTS_HELP, exchangeToken, resolveExchange, type ExchangeFlags } from './oidc-exchange.js';
import { readStdin } from './stdin.js';

/** The token to log in with: stdin when it is not a terminal, else TESSERA_TOKEN. */
async function tokenFromInput(envToken: string | undefined): Promise<string> {
  const piped = process.stdin.isTTY ? '' : (await readStdin()).trim();
  const token = piped || (envToken ?? '').trim();
  if (!token) throw new CliError('no token given: pipe one on stdin (tessera login < token.txt) or set TESSERA_TOKEN');
  return token;
}

/** Warns when secrets are about to travel over plain http to anything but this machine. */
export function warnIfPlaintext(baseUrl: string, what: string): void {
  const u = new URL(baseUrl);
  if (u.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
    process.stderr.write(`tessera: warning: ${baseUrl} is not https; ${what} travels unencrypted\n`);
  }
}

/** Checks `token` with GET /api/user, stores it with the URL, and says who is logged in. */
async function storeLogin(url: string, token: string): Promise<void> {
  const client = new TesseraClient(url, token);
  const me = await client.get<ApiUser>('/api/user');
  const file = credentialsPath(process.env);
  await writeCredentials(file, { url: client.baseUrl, token });
  process.stdout.write(`Logged in to ${client.baseUrl} as ${oneLine(callerLabel(me))}\n`);
  process.stderr.write(`credentials stored in ${file}\n`);
}

interface LoginOptions {
  url?: string;
  oidcToken?: string;
  github?: boolean;
  oidcOrg?: string;
  oidcTeam?: string;
  oidcUser?: string;
  oidcExpiration: number;
}

export function registerLogin(program: Command): void {
  const cmd = program
    .command('login')
    .description('check an access token with the server and store it for the client commands; or get one by exchanging an OIDC ID token')
    .option('--url <url>', 'server URL (TESSERA_URL, default http://127.0.0.1:8080)');
  addExchangeOptions(cmd, 'oidc-').addHelpText(
    'after',
    `
Without --oidc-token or --github the access token is read from stdin when stdin is not a terminal,
otherwise from TESSERA_TOKEN. It is stored with the URL in $XDG_CONFIG_HOME/tessera/credentials.json
(default ~/.config/tessera/credentials.json), readable only by you.

With --oidc-token or --github, the OIDC ID token (from a CI system, say) is exchanged at
POST /api/oauth/token for a short-lived organization, team (--oidc-team) or personal (--oidc-user)
access token, which is stored the same way; the ID token itself is never stored or printed. The
organization's admins register the issuer and its policies first (tessera oidc issuers --help).
TESSERA_TOKEN must not be set then, since it would override the stored token.

${EXCHANGE_DEFAULTS_HELP}

Examples:
  tessera admin create-user alice --email alice@example.com --token | tessera login
  tessera login --url https://tessera.example.com --oidc-token @id-token.jwt --oidc-org acme
  echo "$ID_TOKEN" | tessera login --oidc-token - --oidc-team platform --oidc-expiration 30m
  tessera login --github --oidc-org acme          # in a GitHub Actions job with id-token: write`,
  );
  cmd.action(async (opts: LoginOptions) => {
    const url = loginUrl(process.env, opts.url);
    const oidc = opts.oidcToken !== undefined || opts.github === true;
    if (!oidc) {
      const given = (['oidcOrg', 'oidcTeam', 'oidcUser'] as const).filter((k) => opts[k] !== undefined);
      if (given.length > 0 || cmd.getOptionValueSource('oidcExpiration') === 'cli') {
        cmd.error('error: the --oidc-… options need --oidc-token or --github', { exitCode: 2, code: 'tessera.usage' });
      }
      const token = await tokenFromInput(process.env.TESSERA_TOKEN);
      warnIfPlaintext(url, 'the token');
      return storeLogin(url, token);
    }
    // Like pulumi login, which refuses an exchange while PULUMI_ACCESS_TOKEN is set.
    if ((process.env.TESSERA_TOKEN ?? '').trim() !== '') {
      throw new CliError('TESSERA_TOKEN is set and would override the token this login stores; unset it, or use tessera oidc exchange --print');
    }
    const flags: ExchangeFlags = { token: opts.oidcToken, github: opts.github, org: opts.oidcOrg, team: opts.oidcTeam, user: opts.oidcUser, expiration: opts.oidcExpiration };
    const request = await resolveExchange(cmd, flags, 'oidc-', process.env);
    warnIfPlaintext(url, 'the ID token');
    const exchanged = await exchangeToken(url, request);
    await storeLogin(url, exchanged.access_token);
  });
}
