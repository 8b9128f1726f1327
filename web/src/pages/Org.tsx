import { Alert, Center, Loader, Stack, Text } from '@mantine/core';
import { Outlet, useOutletContext, useParams } from 'react-router';
import { paths, type Organization } from '../api';
import { useApiGet } from '../components/useApiGet';
import { TokensPanel } from '../tokens';

export interface OrgContext {
  org: Organization;
  name: string;
  isAdmin: boolean;
  reload(): Promise<void>;
}

export function useOrg(): OrgContext {
  return useOutletContext<OrgContext>();
}

/** Loads the organization (and with it the caller's role) for every page below /orgs/:org. */
export function OrgLayout() {
  const { org: name = '' } = useParams();
  const { data: org, error, reload } = useApiGet<Organization>(paths.org(name));

  if (error) return <Alert color="red" title={`Organization ${name}`}>{error}</Alert>;
  if (!org || (org.githubLogin !== name && org.name !== name)) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading organization" />
      </Center>
    );
  }
  const ctx: OrgContext = { org, name, isAdmin: org.role === 'admin', reload };
  return <Outlet context={ctx} />;
}

export function OrgTokensPage() {
  const { name, isAdmin } = useOrg();
  if (!isAdmin) {
    return (
      <Stack>
        <Text>Only organization admins can see organization tokens.</Text>
      </Stack>
    );
  }
  return (
    <>
      <TokensPanel kind="organization" base={paths.orgTokens(name)} title={`Organization tokens · ${name}`} canManage />
      <Text size="xs" c="dimmed" mt="lg">
        Organization tokens act as the organization itself, with member rights or, for admin tokens, admin rights. They outlive the person who created them. Creating one asks for your password again when you last entered it more than 10 minutes ago.
      </Text>
    </>
  );
}
