import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';

export interface ConfirmModalProps {
  opened: boolean;
  title: string;
  /** What confirming does, as a sentence or two. */
  children: ReactNode;
  /** The red button's text, e.g. "Delete". */
  confirmLabel: string;
  onCancel(): void;
  onConfirm(): void;
}

/** A dialog that asks before something destructive: Cancel, or the red confirming button. */
export function ConfirmModal({ opened, title, children, confirmLabel, onCancel, onConfirm }: ConfirmModalProps) {
  return (
    <Modal opened={opened} onClose={onCancel} title={title} centered>
      <Stack>
        <Text size="sm">{children}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button color="red" onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
