import { InvalidArgumentError, Option } from 'commander';
import { parseWhen } from '../domain/when.js';

export const WHEN_HELP = 'never, a duration (90m, 12h, 30d, 1y) or an ISO 8601 date or date-time';

/**
 * Parses a `<when>` option value to unix seconds (0 = never). A value that is none of the
 * accepted forms, or lies in the past, is a usage error (exit 2) before anything is sent.
 */
export function parseWhenOption(value: string): number {
  const now = Math.floor(Date.now() / 1000);
  const seconds = parseWhen(value, now);
  if (seconds === undefined) throw new InvalidArgumentError(`Expected ${WHEN_HELP}.`);
  if (seconds !== 0 && seconds <= now) throw new InvalidArgumentError('That moment lies in the past.');
  return seconds;
}

/** A `--flag <when>` option parsed by parseWhenOption. */
export function whenOption(flags: string, description: string): Option {
  return new Option(flags, `${description}: ${WHEN_HELP}`).argParser(parseWhenOption);
}

/** `--database <url>`, as the serve and migrate commands spell it. */
export function databaseOption(): Option {
  return new Option('--database <url>', 'sqlite:<path> or postgres://… (TESSERA_DATABASE_URL, default sqlite:data/tessera.db)');
}
