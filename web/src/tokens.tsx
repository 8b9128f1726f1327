import {
  Alert,
  Badge,
  Button,
  Center,
  Checkbox,
  CopyButton,
  Group,
  Loader,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import dayjs from 'dayjs';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, withQuery, type AccessToken, type AccessTokenList, type CreatedToken } from './api';
import { describeError, notifyError, notifyOk } from './errors';
import { ConfirmModal } from './components/ConfirmModal';
import { DataTable } from './components/DataTable';
import { TokenUsageCells } from './components/TokenUsageCells';
import { When } from './time';

type Filter = 'active' | 'expired' | 'all';
const PAGE = 50;

export function StatusBadge({ token }: { token: AccessToken }) {
  if (token.status === 'revoked') return <Badge color="red" variant="light">revoked</Badge>;
  if (token.status === 'expired') return <Badge color="gray" variant="light">expired</Badge>;
  if (token.expires && token.expires - Date.now() / 1000 < 7 * 86400) return <Badge color="orange" variant="light">expiring</Badge>;
  return <Badge color="green" variant="light">active</Badge>;
}

export function OidcBadge({ token }: { token: AccessToken }) {
  if (!token.oidc) return null;
  const label = `OIDC: ${token.oidc.issuerName} · ${token.oidc.subject}`;
  return (
    <Tooltip label={label} withArrow>
      <Badge color="violet" variant="light" title={label} aria-label={label} tabIndex={0}>
        OIDC
      </Badge>
    </Tooltip>
  );
}

export interface TokensPanelProps {
  kind: 'personal' | 'team' | 'organization';
  /** The collection: list with GET, create with POST, delete with DELETE {base}/{id}. */
  base: string;
  title?: string;
  /** Organization tokens may be admin tokens. */
  canManage: boolean;
}

