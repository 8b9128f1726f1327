import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Shared wire shapes. They validate requests, shape responses and generate openapi.json. */
export const ErrorBody = Type.Object(
  {
    code: Type.Integer({ description: 'HTTP status' }),
    message: Type.String(),
    reason: Type.String({ description: 'stable machine-readable code' }),
    requestId: Type.String(),
  },
  { $id: 'Error', title: 'Error' },
);

export const errorResponses = (...statuses: number[]): Record<number, TSchema> =>
  Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')]));

export const OidcOrigin = Type.Object({ issuerId: Type.String(), issuerName: Type.String(), subject: Type.String() });

export const AccessToken = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    created: Type.String({ description: 'ISO 8601 UTC' }),
    lastUsed: Type.Integer({ description: 'unix seconds; 0 = never used' }),
    expires: Type.Integer({ description: 'unix seconds; 0 = never expires' }),
    admin: Type.Boolean(),
    createdBy: Type.String(),
    type: Type.Union([Type.Literal('personal'), Type.Literal('team'), Type.Literal('organization')]),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    displayValue: Type.String(),
    source: Type.String(),
    revokedAt: Type.Integer({ description: 'unix seconds; 0 = not revoked' }),
    oidc: Type.Optional(OidcOrigin),
  },
  { $id: 'AccessToken', title: 'AccessToken' },
);

export const TokenList = Type.Object(
  { tokens: Type.Array(Type.Ref('AccessToken')), continuationToken: Type.Optional(Type.String()) },
  { $id: 'AccessTokenList', title: 'AccessTokenList' },
);

export const CreatedToken = Type.Object(
  { id: Type.String(), tokenValue: Type.String({ description: 'the secret; shown once' }) },
  { $id: 'CreatedToken', title: 'CreatedToken' },
);

export const Expires = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 64 }), Type.Null()], {
  description: 'unix seconds or an ISO 8601 date-time; absent or 0 = never',
});
const Description = Type.String({ maxLength: 1024 });

export const CreatePersonalToken = Type.Object({ description: Type.Optional(Description), expires: Type.Optional(Expires) }, { additionalProperties: false });
export const CreateTeamToken = Type.Object(
  { name: Type.String({ maxLength: 40 }), description: Type.Optional(Description), expires: Type.Optional(Expires) },
  { additionalProperties: false },
);
export const CreateOrgToken = Type.Object(
  { name: Type.String({ maxLength: 40 }), description: Type.Optional(Description), expires: Type.Optional(Expires), admin: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type CreateTokenBody = Static<typeof CreateOrgToken>;

export const ListQuery = Type.Object({
  filter: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('all')], { default: 'active' })),
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  continuationToken: Type.Optional(Type.String({ maxLength: 512 })),
  show_expired: Type.Optional(Type.Boolean({ description: 'legacy: true means filter=all' })),
});

const Name = Type.String({ minLength: 1, maxLength: 100 });
export const OrgParams = Type.Object({ org: Name });
export const TeamParams = Type.Object({ org: Name, team: Name });
export const TokenIdParam = Type.Object({ tokenId: Type.String({ maxLength: 64 }) });

export const UserOrganization = Type.Object({ name: Type.String(), githubLogin: Type.String(), avatarUrl: Type.String(), role: Type.String() });

export const UserBody = Type.Object(
  {
    id: Type.String(),
    githubLogin: Type.String(),
    name: Type.String(),
    email: Type.String(),
    avatarUrl: Type.String(),
    organizations: Type.Array(UserOrganization),
    identities: Type.Array(Type.String()),
    hasMFA: Type.Boolean(),
    isOrgManaged: Type.Boolean(),
    isManagedByMultiOrg: Type.Boolean(),
    siteAdmin: Type.Boolean(),
    tokenInfo: Type.Optional(Type.Object({ name: Type.String(), organization: Type.String(), team: Type.String() })),
    token: Type.Optional(
      Type.Object({
        id: Type.String(),
        type: Type.String(),
        expires: Type.Integer(),
        organization: Type.Optional(Type.String({ description: 'the organization a personal token minted by token exchange is bound to; it reaches no other' })),
      }),
    ),
  },
  { $id: 'User', title: 'User' },
);

export const MemberUser = Type.Object({ name: Type.String(), githubLogin: Type.String(), avatarUrl: Type.String(), email: Type.String() });

