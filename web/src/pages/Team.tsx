import { Alert, Anchor, Button, Center, Divider, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, paths, type TeamDetail } from '../api';
import { AddMemberForm } from '../components/AddMemberForm';
import { ConfirmModal } from '../components/ConfirmModal';
import { MemberTable } from '../components/MemberTable';
import type { Roles } from '../components/members';
import { useApiGet } from '../components/useApiGet';
import { notifyError, notifyOk } from '../errors';
import { useUser } from '../session';
import { TokensPanel } from '../tokens';
import { useOrg } from './Org';

const ROLES: Roles = {
  options: [
    { value: 'member', label: 'Member' },
    { value: 'maintainer', label: 'Maintainer' },
  ],
  lead: 'maintainer',
};

export function TeamPage() {
  const { name: org, isAdmin } = useOrg();
  const { team: teamName = '' } = useParams();
  const me = useUser();
  const navigate = useNavigate();
  const { data: team, error, reload: load } = useApiGet<TeamDetail>(paths.team(org, teamName));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [removing, setRemoving] = useState<string>();

  if (error) return <Alert color="red" title={`Team ${teamName}`}>{error}</Alert>;
  if (!team || team.name !== teamName) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading team" />
      </Center>
    );
  }

  const myRole = team.members.find((m) => m.githubLogin === me.githubLogin)?.role;
  const isMaintainer = myRole === 'maintainer';
  const canManage = isAdmin || isMaintainer;

  const add = async (login: string, role: string) => {
    await api('PUT', paths.teamMember(org, teamName, login.trim()), { role });
    notifyOk(`${login} added to ${teamName}`);
  };
  const changeRole = async (who: string, newRole: string) => {
    try {
      await api('PUT', paths.teamMember(org, teamName, who), { role: newRole });
      notifyOk(`${who} is now ${newRole} of ${teamName}`);
      await load();
    } catch (err) {
      notifyError(err, 'Could not change the role');
    }
  };
  const remove = async () => {
    if (!removing) return;
    try {
      await api('DELETE', paths.teamMember(org, teamName, removing));
      notifyOk(`${removing} removed from ${teamName}`);
      setRemoving(undefined);
      await load();
    } catch (err) {
      notifyError(err, 'Could not remove the team member');
    }
  };
  const deleteTeam = async () => {
    try {
      await api('DELETE', paths.team(org, teamName));
      notifyOk(`Team ${teamName} deleted; its tokens are revoked`);
      navigate(`/orgs/${encodeURIComponent(org)}/teams`);
    } catch (err) {
      notifyError(err, 'Could not delete the team');
    }
  };

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Anchor component={Link} to={`/orgs/${encodeURIComponent(org)}/teams`} size="sm">
            ← Teams
          </Anchor>
          <Title order={2}>Team {team.displayName || team.name}</Title>
          {team.description && <Text c="dimmed">{team.description}</Text>}
        </div>
        {isAdmin && (
          <Button color="red" variant="light" onClick={() => setConfirmDelete(true)}>
            Delete team
          </Button>
        )}
      </Group>

      {canManage ? (
        <TokensPanel kind="team" base={paths.teamTokens(org, teamName)} title="Team tokens" canManage />
      ) : (
        <Alert color="gray" title="Team tokens">
          Only organization admins and this team's maintainers can see and manage its tokens.
        </Alert>
      )}

      <Divider my="sm" />
      <Title order={3}>Members</Title>
      {canManage && (
        <AddMemberForm
          loginLabel="Member login"
          loginDescription="Must be a member of the organization"
          roleLabel="Team role"
          roles={ROLES.options}
          roleWidth={150}
          submitLabel="Add to team"
          onAdd={add}
          onAdded={load}
        />
      )}
      {team.members.length === 0 ? (
        <Text c="dimmed">No members yet.</Text>
      ) : (
        <MemberTable
          label="Team members"
          minWidth={480}
          members={team.members}
          roles={ROLES}
          roleWidth={140}
          canManage={canManage}
          roleLabel={(login) => `Team role of ${login}`}
          removeLabel={(login) => `Remove ${login} from the team`}
          onChangeRole={(login, role) => void changeRole(login, role)}
          onRemove={setRemoving}
        />
      )}

      <ConfirmModal opened={!!removing} title="Remove from team?" confirmLabel="Remove" onCancel={() => setRemoving(undefined)} onConfirm={() => void remove()}>
        {removing} leaves {teamName}. They stay a member of {org}.
      </ConfirmModal>
      <ConfirmModal opened={confirmDelete} title="Delete team?" confirmLabel="Delete team" onCancel={() => setConfirmDelete(false)} onConfirm={() => void deleteTeam()}>
        Deleting {teamName} revokes all of its tokens at once. This cannot be undone.
      </ConfirmModal>
    </Stack>
  );
}
