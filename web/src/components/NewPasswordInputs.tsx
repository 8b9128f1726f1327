import { PasswordInput } from '@mantine/core';
import { useState } from 'react';

/** A new password typed twice: both entries, and whether the last check found them different. */
export function useNewPassword() {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  return {
    password,
    confirm,
    mismatch,
    setPassword,
    setConfirm,
    /** True when the two entries agree; otherwise the confirmation field says they differ. */
    check(): boolean {
      const same = password === confirm;
      setMismatch(!same);
      return same;
    },
    clear(): void {
      setPassword('');
      setConfirm('');
    },
  };
}

export interface NewPasswordInputsProps {
  state: ReturnType<typeof useNewPassword>;
  label: string;
  confirmLabel: string;
}

/** The two required fields of a new password, the second marked when the entries differ. */
export function NewPasswordInputs({ state, label, confirmLabel }: NewPasswordInputsProps) {
  return (
    <>
      <PasswordInput label={label} autoComplete="new-password" required value={state.password} onChange={(e) => state.setPassword(e.currentTarget.value)} />
      <PasswordInput
        label={confirmLabel}
        autoComplete="new-password"
        required
        value={state.confirm}
        onChange={(e) => state.setConfirm(e.currentTarget.value)}
        error={state.mismatch ? 'The passwords differ' : undefined}
      />
    </>
  );
}
