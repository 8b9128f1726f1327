import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuditQuery } from '../../domain/audit/audit-query.js';
import type { AuditEventView } from '../../domain/audit/describe-audit-event.js';
import { exportAuditEvents } from '../../domain/audit/export-audit-events.js';
import { listAuditEvents } from '../../domain/audit/list-audit-events.js';
import type { Deps } from '../../domain/deps.js';
import { principalOf, requireAuth } from '../context.js';
import { csvRow } from '../csv.js';
import { errorResponses, OrgParams } from '../schemas.js';

const tags = ['audit'];

export const AuditLogEvent = Type.Object(
  {
    id: Type.String({ description: 'the event id (a UUIDv7; ids sort in the order events were written)' }),
    timestamp: Type.Integer({ description: 'unix seconds' }),
    event: Type.String({ description: 'the action, e.g. access_token_created' }),
    description: Type.String({ description: 'a readable English sentence' }),
    sourceIP: Type.String(),
    userAgent: Type.String(),
    requestId: Type.String(),
    user: Type.Object(
      { name: Type.String(), githubLogin: Type.String() },
      {
        description:
          'who acted: a person (display name and login); a token as `{name: "token <name>", githubLogin: ""}`; the operator as `{name: "system", githubLogin: ""}`. An empty githubLogin always means "not a person".',
      },
    ),
    tokenID: Type.Optional(Type.String({ description: 'the token the actor used; for *_used events the token that was refused' })),
    tokenName: Type.Optional(Type.String({ description: 'its name (absent for personal tokens, which have none)' })),
    target: Type.Optional(Type.String({ description: '`<target type> <name>`, e.g. `organization_token deploy`, `user bob`, `team platform`' })),
  },
  { $id: 'AuditLogEvent', title: 'AuditLogEvent' },
);

const AuditLogList = Type.Object(
  { auditLogEvents: Type.Array(Type.Ref('AuditLogEvent')), continuationToken: Type.Optional(Type.String({ description: 'absent on the last page' })) },
  { $id: 'AuditLogList', title: 'AuditLogList' },
);

// Year 9999 at most, so the milliseconds derived from it stay exact integers.
const Seconds = (description: string) => Type.Integer({ minimum: 0, maximum: 253_402_300_799, description });
const AuditFilters = {
  startTime: Type.Optional(Seconds('unix seconds; events at or after this instant')),
  endTime: Type.Optional(Seconds('unix seconds; events before this instant')),
  user: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9._-]*$', description: 'login of the acting person (`system` for the operator); empty = any' })),
  event: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z0-9_]*$', description: 'action name, e.g. access_token_created; empty = any' })),
};

const AuditListQuery = Type.Object({
  ...AuditFilters,
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  continuationToken: Type.Optional(Type.String({ maxLength: 512 })),
});

const AuditExportQuery = Type.Object({
  ...AuditFilters,
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'csv' })),
});

/** The wire form of an audit event, shared by the list and the JSON export so they never drift apart. */
export function auditLogEventBody(v: AuditEventView): Static<typeof AuditLogEvent> {
  return {
    id: v.id,
    timestamp: Math.floor(v.occurredAt / 1000),
    event: v.event,
    description: v.description,
    sourceIP: v.sourceIp ?? '',
    userAgent: v.userAgent ?? '',
    requestId: v.requestId ?? '',
    user: { name: v.actor.name, githubLogin: v.actor.login },
    ...(v.tokenId ? { tokenID: v.tokenId } : {}),
    ...(v.tokenName ? { tokenName: v.tokenName } : {}),
    ...(v.target ? { target: v.target } : {}),
  };
}

const CSV_HEADER = ['timestamp', 'event', 'description', 'user', 'token_id', 'token_name', 'target', 'source_ip', 'user_agent', 'request_id'];

