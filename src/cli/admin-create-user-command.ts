import type { Command } from 'commander';
import { nowSeconds } from '../domain/clock.js';
import type { Principal } from '../domain/principal.js';
import { SYSTEM } from '../domain/principal.js';
import { resolveExpires } from '../domain/tokens/expiry.js';
import { issueToken } from '../domain/tokens/issue-token.js';
import { createUser } from '../domain/users/create-user.js';
import { ADMIN_CONTEXT, adminCommand, withDatabase, type AdminOptions } from './admin-database.js';
import { CliError } from './cli-error.js';
import { formatUnix, printJson } from './format.js';
import { whenOption } from './options.js';
import { readStdin } from './stdin.js';

interface CreateUserOptions extends AdminOptions {
  email: string;
  name?: string;
  passwordStdin?: boolean;
  siteAdmin?: boolean;
  token?: boolean;
  tokenExpires?: number;
}

/** The password piped on stdin, without the one trailing newline `echo` or a file adds. */
async function passwordFromStdin(): Promise<string> {
  // Typing at a terminal would echo the password; this option is for pipes and files.
  if (process.stdin.isTTY) throw new CliError('--password-stdin reads a piped password; stdin is a terminal');
  const password = (await readStdin()).replace(/\r?\n$/, '');
  if (password === '') throw new CliError('--password-stdin: stdin was empty');
  return password;
}

export function registerCreateUser(admin: Command): void {
  const cmd = adminCommand(admin, 'create-user', 'create a local user, optionally with a personal token')
    .argument('<login>', 'login: 1 to 39 letters, digits, ., - or _, starting with a letter or digit')
    .requiredOption('--email <email>', 'email address')
    .option('--name <name>', 'display name (default: the login)')
    .option('--password-stdin', 'read a console password from stdin (one trailing newline is dropped)')
    .option('--site-admin', 'make the user a site administrator')
    .option('--token', 'also issue a personal token for the user and print its value')
    .addOption(whenOption('--token-expires <when>', 'when that token expires (default never)'))
    .addHelpText(
      'after',
      `
With --token the value alone goes to stdout (messages go to stderr), so it can be captured:
  TOKEN=$(tessera admin create-user alice --email alice@example.com --token --token-expires 30d)`,
    );
  cmd.action(async (login: string, opts: CreateUserOptions) => {
    if (opts.tokenExpires !== undefined && !opts.token) cmd.error('error: --token-expires needs --token', { exitCode: 2, code: 'tessera.usage' });
    const password = opts.passwordStdin ? await passwordFromStdin() : undefined;
    const { user, issued } = await withDatabase(opts, async (deps) => {
      // Check the expiry before anything is written, so a refused one does not leave a user behind.
      if (opts.token) resolveExpires(opts.tokenExpires ?? 0, nowSeconds(deps.clock), deps.config);
      const user = await createUser(deps, ADMIN_CONTEXT, SYSTEM, {
        login,
        email: opts.email,
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(password === undefined ? {} : { password }),
        siteAdmin: opts.siteAdmin === true,
      });
      if (!opts.token) return { user, issued: undefined };
      const owner: Principal = { kind: 'user', user, token: null };
      const issued = await issueToken(deps, ADMIN_CONTEXT, owner, { type: 'personal' }, {
        description: 'created by tessera admin create-user',
        expires: opts.tokenExpires ?? 0,
        source: 'cli',
      });
      return { user, issued };
    });

    const userJson = { id: user.id, login: user.login, email: user.email, name: user.name, siteAdmin: user.siteAdmin };
    if (opts.json) {
      const token = issued ? { token: { id: issued.token.id, tokenValue: issued.tokenValue, expires: issued.token.expires } } : {};
      return printJson({ user: userJson, ...token });
    }
    const what = `created ${user.siteAdmin ? 'site administrator' : 'user'} ${user.login} (${user.id})`;
    if (!issued) return void process.stdout.write(`${what}\n`);
    process.stderr.write(`${what} with personal token ${issued.token.id}, expires ${formatUnix(issued.token.expires)}\n`);
    process.stdout.write(`${issued.tokenValue}\n`);
  });
}
