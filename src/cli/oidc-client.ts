import { Option } from 'commander';
import type { ApiOidcIssuer, ApiOidcIssuerList } from './api-types.js';
import { CliError, oneLine } from './cli-error.js';
import { resolveCredentials } from './credentials.js';
import { segment, TesseraClient } from './http-client.js';

/** The client for the issuer and policy commands: stored credentials, or TESSERA_URL / TESSERA_TOKEN. */
export async function connect(): Promise<TesseraClient> {
  const { url, token } = await resolveCredentials(process.env);
  return new TesseraClient(url, token);
}

/** `--org <org>`, required by every issuer and policy command. */
export const orgOption = (): Option => new Option('--org <org>', 'the organization (you must be one of its admins)').makeOptionMandatory();

/** `/api/orgs/{org}`, the organization checked as a path segment. */
export const orgPath = (org: string): string => `/api/orgs/${segment(org, 'organization')}`;

/** The issuers of `org`. */
export async function listIssuers(client: TesseraClient, org: string): Promise<ApiOidcIssuer[]> {
  return (await client.get<ApiOidcIssuerList>(`${orgPath(org)}/oidc/issuers`)).oidcIssuers;
}

/** Finds an issuer of `org` by its id or, failing that, its name. */
export async function resolveIssuer(client: TesseraClient, org: string, idOrName: string): Promise<ApiOidcIssuer> {
  const issuers = await listIssuers(client, org);
  const found = issuers.find((i) => i.id === idOrName) ?? issuers.find((i) => i.name === idOrName);
  if (!found) throw new CliError(`organization '${oneLine(org)}' has no OIDC issuer with id or name '${oneLine(idOrName)}'; see tessera oidc issuers list --org ${oneLine(org)}`);
  return found;
}

/** `/api/orgs/{org}/oidc/issuers/{id}`. */
export const issuerPath = (org: string, issuer: ApiOidcIssuer): string => `${orgPath(org)}/oidc/issuers/${segment(issuer.id, 'issuer id')}`;

/** Seconds as the largest whole unit: 90000 → 25h, 1800 → 30m, 86400 → 1d. */
export function formatSeconds(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
