import { Option, type Command } from 'commander';
import type { ApiAuthPolicy, ApiAuthPolicyReplaced, ApiPolicyTest, ApiPolicyWarning } from './api-types.js';
import { CliError, oneLine } from './cli-error.js';
import { printJson } from './format.js';
import { segment, type TesseraClient } from './http-client.js';
import { connect, issuerPath, orgOption, orgPath, resolveIssuer } from './oidc-client.js';
import { readJsonArgument, readSubjectToken } from './oidc-input.js';

const issuerArgument = (cmd: Command): Command => cmd.argument('<issuer>', 'the issuer\'s id or name, as shown by tessera oidc issuers list');

const POLICY_FILE_HELP = `A policies file holds a JSON array of AuthPolicyDefinition, or {"policies": [...]}, for example:
  [{"decision": "allow", "tokenType": "organization", "authorizedPermissions": [],
    "rules": {"sub": "repo:acme/app:ref:refs/heads/main", "repository_id": "123456"}}]`;

/** Reads a policy list from a file: an array, or an object with a `policies` array. */
async function readPolicies(file: string): Promise<unknown[]> {
  const doc = await readJsonArgument(`@${file}`, '--file');
  const list = Array.isArray(doc) ? doc : (doc as { policies?: unknown } | null)?.policies;
  if (!Array.isArray(list)) throw new CliError(`${file} must hold a JSON array of policies or {"policies": [...]}`);
  return list;
}

async function policyOf(client: TesseraClient, org: string, issuerId: string): Promise<ApiAuthPolicy> {
  return client.get<ApiAuthPolicy>(`${orgPath(org)}/auth/policies/oidcissuers/${segment(issuerId, 'issuer id')}`);
}

/** Advisory warnings go to stderr, one line each, so stdout stays the result. */
function printWarnings(warnings: readonly ApiPolicyWarning[]): void {
  for (const w of warnings) process.stderr.write(`tessera: warning: policy ${w.policyIndex}: ${oneLine(w.message)} (${oneLine(w.code)})\n`);
}

function registerGet(policies: Command): void {
  issuerArgument(policies.command('get').description('print the auth policy of an OIDC issuer as JSON'))
    .addOption(orgOption())
    .addHelpText('after', '\nPrints the AuthPolicy: {id, version, policies, created, modified}.\n\nExample:\n  tessera oidc policies get github --org acme > policies.json')
    .action(async (ref: string, opts: { org: string }) => {
      const client = await connect();
      const issuer = await resolveIssuer(client, opts.org, ref);
      printJson(await policyOf(client, opts.org, issuer.id));
    });
}

function registerSet(policies: Command): void {
  issuerArgument(policies.command('set').description('replace the whole policy list of an OIDC issuer'))
    .addOption(orgOption())
    .requiredOption('--file <policies.json>', 'the new policy list')
    .option('--json', 'print the saved policy and its warnings as JSON')
    .addHelpText(
      'after',
      `
The list is validated as a whole (every problem is reported at once) and replaces the old one;
the policy's version goes up by one. Warnings about allow policies that admit more than was
probably meant are printed to stderr; they do not stop the save.

${POLICY_FILE_HELP}

Example:
  tessera oidc policies set github --org acme --file policies.json`,
    )
    .action(async (ref: string, opts: { org: string; file: string; json?: boolean }) => {
      const list = await readPolicies(opts.file);
      const client = await connect();
      const issuer = await resolveIssuer(client, opts.org, ref);
      const current = await policyOf(client, opts.org, issuer.id);
      const saved = await client.patch<ApiAuthPolicyReplaced>(`${orgPath(opts.org)}/auth/policies/${segment(current.id, 'policy id')}`, { policies: list });
      printWarnings(saved.warnings);
      if (opts.json) return printJson(saved);
      process.stdout.write(`saved ${saved.policies.length} ${saved.policies.length === 1 ? 'policy' : 'policies'} for issuer ${oneLine(issuer.name)}: version ${saved.version}\n`);
    });
}

interface TestOptions {
  org: string;
  file?: string;
  token?: string;
  claims?: string;
  type: 'organization' | 'team' | 'personal';
  scope?: string;
  json?: boolean;
}

