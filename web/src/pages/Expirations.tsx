import { Anchor, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, paths, type Expirations, type ExpiringToken } from '../api';
import { DataTable } from '../components/DataTable';
import { LoadedList } from '../components/LoadedList';
import { TokenUsageCells } from '../components/TokenUsageCells';
import { describeError } from '../errors';
import { StatusBadge } from '../tokens';
import { useOrg } from './Org';

type Tab = '7' | '30' | '90' | 'never' | 'unused';

export function ExpirationsPage() {
  const { name, isAdmin } = useOrg();
  const [tab, setTab] = useState<Tab>('7');
  const within = tab === '30' ? 30 : tab === '90' ? 90 : 7;
  const [data, setData] = useState<Expirations>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!isAdmin) return;
    let live = true;
    setData(undefined);
    setError(undefined);
    api<Expirations>('GET', paths.expirations(name, within)).then(
      (d) => live && setData(d),
      (err) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [name, within, isAdmin]);

  if (!isAdmin) return <Text>Only organization admins can see expirations.</Text>;

  const rows = !data ? undefined : tab === 'never' ? data.noExpiry : tab === 'unused' ? data.unused : data.expiring;
  return (
    <Stack>
      <Title order={2}>Expirations · {name}</Title>
      <Text size="sm" c="dimmed">
        Organization and team tokens that need attention: those about to expire, those that never expire, and those never used or unused for 90 days.
      </Text>
      <Tabs value={tab} onChange={(v) => setTab((v as Tab) ?? '7')}>
        <Tabs.List>
          <Tabs.Tab value="7">Within 7 days</Tabs.Tab>
          <Tabs.Tab value="30">Within 30 days</Tabs.Tab>
          <Tabs.Tab value="90">Within 90 days</Tabs.Tab>
          <Tabs.Tab value="never">No expiry</Tabs.Tab>
          <Tabs.Tab value="unused">Unused</Tabs.Tab>
        </Tabs.List>
      </Tabs>
      <LoadedList items={rows} error={error} loadingLabel="Loading expirations" empty={<Text c="dimmed">Nothing here.</Text>}>
        {(rows) => (
          <>
            <ExpiringTable org={name} rows={rows} />
            {data?.truncated?.[tab === 'never' ? 'noExpiry' : tab === 'unused' ? 'unused' : 'expiring'] && (
              <Text size="sm">Only the first {data.limit} tokens are listed.</Text>
            )}
          </>
        )}
      </LoadedList>
    </Stack>
  );
}

function ExpiringTable({ org, rows }: { org: string; rows: ExpiringToken[] }) {
  const o = encodeURIComponent(org);
  return (
    <DataTable label="Tokens" minWidth={720} columns={['Token', 'Owner', 'Last used', 'Expires', 'Status']}>
      {rows.map((t) => {
        const to = t.team ? `/orgs/${o}/teams/${encodeURIComponent(t.team)}` : `/orgs/${o}/tokens`;
        return (
          <Table.Tr key={t.id}>
            <Table.Td>
              <Anchor component={Link} to={to}>
                {t.name || t.displayValue}
              </Anchor>
              <Text size="xs" c="dimmed">
                {t.description}
              </Text>
            </Table.Td>
            <Table.Td>{t.team ? `team ${t.team}` : 'organization'}</Table.Td>
            <TokenUsageCells token={t} />
            <Table.Td>
              <StatusBadge token={t} />
            </Table.Td>
          </Table.Tr>
        );
      })}
    </DataTable>
  );
}
