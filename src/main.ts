import { CliError, printable, redactTokens } from './cli/cli-error.js';
import { buildProgram } from './cli/program.js';

// Composition root: the CLI decides what runs (serve, migrate, admin or client commands); each
// command loads configuration, opens what it needs, and closes it.
buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    // Library errors may quote their input (a header value, a body): clean them like our own.
    const message = err instanceof CliError ? err.message : redactTokens(printable(err instanceof Error ? err.message : String(err)));
    process.stderr.write(`tessera: ${message}\n`);
    process.exit(1);
  });
