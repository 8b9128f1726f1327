import { Button, Group, JsonInput, NumberInput, Stack, Textarea, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ApiError, type OidcIssuer } from '../api';
import { FormError } from '../components/FormError';
import { useSubmit } from '../components/useSubmit';
import { describeError } from '../errors';
import { formatSeconds } from './format';

/** What the register and update requests carry. */
export interface IssuerBody {
  name: string;
  url?: string;
  thumbprints?: string[];
  maxExpiration: number;
  jwks?: { keys: Record<string, unknown>[] } | null;
}

export interface IssuerFormProps {
  /** The issuer being edited; none when registering one. */
  issuer?: OidcIssuer;
  submitLabel: string;
  onSubmit(body: IssuerBody): Promise<void>;
  onCancel(): void;
}

const DEFAULT_MAX_EXPIRATION = 90000;
const URL_REASONS = ['issuer_url_refused', 'issuer_mismatch', 'issuer_discovery_failed'];

/** Name, URL (fixed once registered), thumbprints, max expiration and an optional static key set. */
export function IssuerForm({ issuer, submitLabel, onSubmit, onCancel }: IssuerFormProps) {
  const [name, setName] = useState(issuer?.name ?? '');
  const [url, setUrl] = useState(issuer?.url ?? '');
  const [thumbprints, setThumbprints] = useState(issuer?.thumbprints.join('\n') ?? '');
  const [maxExpiration, setMaxExpiration] = useState<number | string>(issuer?.maxExpiration ?? DEFAULT_MAX_EXPIRATION);
  const [jwks, setJwks] = useState(issuer?.jwks ? JSON.stringify(issuer.jwks, null, 2) : '');
  const [jwksError, setJwksError] = useState<string>();
  const [urlError, setUrlError] = useState<string>();
  // A refused URL shows under the URL field, everything else above the buttons.
  const { busy, error, run } = useSubmit((err) => {
    if (err instanceof ApiError && URL_REASONS.includes(err.reason)) {
      setUrlError(describeError(err));
      return undefined;
    }
    return describeError(err);
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setJwksError(undefined);
    setUrlError(undefined);
    let keySet: IssuerBody['jwks'];
    if (jwks.trim()) {
      try {
        keySet = JSON.parse(jwks);
      } catch {
        setJwksError('Not valid JSON');
        return;
      }
    } else if (issuer?.jwks) {
      keySet = null; // back to fetching keys from the discovered jwks_uri
    }
    const prints = thumbprints.split(/[\s,]+/).filter(Boolean);
    const body: IssuerBody = {
      name: name.trim(),
      maxExpiration: Number(maxExpiration),
      ...(issuer ? {} : { url: url.trim() }),
      // Registering without thumbprints records the certificates that serve the issuer now.
      ...(issuer || prints.length > 0 ? { thumbprints: prints } : {}),
      ...(keySet !== undefined ? { jwks: keySet } : {}),
    };
    void run(() => onSubmit(body));
  };

  const seconds = Number(maxExpiration);
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput label="Name" description="Unique in the organization, e.g. github-actions" required maxLength={100} value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
        <TextInput
          label="Issuer URL"
          description={issuer ? 'The URL cannot change; register a new issuer instead' : 'Exactly the iss of its tokens, e.g. https://token.actions.githubusercontent.com'}
          required
          readOnly={!!issuer}
          value={url}
          onChange={(e) => setUrl(e.currentTarget.value)}
          error={urlError}
        />
        <Textarea
          label="Thumbprints"
          description={
            issuer
              ? 'SHA-256 fingerprints of the accepted TLS certificates, one per line; empty: no pinning'
              : 'Optional: SHA-256 fingerprints, one per line; left empty, Tessera records the certificates serving the issuer now'
          }
          autosize
          minRows={2}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          value={thumbprints}
          onChange={(e) => setThumbprints(e.currentTarget.value)}
        />
        <NumberInput
          label="Max expiration (seconds)"
          description={`Longest lifetime of an exchanged token${Number.isFinite(seconds) && seconds > 0 ? `: ${formatSeconds(seconds)}` : ''}; 60 s to 30 days`}
          min={60}
          max={2592000}
          allowDecimal={false}
          value={maxExpiration}
          onChange={setMaxExpiration}
        />
        <JsonInput
          label="Static key set (JWKS)"
          description={issuer?.jwks ? 'Empty: fetch keys from the issuer again' : 'Optional: a JSON Web Key Set; with it Tessera fetches nothing'}
          placeholder='{"keys": [...]}'
          autosize
          minRows={3}
          maxRows={12}
          validationError="Not valid JSON"
          value={jwks}
          onChange={setJwks}
          error={jwksError}
        />
        <FormError error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
