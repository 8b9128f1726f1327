import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { redactUrl } from './config.js';
import type { FastifyInstance } from 'fastify';
import { buildApp, type Lifecycle } from './http/app.js';
import { schedulePurge } from './domain/oidc/purge-exchanges.js';
import { openServices, type Services } from './services.js';
import { VERSION } from './version.js';

/** The process logger: JSON lines on stdout. Secrets are never passed to it (rule 9). */
export function createLogger(level: Config['logLevel'], destination: pino.DestinationStream = pino.destination(1)): Logger {
  return pino({ level, base: { service: 'tessera' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** How long the accept queue must stay quiet, and how long draining may take at most. */
const DRAIN_QUIET_MS = 200;
const DRAIN_MAX_MS = 2_000;

/**
 * Migrates, then serves until SIGTERM or SIGINT. On a signal: answer new requests 503 while the
 * kernel's accept queue drains (closing the listener at once would reset connections that clients
 * already sent), then stop listening, let in-flight requests finish, write pending lastUsed values,
 * close the database, and exit 0. A signal during start-up stops it the same way.
 */
export async function serve(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<void> {
  const lifecycle: Lifecycle = { draining: false };
  let app: FastifyInstance | undefined;
  let services: Services | undefined;
  let stopping = false;
  let lastConnectionAt = 0;
  let stopPurge = () => {};

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      if (app) {
        lifecycle.draining = true;
        const started = Date.now();
        while (Date.now() - lastConnectionAt < DRAIN_QUIET_MS && Date.now() - started < DRAIN_MAX_MS) await sleep(25);
        await app.close();
      }
      stopPurge();
      await services?.close();
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

  if (config.allowLoopbackIssuers) {
    // A development allowance: it lets an organization admin point Tessera at services on this host.
    logger.warn('TESSERA_ALLOW_LOOPBACK_ISSUERS is set: OIDC issuers on http://127.0.0.1 and http://localhost may be registered; never use this in production');
  }
  services = await openServices(config);
  if (stopping) return; // stop() closes what was opened
  services.deps.lastUsed.start((err) => logger.error({ err }, 'lastUsed flush failed'));
  stopPurge = schedulePurge(services.deps, (result) => {
    if ('err' in result) logger.error({ err: result.err }, 'purge of expired exchanged tokens failed');
    else if (result.tokens > 0 || result.jtis > 0) logger.info(result, 'purged expired exchanged tokens');
  });
  app = await buildApp(services.deps, { logger, version: VERSION, lifecycle, trustProxy: config.trustProxy, publicUrls: config.publicUrls, loopback: config.listensOnLoopback });
  app.server.on('connection', () => (lastConnectionAt = Date.now()));
  const address = await app.listen({ host: config.host, port: config.port });
  logger.info({ address, database: redactUrl(config.databaseUrl), version: VERSION }, 'tessera listening');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
