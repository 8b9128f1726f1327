import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { redactUrl } from './config.js';
import { buildApp } from './http/app.js';
import { openServices } from './services.js';
import { VERSION } from './version.js';

/** The process logger: JSON lines on stdout. Secrets are never passed to it (rule 9). */
export function createLogger(level: Config['logLevel'], destination: pino.DestinationStream = pino.destination(1)): Logger {
  return pino({ level, base: { service: 'tessera' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/**
 * Migrates, then serves until SIGTERM or SIGINT. On a signal: stop accepting connections, let
 * in-flight requests finish (new ones get 503), write pending lastUsed values, close the
 * database, exit 0.
 */
export async function serve(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<void> {
  const services = await openServices(config);
  services.deps.lastUsed.start((err) => logger.error({ err }, 'lastUsed flush failed'));
  const app = await buildApp(services.deps, { logger, version: VERSION });
  const address = await app.listen({ host: config.host, port: config.port });
  logger.info({ address, database: redactUrl(config.databaseUrl), version: VERSION }, 'tessera listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await app.close();
      await services.close();
      logger.info('stopped');
      logger.flush();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      logger.flush();
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
