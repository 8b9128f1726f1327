import { Alert } from '@mantine/core';

/** A form's failure line, if any (Mantine's Alert announces itself: role="alert"). */
export function FormError({ error }: { error: string | undefined }) {
  if (!error) return null;
  return <Alert color="red">{error}</Alert>;
}