export const OrgBody = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    githubLogin: Type.String(),
    avatarUrl: Type.String(),
    created: Type.String(),
    role: Type.String({ description: "the caller's rights: admin or member" }),
    memberCount: Type.Integer(),
    teamCount: Type.Integer(),
  },
  { $id: 'Organization', title: 'Organization' },
);

export const OrgMember = Type.Object({ role: Type.String(), user: MemberUser }, { $id: 'OrganizationMember', title: 'OrganizationMember' });

export const TeamSummary = Type.Object(
  { id: Type.String(), kind: Type.String(), name: Type.String(), displayName: Type.String(), description: Type.String(), created: Type.String() },
  { $id: 'Team', title: 'Team' },
);

export const TeamMemberBody = Type.Object({ name: Type.String(), githubLogin: Type.String(), avatarUrl: Type.String(), email: Type.String(), role: Type.String() });

export const TeamDetail = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    name: Type.String(),
    displayName: Type.String(),
    description: Type.String(),
    created: Type.String(),
    members: Type.Array(TeamMemberBody),
  },
  { $id: 'TeamDetail', title: 'TeamDetail' },
);

// sessions and accounts

export const SessionBody = Type.Object(
  {
    user: Type.Ref('User'),
    csrfToken: Type.String({ description: 'send it in the X-CSRF-Token header of every POST, PUT, PATCH and DELETE made with the session cookie' }),
    expiresAt: Type.Integer({ description: 'unix seconds: the absolute end of the session (it also ends after the idle timeout)' }),
  },
  { $id: 'Session', title: 'Session' },
);

export const AccountBody = Type.Object(
  {
    id: Type.String(),
    login: Type.String(),
    email: Type.String(),
    name: Type.String(),
    siteAdmin: Type.Boolean(),
    disabled: Type.Boolean(),
    created: Type.String({ description: 'ISO 8601 UTC' }),
  },
  { $id: 'Account', title: 'Account' },
);

/** A password on the wire: length only (ASVS 6.2.1, 6.2.9); 64+ characters are welcome. */
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
/** A password being set: 8 to 1024 characters, nothing else imposed. */
export const NewPassword = Type.String({ minLength: 8, maxLength: 1024 });

// oidc issuers and policies

export const JwkSet = Type.Object(
  { keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 100 }) },
  { $id: 'JwkSet', title: 'JwkSet', description: 'a JSON Web Key Set (RFC 7517)' },
);

export const Issuer = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    url: Type.String({ description: 'the issuer identifier; a JWT iss must equal it exactly' }),
    issuer: Type.String({ description: 'the issuer named by the discovery document' }),
    thumbprints: Type.Array(Type.String(), { description: 'lowercase hex SHA-256 fingerprints of accepted TLS certificates' }),
    maxExpiration: Type.Integer({ description: 'longest lifetime of an exchanged token, seconds' }),
    jwks: Type.Optional(Type.Ref('JwkSet')),
    created: Type.String({ description: 'ISO 8601 UTC' }),
    modified: Type.String({ description: 'ISO 8601 UTC' }),
    lastUsed: Type.Integer({ description: 'unix seconds; 0 = never used' }),
  },
  { $id: 'OidcIssuer', title: 'OidcIssuer' },
);

export const AuthPolicyDefinition = Type.Object(
  {
    decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    tokenType: Type.Union([Type.Literal('organization'), Type.Literal('team'), Type.Literal('personal')]),
    teamName: Type.Optional(Type.String()),
    userLogin: Type.Optional(Type.String()),
    authorizedPermissions: Type.Optional(Type.Array(Type.String())),
    rules: Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]), { description: 'claim path → pattern or any-of patterns' }),
  },
  { $id: 'AuthPolicyDefinition', title: 'AuthPolicyDefinition' },
);

export const AuthPolicyBody = Type.Object(
  {
    id: Type.String(),
    version: Type.Integer(),
    policies: Type.Array(Type.Ref('AuthPolicyDefinition')),
    created: Type.String({ description: 'ISO 8601 UTC' }),
    modified: Type.String({ description: 'ISO 8601 UTC' }),
  },
  { $id: 'AuthPolicy', title: 'AuthPolicy' },
);

const ExaminedClaim = Type.Object(
  { claimPath: Type.String(), present: Type.Boolean(), value: Type.Optional(Type.Unknown({ description: 'the value as the token carried it' })) },
  { $id: 'ExaminedClaim', title: 'ExaminedClaim', description: 'a claim the applicable policies read' },
);

