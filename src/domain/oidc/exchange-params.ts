/**
 * The parameters of a token-exchange request (API.md section 7) as a multi-map, built from either
 * body the endpoint takes. Every occurrence of a parameter is kept, in order, so that the
 * validation in exchange-request.ts can refuse repeated parameters (RFC 6749 §3.2, catalog T08)
 * instead of silently picking one of them.
 *
 * Nothing here echoes a value: failures carry fixed descriptions only (RFC 6749 §5.2, catalog T13).
 */

/** Parameter name → every value it was given, in request order. */
export type ExchangeParams = ReadonlyMap<string, readonly string[]>;

/** What both body readers and the validator answer on failure: an RFC 6749 §5.2 error. */
export interface ExchangeFailure {
  ok: false;
  error: 'invalid_request' | 'unsupported_grant_type' | 'invalid_target' | 'invalid_scope';
  /** A stable snake_case code for audit events and tests. */
  reason: string;
  /** Fixed text saying which check failed; printable ASCII without `"` or `\`, never an input value. */
  description: string;
}

export type ParamsResult = { ok: true; params: ExchangeParams } | ExchangeFailure;

/**
 * Most parameter occurrences in one request, unknown ones included. Pulumi clients send seven;
 * the cap bounds the work done on a hostile body before any check runs.
 */
export const MAX_PARAMETERS = 100;

/** The parameters Tessera reads. Others are ignored (RFC 6749 §3.2, catalog T09). */
export const KNOWN_PARAMETERS: readonly string[] = [
  'grant_type',
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
  'expiration',
];

const BODY_FAILURES = {
  too_many_parameters: `the request has more than ${MAX_PARAMETERS} parameters`,
  body_not_object: 'the request body must be a JSON object',
  value_not_string: 'a token exchange parameter must be a string or a number, or an array of them',
  form_not_utf8: 'the form body is not valid UTF-8',
  form_bad_percent_encoding: 'the form body has a malformed percent-encoding',
} as const;

export type BodyFailureReason = keyof typeof BODY_FAILURES;

/** Every description the body readers can answer, for tests that check nothing is echoed. */
export const BODY_FAILURE_DESCRIPTIONS: Readonly<Record<BodyFailureReason, string>> = BODY_FAILURES;

function bodyFailure(reason: BodyFailureReason): ExchangeFailure {
  return { ok: false, error: 'invalid_request', reason, description: BODY_FAILURES[reason] };
}

/**
 * Reads a parsed JSON body. A string or finite number is one occurrence; an array is one occurrence
 * per element (a repeated parameter); `null` counts as omitted. Numbers are kept in their shortest
 * decimal form (`7200` → `"7200"`), so a numeric `expiration` and a numeric string are the same.
 * Known parameters with any other value (boolean, object, nested array) are refused; unknown ones
 * are dropped whatever their value.
 *
 * JSON.parse keeps the last of duplicate keys, so a key repeated in the JSON text cannot be seen
 * here; the HTTP layer must detect that if it wants T08 for JSON bodies too.
 */
export function paramsFromJson(body: unknown): ParamsResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return bodyFailure('body_not_object');
  const params = new Map<string, string[]>();
  let count = 0;
  for (const key of Object.keys(body)) {
    const raw: unknown = (body as Record<string, unknown>)[key];
    const values = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    count += values.length;
    if (count > MAX_PARAMETERS) return bodyFailure('too_many_parameters');
    if (!KNOWN_PARAMETERS.includes(key)) continue;
    const strings: string[] = [];
    for (const value of values) {
      if (value === null) continue;
      if (typeof value === 'string') strings.push(value);
      else if (typeof value === 'number') strings.push(Number.isFinite(value) ? String(value) : 'NaN');
      else return bodyFailure('value_not_string');
    }
    if (strings.length > 0) params.set(key, strings);
  }
  return { ok: true, params };
}

// A UTF-16 surrogate without its partner: text that cannot have come from valid UTF-8.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BAD_PERCENT_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads an `application/x-www-form-urlencoded` body with the WHATWG URLSearchParams rules (split on
 * `&`, empty pairs skipped, split at the first `=`, `+` is a space, percent-escapes are UTF-8
 * bytes), except that every occurrence of a name is kept and that what URLSearchParams would
 * silently repair is refused: a `%` not followed by two hex digits, escapes that do not decode as
 * UTF-8 (overlong forms, surrogates, stray bytes), and, for a string, lone surrogates. Raw bytes
 * are decoded as UTF-8 strictly first.
 */
export function paramsFromForm(body: string | Uint8Array): ParamsResult {
  let text: string;
  if (typeof body === 'string') {
    if (LONE_SURROGATE.test(body)) return bodyFailure('form_not_utf8');
    text = body;
  } else {
    try {
      text = utf8.decode(body);
    } catch {
      return bodyFailure('form_not_utf8');
    }
  }
  const pairs = text.split('&').filter((pair) => pair.length > 0);
  if (pairs.length > MAX_PARAMETERS) return bodyFailure('too_many_parameters');
  const params = new Map<string, string[]>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq === -1 ? '' : pair.slice(eq + 1));
    if (!name.ok) return bodyFailure(name.reason);
    if (!value.ok) return bodyFailure(value.reason);
    const list = params.get(name.text);
    if (list) list.push(value.text);
    else params.set(name.text, [value.text]);
  }
  return { ok: true, params };
}

type Decoded = { ok: true; text: string } | { ok: false; reason: BodyFailureReason };

function decodeComponent(raw: string): Decoded {
  const spaced = raw.replace(/\+/g, ' ');
  if (!spaced.includes('%')) return { ok: true, text: spaced };
  if (BAD_PERCENT_ESCAPE.test(spaced)) return { ok: false, reason: 'form_bad_percent_encoding' };
  try {
    // decodeURIComponent throws on escapes that are not a valid UTF-8 encoding (ECMA-262 Decode).
    return { ok: true, text: decodeURIComponent(spaced) };
  } catch {
    return { ok: false, reason: 'form_not_utf8' };
  }
}
