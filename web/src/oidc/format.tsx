import { Code, Group, Text } from '@mantine/core';

/** 90000 → "25 hours", 600 → "10 minutes", 2592000 → "30 days". */
export function formatSeconds(s: number): string {
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    if (s >= size && s % size === 0) return `${s / size} ${name}${s / size === 1 ? '' : 's'}`;
  }
  return `${s} seconds`;
}

/** The first and last hex digits of a SHA-256 thumbprint, the whole one on hover. */
export function Thumbprint({ value, full = false }: { value: string; full?: boolean }) {
  return (
    <Code title={value} style={{ wordBreak: 'break-all' }}>
      {full ? value : `${value.slice(0, 8)}…${value.slice(-6)}`}
    </Code>
  );
}

export function Thumbprints({ values, full = false }: { values: string[]; full?: boolean }) {
  if (values.length === 0) return <Text size="sm" c="dimmed">none</Text>;
  return (
    <Group gap={4}>
      {values.map((t) => (
        <Thumbprint key={t} value={t} full={full} />
      ))}
    </Group>
  );
}
