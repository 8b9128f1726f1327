import { Anchor, Button, Code, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import dayjs from 'dayjs';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, paths, withQuery, type AuditEvent, type AuditLogList } from '../api';
import { DataTable } from '../components/DataTable';
import { LoadedList } from '../components/LoadedList';
import { describeError, notifyError } from '../errors';
import { When } from '../time';
import { useOrg } from './Org';

interface Filters {
  range: [string | null, string | null];
  user: string;
  event: string;
}

function query(f: Filters): Record<string, string | number | undefined> {
  return {
    startTime: f.range[0] ? dayjs(f.range[0]).startOf('day').unix() : undefined,
    endTime: f.range[1] ? dayjs(f.range[1]).endOf('day').unix() : undefined,
    user: f.user.trim() || undefined,
    event: f.event.trim() || undefined,
  };
}

export function AuditPage() {
  const { name, isAdmin } = useOrg();
  const [draft, setDraft] = useState<Filters>({ range: [null, null], user: '', event: '' });
  const [applied, setApplied] = useState<Filters>(draft);
  const [events, setEvents] = useState<AuditEvent[]>();
  const [next, setNext] = useState<string>();
  const [error, setError] = useState<string>();
  const [loadingMore, setLoadingMore] = useState(false);

  const load = useCallback(async () => {
    if (!isAdmin) return;
    setEvents(undefined);
    setError(undefined);
    try {
      const r = await api<AuditLogList>('GET', withQuery(paths.auditLogs(name), query(applied)));
      setEvents(r.auditLogEvents);
      setNext(r.continuationToken);
    } catch (err) {
      setError(describeError(err));
    }
  }, [name, applied, isAdmin]);
  useEffect(() => {
    void load();
  }, [load]);

  const more = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const r = await api<AuditLogList>(
        'GET',
        withQuery(paths.auditLogs(name), { ...query(applied), continuationToken: next }),
      );
      setEvents((e) => [...(e ?? []), ...r.auditLogEvents]);
      setNext(r.continuationToken);
    } catch (err) {
      notifyError(err, 'Could not load more events');
    } finally {
      setLoadingMore(false);
    }
  };

  if (!isAdmin) return <Text>Only organization admins can read the audit log.</Text>;

  const exportHref = withQuery(paths.auditExport(name, 'csv'), query(applied));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(draft);
  };

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>Audit log · {name}</Title>
        <Group gap="xs">
          <Button component="a" href={exportHref} variant="default" download>
            Export CSV
          </Button>
          <Button component="a" href={withQuery(paths.auditExport(name, 'json'), query(applied))} variant="subtle" download>
            Export JSON
          </Button>
        </Group>
      </Group>
      <form onSubmit={submit}>
        <Group align="flex-end" wrap="wrap">
          <DatePickerInput
            type="range"
            label="Time range"
            placeholder="Any time"
            value={draft.range}
            onChange={(v) => setDraft({ ...draft, range: v as [string | null, string | null] })}
            clearable
            miw={220}
            maxDate={dayjs().format('YYYY-MM-DD')}
            ariaLabels={{ nextMonth: 'Next month', previousMonth: 'Previous month' }}
          />
          <TextInput label="User" placeholder="login" value={draft.user} onChange={(e) => setDraft({ ...draft, user: e.currentTarget.value })} />
          <TextInput label="Event" placeholder="e.g. access_token_created" value={draft.event} onChange={(e) => setDraft({ ...draft, event: e.currentTarget.value })} />
          <Button type="submit">Apply filters</Button>
        </Group>
      </form>
      <LoadedList items={events} error={error} errorTitle="Could not load the audit log" loadingLabel="Loading audit log" empty={<Text c="dimmed">No events match.</Text>}>
        {(events) => (
          <DataTable label="Audit log" minWidth={900} columns={['Time', 'Event', 'Actor', 'Description', 'Source', 'Request id']}>
          {events.map((e, i) => (
            <Table.Tr key={`${e.requestId}-${i}`}>
              <Table.Td>
                <When at={e.timestamp} />
              </Table.Td>
              <Table.Td>
                <Code>{e.event}</Code>
              </Table.Td>
              <Table.Td>
                {e.user?.githubLogin || e.user?.name}
                {e.tokenName && (
                  <Text size="xs" c="dimmed">
                    via token {e.tokenName}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="sm">{e.description}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="xs">{e.sourceIP}</Text>
                <Text size="xs" c="dimmed" lineClamp={1} title={e.userAgent}>
                  {e.userAgent}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="xs" ff="monospace">
                  {e.requestId}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
          </DataTable>
        )}
      </LoadedList>
      {next && (
        <Button variant="default" onClick={more} loading={loadingMore} w="fit-content">
          Load more
        </Button>
      )}
      <Text size="xs" c="dimmed">
        Exports stream every event that matches the filters. <Anchor href="/docs">API reference</Anchor>
      </Text>
    </Stack>
  );
}
