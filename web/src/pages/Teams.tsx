import { Alert, Anchor, Button, Center, Group, Loader, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, paths, type Team } from '../api';
import { describeError, notifyOk } from '../errors';
import { When } from '../time';
import { useOrg } from './Org';

export function TeamsPage() {
  const { name, isAdmin } = useOrg();
  const navigate = useNavigate();
  const [teams, setTeams] = useState<Team[]>();
  const [error, setError] = useState<string>();
  const [teamName, setTeamName] = useState('');
  const [description, setDescription] = useState('');
  const [createError, setCreateError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setTeams((await api<{ teams: Team[] }>('GET', paths.teams(name))).teams);
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    }
  }, [name]);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setCreateError(undefined);
    try {
      const t = await api<Team>('POST', paths.teams(name), { name: teamName.trim(), ...(description ? { description } : {}) });
      notifyOk(`Team ${t.name} created`);
      navigate(`/orgs/${encodeURIComponent(name)}/teams/${encodeURIComponent(t.name)}`);
    } catch (err) {
      setCreateError(describeError(err));
    } finally {
      setBusy(false);
    }
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
      {error ? (
        <Alert color="red">{error}</Alert>
      ) : !teams ? (
        <Center py="xl">
          <Loader aria-label="Loading teams" />
        </Center>
      ) : teams.length === 0 ? (
        <Text c="dimmed">No teams yet.{isAdmin ? ' Create one above.' : ''}</Text>
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table striped aria-label="Teams">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Team</Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
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
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