const PolicyTraceEntry = Type.Object(
  {
    policyIndex: Type.Integer({ description: 'index in the policy list' }),
    decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    matched: Type.Boolean(),
    failedRule: Type.Optional(
      Type.Object({
        claimPath: Type.String(),
        failure: Type.Union([Type.Literal('absent'), Type.Literal('not_a_string'), Type.Literal('no_pattern_matched')]),
      }, { description: 'the first rule, in written order, that did not match' }),
    ),
  },
  { $id: 'PolicyTraceEntry', title: 'PolicyTraceEntry', description: 'one applicable policy and how it fared' },
);

export const PolicyWarning = Type.Object(
  { policyIndex: Type.Integer(), code: Type.String(), message: Type.String() },
  { $id: 'PolicyWarning', title: 'PolicyWarning' },
);

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const OidcExchange = Type.Object(
  {
    id: Type.String({ description: 'the audit event id' }),
    timestamp: Type.Integer({ description: 'unix seconds' }),
    requestId: Type.String({ description: 'the request_id the client was given' }),
    sourceIP: Type.String(),
    outcome: Type.Union([Type.Literal('allowed'), Type.Literal('denied')]),
    issuerId: Nullable(Type.String()),
    issuerName: Nullable(Type.String()),
    subject: Nullable(Type.String({ description: 'the verified sub; null when the token was not verified' })),
    requestedTokenType: Type.String(),
    scope: Type.String(),
    check: Type.Optional(Type.String({ description: 'denied: the check that failed (token, issuer, keys, signature, claims, time, audience, jti, policy, scope)' })),
    reason: Type.Optional(Type.String({ description: 'denied: a stable reason code' })),
    error: Type.Optional(Type.String({ description: 'denied: the OAuth error the client got' })),
    description: Type.String(),
    tokenId: Type.Optional(Type.String({ description: 'allowed: the id of the minted token' })),
    expiresIn: Type.Optional(Type.Integer({ description: 'allowed: the lifetime granted, in seconds' })),
    policyVersion: Nullable(Type.Integer()),
    claims: Type.Array(Type.Ref('ExaminedClaim')),
    trace: Type.Array(Type.Ref('PolicyTraceEntry')),
  },
  { $id: 'OidcExchange', title: 'OidcExchange' },
);

export const PolicyTestResult = Type.Object(
  {
    decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    check: Type.Optional(Type.String({ description: 'deny: the check that failed' })),
    reason: Type.Optional(Type.String({ description: 'deny: a stable reason code' })),
    description: Type.String(),
    trace: Type.Array(Type.Ref('PolicyTraceEntry')),
    claims: Type.Array(Type.Ref('ExaminedClaim')),
    warnings: Type.Array(Type.Ref('PolicyWarning')),
    notes: Type.Array(Type.String(), { description: 'what a real exchange would also refuse: an expired or already exchanged token' }),
    policyVersion: Nullable(Type.Integer({ description: 'the saved version tested; null for a draft' })),
  },
  { $id: 'PolicyTestResult', title: 'PolicyTestResult' },
);

// membership invitations

export const InvitationBody = Type.Object(
  {
    id: Type.String(),
    organization: Type.String({ description: 'the organization the invitee is invited to' }),
    login: Type.String({ description: 'the login invited, as the admin wrote it' }),
    role: Type.Union([Type.Literal('admin'), Type.Literal('member')], { description: 'the role the invitee gets on accepting' }),
    invitedBy: Type.String({ description: "the inviting admin's login" }),
    created: Type.String({ description: 'ISO 8601 UTC' }),
    expires: Type.Integer({ description: 'unix seconds' }),
  },
  { $id: 'Invitation', title: 'Invitation' },
);

export const InvitationList = Type.Object({ invitations: Type.Array(Type.Ref('Invitation')) }, { $id: 'InvitationList', title: 'InvitationList' });

export const sharedSchemas = [
  InvitationBody,
  InvitationList,
  ErrorBody,
  AccessToken,
  TokenList,
  CreatedToken,
  UserBody,
  OrgBody,
  OrgMember,
  TeamSummary,
  TeamDetail,
  SessionBody,
  AccountBody,
  JwkSet,
  Issuer,
  AuthPolicyDefinition,
  AuthPolicyBody,
  ExaminedClaim,
  PolicyTraceEntry,
  PolicyWarning,
  OidcExchange,
  PolicyTestResult,
];
