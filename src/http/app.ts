import { randomUUID } from 'node:crypto';
import http from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Deps } from '../domain/deps.js';
import { DomainError, RetryLaterError } from '../domain/errors.js';
import { redactTokenValues } from '../domain/tokens/token-format.js';
import { isUnavailable } from '../storage/dialect.js';
import { clientErrorHandler, isClientAbort } from './client-error.js';
import { sendError, STATUS } from './errors.js';
import { registerAuditRoutes } from './routes/audit.js';
import { consoleRoutes } from './routes/console.js';
import { registerExpirationRoutes } from './routes/expirations.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerInvitationRoutes } from './routes/invitations.js';
import { registerAuthPolicyRoutes } from './routes/auth-policies.js';
import { registerOidcIssuerRoutes } from './routes/oidc-issuers.js';
import { oauthTokenRoutes } from './routes/oauth-token.js';
import { registerOrgRoutes } from './routes/orgs.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerSetupRoutes } from './routes/setup.js';
import { registerTeamRoutes } from './routes/teams.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerUserRoutes } from './routes/user.js';
import { registerUsersRoutes } from './routes/users.js';
import { refuseHostileContentType, refuseNulInBody, refuseNulInUrl } from './input-guards.js';
import { decoratePublicSite, hostAllowed, hostChecked, publicSite } from './public-url.js';
import { sharedSchemas } from './schemas.js';
import { readSessionCookie } from './session-cookie.js';
import { validatorCompiler } from './validation.js';

export interface AppOptions {
  logger: FastifyBaseLogger;
  version: string;
  /** Socket timeouts; the defaults suit production, tests shorten them. */
  timeouts?: { requestMs?: number; headersMs?: number; checkIntervalMs?: number };
  /** Set `draining` to answer every new request 503 while the process shuts down (serve.ts). */
  lifecycle?: Lifecycle;
  /**
   * Reverse proxies whose X-Forwarded-For / -Proto / -Host are believed (TESSERA_TRUST_PROXY):
   * addresses, CIDR ranges or `loopback` / `linklocal` / `uniquelocal`. Empty: none, the default.
   */
  trustProxy?: readonly string[];
  /**
   * TESSERA_PUBLIC_URL (the first canonical) and whether the server listens on loopback only.
   * Default: no public URL, loopback — only loopback names are served the console (X07).
   */
  publicUrls?: readonly string[];
  loopback?: boolean;
}

/** Shared with the process that owns the server, so it can announce a shutdown. */
export interface Lifecycle {
  draining: boolean;
}

const BODY_LIMIT = 64 * 1024;

/**
 * The request path as it may be logged: without the query string (which may carry secrets), and
 * with anything shaped like a token value blanked, in case one was pasted into the path.
 */
function loggablePath(url: string): string {
  const q = url.indexOf('?');
  return redactTokenValues(q === -1 ? url : url.slice(0, q));
}