/** A token list with its filter, paging, creation and deletion. */
export function TokensPanel({ kind, base, title, canManage }: TokensPanelProps) {
  const [filter, setFilter] = useState<Filter>('active');
  const [tokens, setTokens] = useState<AccessToken[]>([]);
  const [next, setNext] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<AccessToken>();

  const load = useCallback(async () => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await api<AccessTokenList>('GET', withQuery(base, { filter, maxResults: PAGE }));
      setTokens(page.tokens);
      setNext(page.continuationToken);
    } catch (err) {
      setError(describeError(err));
      setTokens([]);
      setNext(undefined);
    } finally {
      setLoading(false);
    }
  }, [base, filter]);

  useEffect(() => {
    void load();
  }, [load]);

  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await api<AccessTokenList>('GET', withQuery(base, { filter, maxResults: PAGE, continuationToken: next }));
      setTokens((t) => [...t, ...page.tokens]);
      setNext(page.continuationToken);
    } catch (err) {
      notifyError(err, 'Could not load more tokens');
    } finally {
      setLoadingMore(false);
    }
  };

  const confirmDelete = async () => {
    if (!deleting) return;
    try {
      await api<void>('DELETE', `${base}/${encodeURIComponent(deleting.id)}`);
      notifyOk('Token deleted. It no longer works.');
      setDeleting(undefined);
      await load();
    } catch (err) {
      notifyError(err, 'Could not delete the token');
    }
  };

  const showName = kind !== 'personal';
  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>{title ?? 'Tokens'}</Title>
        {canManage && <Button onClick={() => setCreating(true)}>Create token</Button>}
      </Group>
      <SegmentedControl
        aria-label="Show tokens"
        value={filter}
        onChange={(v) => setFilter(v as Filter)}
        data={[
          { value: 'active', label: 'Active' },
          { value: 'expired', label: 'Expired' },
          { value: 'all', label: 'All' },
        ]}
        w="fit-content"
      />
      {loading ? (
        <Center py="xl">
          <Loader aria-label="Loading tokens" />
        </Center>
      ) : error ? (
        <Alert color="red" title="Could not load the tokens">
          {error}
        </Alert>
      ) : tokens.length === 0 ? (
        <Text c="dimmed" py="lg">
          {filter === 'active' ? 'No active tokens.' : filter === 'expired' ? 'No expired tokens.' : 'No tokens yet.'}
          {canManage && filter !== 'expired' ? ' Use "Create token" to make one.' : ''}
        </Text>
      ) : (
        <DataTable
          label={title ?? 'Tokens'}
          minWidth={800}
          highlightOnHover
          columns={[showName && 'Name', 'Description', 'Value', 'Created', 'Last used', 'Expires', 'Status']}
          actions={canManage}
        >
          {tokens.map((t) => (
            <Table.Tr key={t.id} data-token-id={t.id}>
              {showName && (
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {t.name}
                  </Text>
                  {t.admin && <Badge size="xs" variant="outline">admin</Badge>}
                </Table.Td>
              )}
              <Table.Td>
                <Text size="sm">{t.description || <Text span c="dimmed" size="sm">—</Text>}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {t.displayValue}
                </Text>
              </Table.Td>
              <Table.Td>
                <When at={t.created} />
                <Text size="xs" c="dimmed">
                  by {t.createdBy}
                </Text>
              </Table.Td>
              <TokenUsageCells token={t} />
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  <StatusBadge token={t} />
                  <OidcBadge token={t} />
                </Group>
              </Table.Td>
              {canManage && (
                <Table.Td>
                  {t.status !== 'revoked' && (
                    <Button size="xs" color="red" variant="light" aria-label="Delete token" onClick={() => setDeleting(t)}>
                      Delete
                    </Button>
                  )}
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </DataTable>
      )}
      {next && !loading && (
        <Button variant="default" onClick={loadMore} loading={loadingMore} w="fit-content">
          Load more
        </Button>
      )}
      {creating && (
        <CreateTokenModal
          kind={kind}
          base={base}
          onClose={() => setCreating(false)}
          onCreated={() => {
            void load();
          }}
        />
      )}
      <ConfirmModal opened={!!deleting} title="Delete this token?" confirmLabel="Delete" onCancel={() => setDeleting(undefined)} onConfirm={() => void confirmDelete()}>
        {deleting?.name ? <b>{deleting.name}</b> : null} {deleting?.description} ({deleting?.displayValue}) stops working at once, on every node. This
        cannot be undone.
      </ConfirmModal>
    </Stack>
  );
}

const PRESETS = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '60', label: '60 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'custom', label: 'Custom date' },
  { value: 'never', label: 'No expiration' },
];

function CreateTokenModal({ kind, base, onClose, onCreated }: { kind: TokensPanelProps['kind']; base: string; onClose(): void; onCreated(): void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [admin, setAdmin] = useState(false);
  const [expiration, setExpiration] = useState<string>('30');
  const [date, setDate] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<{ name?: string; expires?: string; description?: string }>({});
  const [formError, setFormError] = useState<string>();
  // The one and only copy of the new value: component state, gone when the dialog closes.
  const [value, setValue] = useState<string>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFieldErrors({});
    setFormError(undefined);
    let expires: number | string = 0;
    if (expiration === 'custom') {
      if (!date) return setFieldErrors({ expires: 'Pick a date' });
      expires = dayjs(date).endOf('day').unix();
    } else if (expiration !== 'never') {
      expires = dayjs().add(Number(expiration), 'day').unix();
    }
    const body: Record<string, unknown> = { description, expires };
    if (kind !== 'personal') body.name = name;
    if (kind === 'organization') body.admin = admin;
    setBusy(true);
    try {
      const created = await api<CreatedToken>('POST', base, body);
      setValue(created.tokenValue);
      onCreated();
    } catch (err) {
      const msg = describeError(err);
      if (err instanceof ApiError && err.reason === 'expires_invalid') setFieldErrors({ expires: msg });
      else if (err instanceof ApiError && (err.reason === 'token_name_taken' || err.reason === 'name_invalid')) setFieldErrors({ name: msg });
      else setFormError(msg);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={value ? 'Token created' : 'Create token'} centered size="lg" closeOnClickOutside={!value}>
      {value ? (
        <Stack>
          <Alert color="yellow" title="Copy this value now">
            This is the only time the token value is shown. It is not stored in the console and cannot be retrieved later.
          </Alert>
          <Group align="flex-end" wrap="nowrap">
            <TextInput label="Token value" value={value} readOnly style={{ flex: 1 }} styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton value={value}>
              {({ copied, copy }) => (
                <Button color={copied ? 'teal' : undefined} onClick={copy} variant="light">
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
          </Group>
          <Group justify="flex-end">
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            {kind !== 'personal' && (
              <TextInput
                label="Name"
                description="Letters, digits, - and _; unique in the organization"
                required
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                error={fieldErrors.name}
                maxLength={40}
                data-autofocus
              />
            )}
            <Textarea
              label="Description"
              description="What the token is for, so that others know whether it can be deleted"
              value={description}
              onChange={(e) => setDescription(e.currentTarget.value)}
              maxLength={1024}
              autosize
              minRows={2}
              data-autofocus={kind === 'personal' ? true : undefined}
            />
            {kind === 'organization' && (
              <Checkbox label="Admin token (acts with organization admin rights)" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
            )}
            <Select
              label="Expiration"
              data={PRESETS}
              value={expiration}
              onChange={(v) => setExpiration(v ?? '30')}
              allowDeselect={false}
              error={expiration !== 'custom' ? fieldErrors.expires : undefined}
              description={
                expiration !== 'custom' && expiration !== 'never'
                  ? `Expires on ${dayjs().add(Number(expiration), 'day').format('D MMMM YYYY')}`
                  : undefined
              }
            />
            {expiration === 'custom' && (
              <DatePickerInput
                label="Expiration date"
                description="The token stops working at the end of this day"
                placeholder="Pick a date"
                value={date}
                onChange={setDate}
                minDate={dayjs().add(1, 'day').format('YYYY-MM-DD')}
                maxDate={dayjs().add(2, 'year').format('YYYY-MM-DD')}
                error={fieldErrors.expires}
                ariaLabels={{ nextMonth: 'Next month', previousMonth: 'Previous month', nextYear: 'Next year', previousYear: 'Previous year' }}
                popoverProps={{ withinPortal: true }}
              />
            )}
            {expiration === 'never' && (
              <Alert color="orange" title="This token never expires">
                A token without an expiry date keeps working until someone deletes it. Prefer a date: a leaked token then stops working on its own.
              </Alert>
            )}
            {formError && (
              <Alert color="red" title="The token was not created">
                {formError}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={busy}>
                Create
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
