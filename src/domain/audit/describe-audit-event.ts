import type { AuditEntry } from '../records.js';

/** An audit event as people read it: who, what, in a sentence. */
export interface AuditEventView {
  id: string;
  /** Milliseconds since the epoch. */
  occurredAt: number;
  event: string;
  description: string;
  /**
   * Who acted. A person: their display name and login. A token (an organization or team token
   * acting for its organization or team, or a dead token someone tried to use): `token <name>`
   * and an empty login, so an empty login always means "not a person". The operator at the
   * command line: `system`; an anonymous caller: `anonymous`; both with an empty login.
   */
  actor: { name: string; login: string };
  /** The token the actor authenticated with (for `*_used` events: the token that was tried). */
  tokenId: string | null;
  /** Its name; null for personal tokens, which have none. */
  tokenName: string | null;
  /** `<target type> <name>`, e.g. `organization_token deploy` or `user bob`. */
  target: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** Events recording a refused credential: the token is both what was acted on and who acted. */
const USED_EVENTS = new Set(['access_token_expired_used', 'access_token_revoked_used']);

/**
 * Builds the readable form of an audit event. The sentence is made only from the event's own
 * columns and details, which never hold secrets (token values, hashes and passwords are not
 * written to the audit table), so it is safe to show and to export.
 */
export function describeAuditEvent(entry: AuditEntry): AuditEventView {
  const e = entry.event;
  const d = e.details ?? {};
  const targetName = e.targetName || e.targetId || '';
  const used = USED_EVENTS.has(e.action);

  let actor: AuditEventView['actor'];
  let tokenId = e.tokenId;
  let tokenName = e.tokenName || null;
  if (used && e.actorUserId === null) {
    // The token's owner may be gone (a deleted team), in which case the event was recorded by the
    // system; either way the one who acted is whoever still holds the token.
    actor = { name: `token ${targetName}`, login: '' };
    tokenId = e.targetId;
    tokenName = e.targetName || null;
  } else if (e.actorUserId !== null && e.actorLogin !== null) {
    actor = { name: entry.actorName || e.actorLogin, login: e.actorLogin };
  } else if (e.tokenId !== null) {
    actor = { name: `token ${e.tokenName || e.tokenId}`, login: '' };
  } else {
    // `system` is the operator; no actor at all is an anonymous caller (a failed sign-in).
    actor = { name: e.actorLogin ?? 'anonymous', login: '' };
  }
  const who = actor.login || actor.name;

  return {
    id: e.id,
    occurredAt: e.occurredAt,
    event: e.action,
    description: sentence(e.action, who, e.targetType, targetName, d),
    actor,
    tokenId,
    tokenName,
    target: e.targetType === null ? null : `${e.targetType} ${targetName}`.trim(),
    sourceIp: e.sourceIp,
    userAgent: e.userAgent,
    requestId: e.requestId,
  };
}

function sentence(action: string, who: string, targetType: string | null, name: string, d: Record<string, unknown>): string {
  const team = str(d.team);
  const role = str(d.role);
  const previousRole = str(d.previousRole);
  switch (action) {
    case 'user_created':
      return `${who} created user ${name}${d.siteAdmin === true ? ' as a site administrator' : ''}`;
    case 'organization_created':
      return `${who} created organization ${name}`;
    case 'member_added':
      return `${who} added ${name} to the organization${role ? ` as ${role}` : ''}`;
    case 'member_role_changed':
      return `${who} changed the role of ${name}${previousRole ? ` from ${previousRole}` : ''}${role ? ` to ${role}` : ''}`;
    case 'member_removed':
      return `${who} removed ${name} from the organization`;
    case 'member_invited':
      return `${who} invited ${name} to the organization${role ? ` as ${role}` : ''}`;
    case 'invitation_accepted':
      return `${who} accepted the invitation to the organization${role ? ` as ${role}` : ''}`;
    case 'invitation_declined':
      return `${who} declined the invitation to the organization`;
    case 'invitation_canceled':
      return `${who} canceled the invitation of ${name}`;
    case 'team_created':
      return `${who} created team ${name}`;
    case 'team_deleted': {
      const n = typeof d.revokedTokens === 'number' ? d.revokedTokens : 0;
      return `${who} deleted team ${name}${n > 0 ? `, revoking its ${n === 1 ? 'token' : `${n} tokens`}` : ''}`;
    }
    case 'team_member_added':
      return `${who} added ${name} to team ${team ?? '?'}${role ? ` as ${role}` : ''}`;
    case 'team_member_role_changed':
      return `${who} changed the role of ${name} in team ${team ?? '?'}${previousRole ? ` from ${previousRole}` : ''}${role ? ` to ${role}` : ''}`;
    case 'team_member_removed':
      return `${who} removed ${name} from team ${team ?? '?'}`;
    case 'access_token_created':
      return `${who} created ${tokenPhrase(targetType, name, team, d.admin === true)}${expiryPhrase(d.expires)}`;
    case 'access_token_deleted':
      return `${who} deleted ${tokenPhrase(targetType, name, team, false)}`;
    case 'access_token_expired_used': {
      const expires = typeof d.expires === 'number' && d.expires > 0 ? ` at ${isoSeconds(d.expires)}` : '';
      return `${tokenPhrase(targetType, name, team, false)} was used after it expired${expires}${usesPhrase(d.uses)}`;
    }
    case 'access_token_revoked_used':
      return `${tokenPhrase(targetType, name, team, false)} was used after it was revoked${usesPhrase(d.uses)}`;
    case 'oidc_issuer_created':
      return `${who} registered OIDC issuer ${name}${str(d.url) ? ` (${str(d.url)})` : ''}`;
    case 'oidc_issuer_updated':
      return `${who} updated OIDC issuer ${name}`;
    case 'oidc_issuer_deleted':
      return `${who} deleted OIDC issuer ${name}`;
    case 'oidc_issuer_thumbprints_regenerated':
      return `${who} regenerated the certificate thumbprints of OIDC issuer ${name}`;
    case 'auth_policy_updated':
      return `${who} replaced the auth policies of an OIDC issuer${typeof d.version === 'number' ? ` (version ${d.version})` : ''}`;
    case 'oidc_token_exchanged': {
      const subject = str(d.subject);
      const issuer = str(d.issuerName);
      const scope = str(d.scope);
      return `${subject ?? 'a workload'} exchanged an ID token of OIDC issuer ${issuer ?? '?'} for ${tokenPhrase(targetType, name, scope?.startsWith('team:') ? scope.slice(5) : undefined, d.admin === true)}${expiryPhrase(d.expires)}`;
    }
    case 'oidc_token_exchange_denied': {
      const subject = str(d.subject);
      const issuer = str(d.issuerName);
      const description = str(d.description);
      const requested = str(d.requestedTokenType);
      return `a token exchange${subject ? ` by ${subject}` : ''}${issuer ? ` with an ID token of OIDC issuer ${issuer}` : ''}${requested ? ` for ${/^[aeiou]/.test(requested) ? 'an' : 'a'} ${requested} token` : ''} was denied${description ? `: ${description}` : ''}`;
    }
    default:
      // An action this describer does not know yet still reads as a sentence.
      return `${who} performed ${action}${targetType ? ` on ${targetType.replace(/_/g, ' ')} ${name}` : ''}`;
  }
}

/** "team token ci of team platform", "admin organization token deploy", "personal token tsrp_…q8Zk". */
function tokenPhrase(targetType: string | null, name: string, team: string | undefined, admin: boolean): string {
  // Events written before token kinds were recorded on refused uses say just `token`.
  const kind = targetType && targetType.endsWith('_token') ? targetType.slice(0, -'_token'.length) : '';
  const kindWords = kind ? `${kind} token` : 'token';
  return `${admin ? 'admin ' : ''}${kindWords} ${name}${team ? ` of team ${team}` : ''}`;
}

function expiryPhrase(expires: unknown): string {
  if (expires === 0) return ', with no expiry';
  return typeof expires === 'number' && expires > 0 ? `, expiring ${isoSeconds(expires)}` : '';
}

/** ISO 8601 UTC to the second: `2027-01-01T00:00:00Z`. */
function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Repeated uses of a dead token share one event a minute (X05): say how many it stands for. */
function usesPhrase(uses: unknown): string {
  return typeof uses === 'number' && uses > 1 ? ` (${uses} uses)` : '';
}
