import type { Command } from 'commander';
import type { ApiUser } from './api-types.js';
import { callerLabel } from './api-types.js';
import { CliError, oneLine } from './cli-error.js';
import { credentialsPath, loginUrl, writeCredentials } from './credentials.js';
import { TesseraClient } from './http-client.js';
import { readStdin } from './stdin.js';

/** The token to log in with: stdin when it is not a terminal, else TESSERA_TOKEN. */
async function tokenFromInput(envToken: string | undefined): Promise<string> {
  const piped = process.stdin.isTTY ? '' : (await readStdin()).trim();
  const token = piped || (envToken ?? '').trim();
  if (!token) throw new CliError('no token given: pipe one on stdin (tessera login < token.txt) or set TESSERA_TOKEN');
  return token;
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('check an access token with the server and store it for the client commands')
    .option('--url <url>', 'server URL (TESSERA_URL, default http://127.0.0.1:8080)')
    .addHelpText(
      'after',
      `
The token is read from stdin when stdin is not a terminal, otherwise from TESSERA_TOKEN. It is
stored with the URL in $XDG_CONFIG_HOME/tessera/credentials.json (default
~/.config/tessera/credentials.json), readable only by you.

Example:
  tessera admin create-user alice --email alice@example.com --token | tessera login`,
    )
    .action(async (opts: { url?: string }) => {
      const url = loginUrl(process.env, opts.url);
      const token = await tokenFromInput(process.env.TESSERA_TOKEN);
      const client = new TesseraClient(url, token);
      const u = new URL(client.baseUrl);
      if (u.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) {
        process.stderr.write(`tessera: warning: ${client.baseUrl} is not https; the token travels unencrypted\n`);
      }
      const me = await client.get<ApiUser>('/api/user');
      const file = credentialsPath(process.env);
      await writeCredentials(file, { url: client.baseUrl, token });
      process.stdout.write(`Logged in to ${client.baseUrl} as ${oneLine(callerLabel(me))}\n`);
      process.stderr.write(`credentials stored in ${file}\n`);
    });
}
