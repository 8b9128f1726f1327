import { Anchor, Button, Code, Group, SegmentedControl, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { Fragment, useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, paths, withQuery, type OidcExchange, type OidcExchangeList } from '../api';
import { DataTable } from '../components/DataTable';
import { LoadedList } from '../components/LoadedList';
import { describeError, notifyError } from '../errors';
import { useOrg } from '../pages/Org';
import { When } from '../time';
import { DecisionBadge, DecisionDetails } from './Decision';
import { oidcPath } from './paths';

type Outcome = '' | 'allowed' | 'denied';
const COLUMNS = ['Time', 'Outcome', 'Issuer', 'Subject', 'Requested', 'Description'];

/** Recent token exchange attempts of the organization, newest first, each with its trace. */
export function ExchangesPage() {
  const { name: org } = useOrg();
  const [outcome, setOutcome] = useState<Outcome>('');
  const [requestId, setRequestId] = useState('');
  const [applied, setApplied] = useState({ outcome: '' as Outcome, requestId: '' });
  const [items, setItems] = useState<OidcExchange[]>();
  const [next, setNext] = useState<string>();
  const [error, setError] = useState<string>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [open, setOpen] = useState<Set<string>>(new Set());

  const fetchPage = useCallback(
    (continuationToken?: string) => api<OidcExchangeList>('GET', withQuery(paths.oidcExchanges(org), { outcome: applied.outcome, requestId: applied.requestId.trim(), maxResults: 50, continuationToken })),
    [org, applied],
  );

  useEffect(() => {
    setItems(undefined);
    setError(undefined);
    fetchPage().then(
      (r) => {
        setItems(r.exchanges);
        setNext(r.continuationToken);
      },
      (err) => setError(describeError(err)),
    );
  }, [fetchPage]);

  const more = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const r = await fetchPage(next);
      setItems((e) => [...(e ?? []), ...r.exchanges]);
      setNext(r.continuationToken);
    } catch (err) {
      notifyError(err, 'Could not load more attempts');
    } finally {
      setLoadingMore(false);
    }
  };

  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (!n.delete(id)) n.add(id);
      return n;
    });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied({ outcome, requestId });
  };

  return (
    <Stack>
      <div>
        <Anchor component={Link} to={oidcPath(org)} size="sm">
          ← OIDC issuers
        </Anchor>
        <Title order={2}>Exchange attempts · {org}</Title>
      </div>
      <form onSubmit={submit}>
        <Group align="flex-end" wrap="wrap">
          <SegmentedControl
            aria-label="Outcome"
            value={outcome}
            onChange={(v) => {
              setOutcome(v as Outcome);
              setApplied({ outcome: v as Outcome, requestId });
            }}
            data={[
              { value: '', label: 'All' },
              { value: 'allowed', label: 'Allowed' },
              { value: 'denied', label: 'Denied' },
            ]}
          />
          <TextInput label="Request id" description="As a refused client was told" value={requestId} onChange={(e) => setRequestId(e.currentTarget.value)} />
          <Button type="submit" variant="default">
            Apply
          </Button>
        </Group>
      </form>
      <LoadedList items={items} error={error} errorTitle="Could not load the exchange attempts" loadingLabel="Loading exchange attempts" empty={<Text c="dimmed">No exchange attempts match.</Text>}>
        {(rows) => (
          <DataTable label="Exchange attempts" minWidth={960} columns={COLUMNS} actions>
            {rows.map((x) => (
              <Fragment key={x.id}>
                <Table.Tr>
                  <Table.Td>
                    <When at={x.timestamp} />
                  </Table.Td>
                  <Table.Td>
                    <DecisionBadge decision={x.outcome} />
                  </Table.Td>
                  <Table.Td>{x.issuerName ?? <Text span size="sm" c="dimmed">unknown</Text>}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{x.subject ?? <Text span size="sm" c="dimmed">unverified</Text>}</Table.Td>
                  <Table.Td>
                    {x.requestedTokenType}
                    {x.scope ? <Code ml={4}>{x.scope}</Code> : null}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{x.description}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="default" aria-expanded={open.has(x.id)} aria-controls={`exchange-${x.id}`} onClick={() => toggle(x.id)}>
                      {open.has(x.id) ? 'Hide details' : 'Details'}
                    </Button>
                  </Table.Td>
                </Table.Tr>
                {open.has(x.id) && (
                  <Table.Tr id={`exchange-${x.id}`}>
                    <Table.Td colSpan={COLUMNS.length + 1}>
                      <ExchangeDetails x={x} />
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </DataTable>
        )}
      </LoadedList>
      {next && (
        <Button variant="default" onClick={() => void more()} loading={loadingMore} w="fit-content">
          Load more
        </Button>
      )}
    </Stack>
  );
}

function ExchangeDetails({ x }: { x: OidcExchange }) {
  const facts: [string, string | number | null | undefined][] = [
    ['Request id', x.requestId],
    ['Source address', x.sourceIP],
    ['Failed check', x.check && `${x.check}${x.reason ? ` (${x.reason})` : ''}`],
    ['Error', x.error],
    ['Token id', x.tokenId],
    ['Lifetime granted', x.expiresIn && `${x.expiresIn} s`],
    ['Policy version', x.policyVersion],
  ];
  return (
    <Stack gap="xs" py="xs">
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
        {facts
          .filter(([, v]) => v !== undefined && v !== null && v !== '')
          .map(([k, v]) => (
            <Text key={k} size="sm">
              <Text span fw={700} size="sm">
                {k}:
              </Text>{' '}
              <Text span ff="monospace" size="sm">
                {v}
              </Text>
            </Text>
          ))}
      </SimpleGrid>
      <DecisionDetails trace={x.trace} claims={x.claims} headingOrder={5} />
    </Stack>
  );
}
