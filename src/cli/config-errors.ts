import { ConfigError } from '../config.js';

/** Runs loadConfig; on a bad value prints every problem and exits 2 before anything starts. */
export function withConfigErrors<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tessera: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