/** Builds the Fastify application. It never listens: main.ts (or a test) does that. */
export async function buildApp(deps: Deps, options: AppOptions): Promise<FastifyInstance> {
  const t = options.timeouts ?? {};
  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: () => randomUUID(),
    // One 'request' line per response (onResponse below) replaces Fastify's two, which log the raw URL.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Only named proxies: trusting every hop would let any client choose its own address (and so
    // escape the per-address throttles) and its own protocol.
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    // Our onRequest hook answers requests during shutdown in the REST error shape instead.
    return503OnClosing: false,
    // Slow clients (slowloris) are cut off: a request must arrive whole within these bounds.
    serverFactory: (handler) =>
      http.createServer(
        {
          requestTimeout: t.requestMs ?? 30_000,
          headersTimeout: t.headersMs ?? 10_000,
          connectionsCheckingInterval: t.checkIntervalMs ?? 1_000,
          keepAliveTimeout: 5_000,
        },
        handler,
      ),
    clientErrorHandler: clientErrorHandler(options.logger),
  });
  decoratePublicSite(app, publicSite(options.publicUrls ?? [], options.loopback ?? true));
  app.setValidatorCompiler(validatorCompiler);
  for (const schema of sharedSchemas) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tessera API',
        version: options.version,
        description: 'Access tokens with optional expiry, organizations and teams, compatible with the Pulumi Cloud REST API.',
      },
      components: {
        securitySchemes: {
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`token <value>` or `Bearer <value>`' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'tessera_session',
            description: 'the console session (`__Host-tessera_session` over https); state-changing requests also need the X-CSRF-Token header',
          },
        },
      },
      security: [{ token: [] }, { session: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null },
    // The plugin's policy (hashes of its inline scripts) with these changes: no page may frame the
    // reference (clickjacking); no upgrade-insecure-requests, which would send the page's own
    // scripts to https on a plain-http development server and leave it blank; no outside hosts
    // (the validator badge is off); and inline styles, which Swagger UI's React sets on elements
    // (a style hash would disable 'unsafe-inline'), as the console's own policy allows. Checked in
    // Chromium by test/security-inputs-misc.test.ts.
    staticCSP: true,
    transformStaticCSP: (header) =>
      header
        .replace("frame-ancestors 'self'", "frame-ancestors 'none'")
        .replace(' validator.swagger.io', '')
        .replace(/font-src [^;]*;/, "font-src 'self' data:;")
        .replace(/style-src [^;]*;/, "style-src 'self' 'unsafe-inline';")
        .replace(/\s*upgrade-insecure-requests;/, ''),
  });

  const lifecycle = options.lifecycle ?? { draining: false };
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (lifecycle.draining) {
      // Shutting down: refuse new work explicitly (503 is safe to retry elsewhere) and close the
      // connection so keep-alive clients reconnect to another node. Requests routed before the
      // shutdown began finish normally.
      reply.header('connection', 'close');
      return sendError(reply, 503, 'shutting_down', 'the server is shutting down; retry shortly');
    }
    refuseNulInUrl(request);
    refuseHostileContentType(request);
    // DNS rebinding (X07): a page on another name that resolves here must not reach the console,
    // sign-in or setup. 421 Misdirected Request: this server does not answer for that name.
    if (hostChecked(request, readSessionCookie(request) !== undefined) && !hostAllowed(app.publicSite, request)) {
      return sendError(reply, 421, 'host_not_allowed', 'this server does not serve the console, sign-in or setup under that host name; use the address in TESSERA_PUBLIC_URL');
    }
    // Only the reference page's static files may be cached. Decided on the matched route, not
    // on the raw URL, which has other spellings (`/%61pi/...`) for the same route.
    if (!request.routeOptions.url?.startsWith('/docs')) reply.header('cache-control', 'no-store');
    // Credentials belong in the Authorization header; a URL ends up in proxies' and browsers' logs.
    const query = request.query as Record<string, unknown> | undefined;
    if (query && ('access_token' in query || 'token' in query)) {
      throw new DomainError('token_in_query', 'send access tokens in the Authorization header, never in the URL');
    }
  });

  // A POST or PUT without any body means "no fields", like `{}`: curl -X POST works as expected.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
    refuseNulInBody(request.body);
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, path: loggablePath(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply) => {
    if (error instanceof DomainError) {
      const status = STATUS[error.code];
      request.log.info({ reason: error.code, status }, 'request refused');
      if (error instanceof RetryLaterError) reply.header('retry-after', String(error.retryAfterSeconds));
      return sendError(reply, status, error.code, error.message);
    }
    if (error.validation) return sendError(reply, 400, 'invalid_request', error.message);
    if (isClientAbort(error, request)) {
      request.log.info({ code: error.code }, 'client aborted the request');
      return sendError(reply, 400, 'request_aborted', 'the client closed the connection before the request body was complete');
    }
    if (isUnavailable(error)) {
      request.log.warn({ code: (error as { code?: string }).code }, 'database unavailable');
      return sendError(reply, 503, 'unavailable', 'the database is unavailable; retry shortly');
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendError(reply, status, fastifyReason(error), error.message);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 500, 'internal', 'internal error; quote the request id when reporting it');
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'route_not_found', `no route for ${request.method} ${loggablePath(request.url)}`));

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerHealthRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerTokenRoutes(app, deps);
  registerOrgRoutes(app, deps);
  registerTeamRoutes(app, deps);
  registerInvitationRoutes(app, deps);
  registerSessionRoutes(app, deps);
  registerSetupRoutes(app, deps);
  registerUsersRoutes(app, deps);
  registerAuditRoutes(app, deps);
  registerExpirationRoutes(app, deps);
  registerOidcIssuerRoutes(app, deps);
  registerAuthPolicyRoutes(app, deps);
  // Token exchange, in its own scope: form bodies and the OAuth error shape are for it alone.
  await app.register(oauthTokenRoutes, { deps });
  // The web console at / (last: every API route is matched first).
  await app.register(consoleRoutes);
  return app;
}

function fastifyReason(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'invalid_json';
    default:
      return error.statusCode === 400 && error instanceof SyntaxError ? 'invalid_json' : 'invalid_request';
  }
}
