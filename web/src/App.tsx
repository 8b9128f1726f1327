import { AppShell, Burger, Button, Center, Group, Loader, Menu, NavLink, ScrollArea, Text, Title, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { lazy, Suspense } from 'react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate, useParams } from 'react-router';
import { AccountPage } from './pages/Account';
import { AuditPage } from './pages/Audit';
import { ExpirationsPage } from './pages/Expirations';
import { InvitationsPage } from './pages/Invitations';
import { MembersPage } from './pages/Members';
import { NewOrgPage } from './pages/NewOrg';
import { OrgLayout, OrgTokensPage } from './pages/Org';
import { PersonalTokensPage } from './pages/PersonalTokens';
import { SetupPage, SignInPage } from './pages/SignIn';
import { TeamPage } from './pages/Team';
import { TeamsPage } from './pages/Teams';
import { UsersPage } from './pages/Users';
import { useSession, useUser } from './session';

// Loaded on first visit: the OIDC pages are for admins and would grow the initial script.
const OidcSection = lazy(() => import('./oidc/OidcSection'));

export function App() {
  const { status } = useSession();
  if (status === 'loading') {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (status === 'setup') return <SetupPage />;
  if (status === 'signed-out') return <SignInPage />;
  return <Shell />;
}

/** The organization in the URL, if any. */
function useCurrentOrg(): string | undefined {
  const { pathname } = useLocation();
  const m = /^\/orgs\/([^/]+)/.exec(pathname);
  if (!m || m[1] === 'new') return undefined;
  return decodeURIComponent(m[1]!);
}

function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const user = useUser();
  const { signOut } = useSession();
  const navigate = useNavigate();
  const org = useCurrentOrg();
  const { pathname } = useLocation();
  const orgRole = user.organizations.find((o) => o.githubLogin === org)?.role;
  const isAdmin = orgRole === 'admin';

  const link = (to: string, label: string) => (
    <NavLink key={to} component={Link} to={to} label={label} active={pathname === to} onClick={close} />
  );

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={1} size="h3">
              <UnstyledButton component={Link} to="/tokens">
                Tessera
              </UnstyledButton>
            </Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <Menu position="bottom-end">
              <Menu.Target>
                <Button variant="default" size="sm" aria-label={org ? `Organization: ${org}` : 'Organizations'}>
                  <Text size="sm" truncate maw={140}>
                    {org ?? 'Organizations'}
                  </Text>
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>Switch organization</Menu.Label>
                {user.organizations.map((o) => (
                  <Menu.Item key={o.githubLogin} onClick={() => navigate(`/orgs/${encodeURIComponent(o.githubLogin)}`)}>
                    {o.githubLogin} <Text span size="xs" c="dimmed">({o.role})</Text>
                  </Menu.Item>
                ))}
                {user.organizations.length > 0 && <Menu.Divider />}
                <Menu.Item onClick={() => navigate('/orgs/new')}>Create organization</Menu.Item>
              </Menu.Dropdown>
            </Menu>
            <Menu position="bottom-end">
              <Menu.Target>
                <Button variant="subtle" size="sm" aria-label={`User menu for ${user.githubLogin}`}>
                  <Text size="sm" truncate maw={120}>
                    {user.githubLogin}
                  </Text>
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{user.name || user.githubLogin}</Menu.Label>
                <Menu.Item onClick={() => navigate('/account')}>Account</Menu.Item>
                <Menu.Item onClick={() => navigate('/invitations')}>Invitations</Menu.Item>
                {user.siteAdmin && <Menu.Item onClick={() => navigate('/admin/users')}>Users</Menu.Item>}
                <Menu.Divider />
                <Menu.Item onClick={() => void signOut().then(() => navigate('/'))}>Sign out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <AppShell.Section grow component={ScrollArea}>
          {link('/tokens', 'Personal tokens')}
          {org && (
            <>
              <Text size="xs" fw={700} c="dimmed" mt="md" mb={4} px="sm">
                {org}
              </Text>
              {isAdmin && link(`/orgs/${encodeURIComponent(org)}/tokens`, 'Organization tokens')}
              {link(`/orgs/${encodeURIComponent(org)}/teams`, 'Teams')}
              {link(`/orgs/${encodeURIComponent(org)}/members`, 'Members')}
              {isAdmin && link(`/orgs/${encodeURIComponent(org)}/audit`, 'Audit log')}
              {isAdmin && link(`/orgs/${encodeURIComponent(org)}/expirations`, 'Expirations')}
              {isAdmin && link(`/orgs/${encodeURIComponent(org)}/oidc`, 'OIDC issuers')}
            </>
          )}
          <Text size="xs" fw={700} c="dimmed" mt="md" mb={4} px="sm">
            Organizations
          </Text>
          {user.organizations.map((o) => (
            <NavLink
              key={o.githubLogin}
              component={Link}
              to={`/orgs/${encodeURIComponent(o.githubLogin)}`}
              label={o.githubLogin}
              active={o.githubLogin === org && pathname === `/orgs/${encodeURIComponent(o.githubLogin)}`}
              onClick={close}
            />
          ))}
          {link('/orgs/new', 'Create organization')}
          <Text size="xs" fw={700} c="dimmed" mt="md" mb={4} px="sm">
            Account
          </Text>
          {link('/account', 'Account')}
          {link('/invitations', 'Invitations')}
          {user.siteAdmin && link('/admin/users', 'Users')}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <Routes>
          <Route path="/" element={<Navigate to="/tokens" replace />} />
          <Route path="/tokens" element={<PersonalTokensPage />} />
          <Route path="/orgs/new" element={<NewOrgPage />} />
          <Route path="/orgs/:org" element={<OrgLayout />}>
            <Route index element={<OrgHome />} />
            <Route path="tokens" element={<OrgTokensPage />} />
            <Route path="teams" element={<TeamsPage />} />
            <Route path="teams/:team" element={<TeamPage />} />
            <Route path="members" element={<MembersPage />} />
            <Route path="audit" element={<AuditPage />} />
            <Route path="expirations" element={<ExpirationsPage />} />
            <Route
              path="oidc/*"
              element={
                <Suspense fallback={<Center py="xl"><Loader aria-label="Loading" /></Center>}>
                  <OidcSection />
                </Suspense>
              }
            />
          </Route>
          <Route path="/account" element={<AccountPage />} />
          <Route path="/invitations" element={<InvitationsPage />} />
          <Route path="/admin/users" element={<UsersPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}

function OrgHome() {
  const { org } = useParams();
  const user = useUser();
  const role = user.organizations.find((o) => o.githubLogin === org)?.role;
  return <Navigate to={role === 'admin' ? 'tokens' : 'teams'} replace />;
}

function NotFound() {
  return (
    <>
      <Title order={2}>Page not found</Title>
      <Text mt="sm">
        <Link to="/tokens">Go to your personal tokens</Link>
      </Text>
    </>
  );
}
