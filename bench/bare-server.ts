import Fastify from 'fastify';
import { send, serveControl } from './protocol.js';

// The baseline: Fastify with its defaults and no logger, answering a small JSON body.
// Started by bench/run.ts as `node dist/bench/bare-server.js`.
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
serveControl(() => app.close());
const address = app.server.address();
send({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0, description: 'Fastify, logger off, GET / → {"hello":"world"}' });