function csvRecord(v: AuditEventView): string {
  return csvRow([
    new Date(v.occurredAt).toISOString(),
    v.event,
    v.description,
    v.actor.login || v.actor.name,
    v.tokenId,
    v.tokenName,
    v.target,
    v.sourceIp,
    v.userAgent,
    v.requestId,
  ]);
}

/** Chunks of at least this many characters are written; one write per event would be wasteful. */
const CHUNK = 16 * 1024;

async function* csvChunks(events: AsyncIterable<AuditEventView>): AsyncGenerator<string> {
  let buf = csvRow(CSV_HEADER);
  for await (const v of events) {
    buf += csvRecord(v);
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  yield buf;
}

async function* jsonChunks(events: AsyncIterable<AuditEventView>): AsyncGenerator<string> {
  let buf = '[';
  let first = true;
  for await (const v of events) {
    buf += `${first ? '' : ','}\n${JSON.stringify(auditLogEventBody(v))}`;
    first = false;
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}\n]\n`;
}

function queryOf(q: Static<typeof AuditListQuery> | Static<typeof AuditExportQuery>): AuditQuery {
  return {
    ...(q.startTime === undefined ? {} : { startTime: q.startTime }),
    ...(q.endTime === undefined ? {} : { endTime: q.endTime }),
    ...(q.user === undefined ? {} : { user: q.user }),
    ...(q.event === undefined ? {} : { event: q.event }),
  };
}

/** The audit log of an organization and its export (organization admins only). */
export function registerAuditRoutes(app: FastifyInstance, deps: Deps): void {
  app.addSchema(AuditLogEvent);
  app.addSchema(AuditLogList);
  const auth = requireAuth(deps);

  app.get(
    '/api/orgs/:org/auditlogs',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "List the organization's audit events, newest first (admins)",
        params: OrgParams,
        querystring: AuditListQuery,
        response: { 200: Type.Ref('AuditLogList'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query as Static<typeof AuditListQuery>;
      const page = await listAuditEvents(deps, principalOf(request), (request.params as { org: string }).org, {
        ...queryOf(q),
        maxResults: q.maxResults ?? 100,
        ...(q.continuationToken === undefined ? {} : { continuationToken: q.continuationToken }),
      });
      return {
        auditLogEvents: page.events.map(auditLogEventBody),
        ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}),
      };
    },
  );

  app.get(
    '/api/orgs/:org/auditlogs/export',
    {
      onRequest: auth,
      schema: {
        tags,
        summary: "Export every matching audit event as CSV or JSON, streamed (admins)",
        description:
          'CSV columns: timestamp (ISO 8601 UTC), event, description, user, token_id, token_name, target, source_ip, user_agent, request_id; cells that a spreadsheet would run as a formula are prefixed with a single quote. JSON: an array of AuditLogEvent.',
        params: OrgParams,
        querystring: AuditExportQuery,
        response: {
          200: {
            description: 'the events, newest first, as an attachment',
            content: {
              'text/csv': { schema: Type.String() },
              'application/json': { schema: Type.Array(Type.Ref('AuditLogEvent')) },
            },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const q = request.query as Static<typeof AuditExportQuery>;
      const orgName = (request.params as { org: string }).org;
      // Permission and filters are checked here, before the first byte is sent.
      const { org, events } = await exportAuditEvents(deps, principalOf(request), orgName, queryOf(q));
      const format = q.format ?? 'csv';
      const day = new Date(deps.clock.now()).toISOString().slice(0, 10);
      // Organization names are letters, digits, '.', '-' and '_', so the name needs no quoting.
      reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${org.name}-audit-${day}.${format}"`);
      // Streamed: the body is written page by page as the database yields rows, so memory stays
      // flat however long the history is. A database error midway is logged and cuts the
      // connection before the chunked body's end, so the client sees a failed download, never a
      // file that looks complete but is not. A client that hangs up stops the reads.
      return reply.send(Readable.from(format === 'csv' ? csvChunks(events) : jsonChunks(events), { objectMode: false }));
    },
  );
}
