import { Anchor, Button, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, paths, type Team, type TeamList } from '../api';
import { DataTable } from '../components/DataTable';
import { LoadedList } from '../components/LoadedList';
import { useApiGet } from '../components/useApiGet';
import { useSubmit } from '../components/useSubmit';
import { notifyOk } from '../errors';
import { When } from '../time';
import { useOrg } from './Org';

export function TeamsPage() {
  const { name, isAdmin } = useOrg();
  const navigate = useNavigate();
  const { data, error } = useApiGet<TeamList>(paths.teams(name));
  const [teamName, setTeamName] = useState('');
  const [description, setDescription] = useState('');
  const { busy, error: createError, run } = useSubmit();

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const t = await api<Team>('POST', paths.teams(name), { name: teamName.trim(), ...(description ? { description } : {}) });
      notifyOk(`Team ${t.name} created`);
      navigate(`/orgs/${encodeURIComponent(name)}/teams/${encodeURIComponent(t.name)}`);
    });
  };

  return (
    <Stack>
      <Title order={2}>Teams · {name}</Title>
      {isAdmin && (
        <form onSubmit={create}>
          <Group align="flex-end" wrap="wrap">
            <TextInput label="Team name" required value={teamName} onChange={(e) => setTeamName(e.currentTarget.value)} error={createError} maxLength={40} />
            <TextInput label="Team description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} maxLength={1024} />
            <Button type="submit" loading={busy}>
              Create team
            </Button>
          </Group>
        </form>
      )}
      <LoadedList items={data?.teams} error={error} loadingLabel="Loading teams" empty={<Text c="dimmed">No teams yet.{isAdmin ? ' Create one above.' : ''}</Text>}>
        {(teams) => (
          <DataTable label="Teams" minWidth={480} columns={['Team', 'Description', 'Created']}>
            {teams.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/orgs/${encodeURIComponent(name)}/teams/${encodeURIComponent(t.name)}`}>
                    {t.displayName || t.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{t.description}</Table.Td>
                <Table.Td>
                  <When at={t.created} />
                </Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
    </Stack>
  );
}
