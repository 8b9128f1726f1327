import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerServe } from './serve-command.js';
import { registerMigrate } from './migrate-command.js';

/** The `tessera` command line. Each command lives in its own file and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('tessera')
    .description('Tessera: access tokens with optional expiry, organizations and teams, speaking the Pulumi Cloud token API')
    .version(VERSION)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });
  registerServe(program);
  registerMigrate(program);
  return program;
}
