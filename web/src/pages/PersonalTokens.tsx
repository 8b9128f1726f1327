import { Text } from '@mantine/core';
import { paths } from '../api';
import { TokensPanel } from '../tokens';

export function PersonalTokensPage() {
  return (
    <>
      <TokensPanel kind="personal" base={paths.personalTokens()} title="Personal tokens" canManage />
      <Text size="xs" c="dimmed" mt="lg">
        Personal tokens act as you, in every organization you belong to. Send them as <code>Authorization: token &lt;value&gt;</code>.
      </Text>
    </>
  );
}