/** The dry run's answer, as lines for a terminal. */
function describeTest(result: ApiPolicyTest): string {
  const lines = [`decision:    ${result.decision}${result.reason ? ` (${oneLine(result.reason)})` : ''}`, `description: ${oneLine(result.description)}`];
  if (result.check) lines.push(`check:       ${oneLine(result.check)}`);
  lines.push(`policies:    ${result.policyVersion === null ? 'the draft from --file' : `saved, version ${result.policyVersion}`}`);
  lines.push('trace:');
  if (result.trace.length === 0) lines.push('  (no policy applies to this token type and scope)');
  for (const t of result.trace) {
    const outcome = t.matched ? 'matched' : t.failedRule ? `not matched, rule ${oneLine(t.failedRule.claimPath)}: ${t.failedRule.failure}` : 'not matched';
    lines.push(`  policy ${t.policyIndex}  ${t.decision.padEnd(5)}  ${outcome}`);
  }
  if (result.notes.length > 0) lines.push('notes:', ...result.notes.map((n) => `  - ${oneLine(n)}`));
  return `${lines.join('\n')}\n`;
}

function registerTest(policies: Command): void {
  const cmd = issuerArgument(policies.command('test').description('dry-run the policies of an OIDC issuer against a token or a set of claims'))
    .addOption(orgOption())
    .option('--file <policies.json>', 'test this draft policy list instead of the saved one')
    .addOption(new Option('--token <jwt|@file|->', 'an ID token of this issuer: the JWT itself, @<file>, or - for stdin').conflicts('claims'))
    .option('--claims <json|@file>', 'the claims to test, as a JSON object, taken as already verified')
    .addOption(new Option('--type <type>', 'the token type requested').choices(['organization', 'team', 'personal']).makeOptionMandatory())
    .option('--scope <scope>', 'the scope requested: admin (organization), team:<name> (team) or user:<login> (personal)')
    .option('--json', 'print the server\'s whole answer as JSON')
    .addHelpText(
      'after',
      `
Nothing is written: no token is minted, the token's jti is not used up, no audit event is
recorded. A token is checked as an exchange would check it (issuer, signature, audience), except
that its expiry and jti are only reported in the notes. Prints the decision, its description, one
trace line per policy that applies to the requested type and scope (matched, or the first rule
that failed: its claim path and why), and notes; warnings about a draft go to stderr.

Exit status: 0 when the exchange would be allowed, 1 when it would be denied (or on an error),
2 on bad usage.

${POLICY_FILE_HELP}

Examples:
  tessera oidc policies test github --org acme --token @id-token.jwt --type organization
  tessera oidc policies test github --org acme --file draft.json --type team --scope team:platform \\
      --claims '{"sub": "repo:acme/app:ref:refs/heads/main", "repository": "acme/app"}'`,
    );
  cmd.action(async (ref: string, opts: TestOptions) => {
    if ((opts.token === undefined) === (opts.claims === undefined)) cmd.error('error: give exactly one of --token and --claims', { exitCode: 2, code: 'tessera.usage' });
    const draft = opts.file === undefined ? undefined : await readPolicies(opts.file);
    const subjectToken = opts.token === undefined ? undefined : await readSubjectToken(opts.token, 'the ID token given with --token');
    const claims = opts.claims === undefined ? undefined : await readJsonArgument(opts.claims, '--claims');
    if (claims !== undefined && (typeof claims !== 'object' || claims === null || Array.isArray(claims))) throw new CliError('--claims must be a JSON object');
    const client = await connect();
    const issuer = await resolveIssuer(client, opts.org, ref);
    const body = {
      ...(draft === undefined ? {} : { policies: draft }),
      ...(subjectToken === undefined ? {} : { subjectToken }),
      ...(claims === undefined ? {} : { claims }),
      requestedTokenType: opts.type,
      ...(opts.scope === undefined ? {} : { scope: opts.scope }),
    };
    const result = await client.post<ApiPolicyTest>(`${issuerPath(opts.org, issuer)}/policies/test`, body);
    if (draft !== undefined) printWarnings(result.warnings);
    if (opts.json) printJson(result);
    else process.stdout.write(describeTest(result));
    if (result.decision !== 'allow') process.exitCode = 1;
  });
}

export function registerPolicies(oidc: Command): void {
  const policies = oidc.command('policies').description('read, replace and dry-run the auth policies of an OIDC issuer (organization admins)');
  registerGet(policies);
  registerSet(policies);
  registerTest(policies);
}
