import { Option, type Command } from 'commander';
import type { ApiTokenExchange } from './api-types.js';
import { oneLine } from './cli-error.js';
import { loginUrl } from './credentials.js';
import { printJson } from './format.js';
import { warnIfPlaintext } from './login-command.js';
import { formatSeconds } from './oidc-client.js';
import { addExchangeOptions, EXCHANGE_DEFAULTS_HELP, exchangeToken, resolveExchange, type ExchangeFlags, type ExchangeRequest } from './oidc-exchange.js';
import { registerIssuers } from './oidc-issuers-command.js';
import { registerPolicies } from './oidc-policies-command.js';

interface ExchangeOptions extends ExchangeFlags {
  url?: string;
  print?: boolean;
  json?: boolean;
}

/** The default output: what was obtained, the token value included. */
function summary(request: ExchangeRequest, answer: ApiTokenExchange): string {
  const kind =
    request.tokenType === 'team'
      ? `team token of ${request.scope.slice('team:'.length)}`
      : request.tokenType === 'personal'
        ? `personal token of ${request.scope.slice('user:'.length)}`
        : `organization token${answer.scope === 'admin' ? ' (admin)' : ''}`;
  const expires = new Date(Date.now() + answer.expires_in * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const lines = [
    `access token: ${answer.access_token}`,
    `type:         ${oneLine(kind)}`,
    `organization: ${oneLine(request.org)}`,
    `expires:      ${expires} (in ${formatSeconds(answer.expires_in)})`,
  ];
  return `${lines.join('\n')}\n`;
}

function registerExchange(oidc: Command): void {
  const cmd = oidc
    .command('exchange')
    .description('exchange an OIDC ID token for a short-lived access token and print it, storing nothing')
    .option('--url <url>', 'server URL (TESSERA_URL, default http://127.0.0.1:8080)');
  addExchangeOptions(cmd, '')
    .addOption(new Option('--admin', 'an organization token with admin rights (needs an allow policy granting admin)').conflicts(['team', 'user']))
    .addOption(new Option('--print', 'print only the access token and a newline, for $(…)').conflicts('json'))
    .option('--json', 'print the server\'s whole answer as JSON (access_token, issued_token_type, token_type, expires_in, scope)')
    .addHelpText(
      'after',
      `
By default a short summary goes to stdout, the access token included: type, organization and
expiry. The ID token is sent only to the server's POST /api/oauth/token and never printed. A
refusal prints the server's description, its OAuth error code and the request id, which an
organization admin can look up in the audit log, and exits 1.

${EXCHANGE_DEFAULTS_HELP}

Examples:
  export TESSERA_TOKEN=$(tessera oidc exchange --org acme --token @id-token.jwt --print)
  export PULUMI_ACCESS_TOKEN=$(tessera oidc exchange --org acme --github --team platform --expiration 30m --print)
  tessera oidc exchange --org acme --token - --admin --json < id-token.jwt`,
    )
    .action(async (opts: ExchangeOptions) => {
      const url = loginUrl(process.env, opts.url);
      const request = await resolveExchange(cmd, opts, '', process.env);
      warnIfPlaintext(url, 'the ID token');
      const answer = await exchangeToken(url, request);
      if (opts.print) process.stdout.write(`${answer.access_token}\n`);
      else if (opts.json) printJson(answer);
      else process.stdout.write(summary(request, answer));
    });
}

export function registerOidc(program: Command): void {
  const oidc = program
    .command('oidc')
    .description('OIDC trust: exchange ID tokens for access tokens; manage an organization\'s issuers and their policies');
  registerExchange(oidc);
  registerIssuers(oidc);
  registerPolicies(oidc);
}
