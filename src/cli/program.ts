import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerAdmin } from './admin-commands.js';
import { registerLogin } from './login-command.js';
import { registerMigrate } from './migrate-command.js';
import { registerOidc } from './oidc-command.js';
import { registerOpenapi } from './openapi-command.js';
import { registerServe } from './serve-command.js';
import { registerTokens } from './tokens-command.js';
import { registerWhoami } from './whoami-command.js';

/**
 * The `tessera` command line. Each command lives in its own file and registers itself here.
 * Exit codes: 0 success, 1 a failure reported as `tessera: <message>` (main.ts), 2 bad usage.
 */
export function buildProgram(): Command {
  const program = new Command('tessera')
    .description('Tessera: access tokens with optional expiry, organizations and teams, speaking the Pulumi Cloud token API')
    .version(VERSION)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false })
    // Commander exits 1 on bad usage; 2 keeps usage apart from failures. Set before any
    // subcommand is added: subcommands copy it when created.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  registerServe(program);
  registerMigrate(program);
  registerAdmin(program);
  registerLogin(program);
  registerWhoami(program);
  registerTokens(program);
  registerOidc(program);
  registerOpenapi(program);
  return program;
}
