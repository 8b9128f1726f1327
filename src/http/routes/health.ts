import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../domain/deps.js';

/** Liveness (the process answers) and readiness (the database answers). */
export function registerHealthRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async () => {
    await deps.store.ping();
    return { status: 'ready' };
  });
}
