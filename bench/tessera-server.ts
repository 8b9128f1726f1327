import { LOG_LEVELS, type LogLevel } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/serve.js';
import { openServices } from '../src/services.js';
import { VERSION } from '../src/version.js';
import { send, serveControl } from './protocol.js';

// Tessera as `serve` runs it (openServices + buildApp + the production pino logger on stdout),
// minus config loading and signal handling, plus an IPC channel the runner uses to read the
// peak RSS and to stop it with a normal exit (so `--cpu-prof` can write its profile).
// Usage: node dist/bench/tessera-server.js <database-url>; BENCH_TESSERA_LOG_LEVEL (default warn).
const databaseUrl = process.argv[2];
if (!databaseUrl) throw new Error('usage: tessera-server.js <database-url>');
const level = (process.env.BENCH_TESSERA_LOG_LEVEL ?? 'warn') as LogLevel;
if (!LOG_LEVELS.includes(level)) throw new Error(`BENCH_TESSERA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

const logger = createLogger(level);
const services = await openServices({ databaseUrl, maxTokenLifetimeSeconds: 2 * 365 * 86400, requireTokenExpiry: false });
services.deps.lastUsed.start((err) => logger.error({ err }, 'lastUsed flush failed'));
const app = await buildApp(services.deps, { logger, version: VERSION });
await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });

serveControl(async () => {
  await app.close();
  await services.close();
  logger.flush();
});
const address = app.server.address();
send({
  type: 'listening',
  port: typeof address === 'object' && address ? address.port : 0,
  description: `Tessera ${VERSION}: openServices + buildApp, pino logger at level '${level}' to stdout (JSON lines, as \`tessera serve\`)`,
});
