import { Text, Tooltip } from '@mantine/core';
import dayjs from 'dayjs';

const exact = (d: dayjs.Dayjs) => d.format('YYYY-MM-DD HH:mm:ss Z');

/** "3 hours ago" with the exact time on hover (title and tooltip) and in the <time> element. */
export function When({ at, prefix = '', never = 'never', size = 'sm' }: { at: number | string | undefined; prefix?: string; never?: string; size?: string }) {
  if (at === undefined || at === 0 || at === '') return <Text size={size} c="dimmed">{never}</Text>;
  const d = typeof at === 'number' ? dayjs.unix(at) : dayjs(at);
  return (
    <Tooltip label={exact(d)} withArrow openDelay={200}>
      <Text size={size} component="time" dateTime={d.toISOString()} title={exact(d)} style={{ whiteSpace: 'nowrap' }}>
        {prefix}
        {d.fromNow()}
      </Text>
    </Tooltip>
  );
}

/** "in 5 days" / "expired 2 days ago" / "never". */
export function Expires({ at }: { at: number }) {
  if (!at) return <Text size="sm">never</Text>;
  const d = dayjs.unix(at);
  return <When at={at} prefix={d.isBefore(dayjs()) ? 'expired ' : ''} />;
}
