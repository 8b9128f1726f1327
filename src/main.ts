import { buildProgram } from './cli/program.js';

// Composition root: the CLI decides what runs (serve, migrate, admin or client commands); each
// command loads configuration, opens what it needs, and closes it.
buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`tessera: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
