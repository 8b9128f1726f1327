/** A console route of the OIDC pages: oidcPath('acme') → /orgs/acme/oidc, oidcPath('acme', 'issuers', id). */
export function oidcPath(org: string, ...segments: string[]): string {
  return ['/orgs', org, 'oidc', ...segments].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
}
