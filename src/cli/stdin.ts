import { CliError } from './cli-error.js';

const MAX_STDIN = 64 * 1024;

/** Reads all of stdin as UTF-8 (at most 64 KiB: a token or a password, not a file). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_STDIN) throw new CliError('stdin is longer than 64 KiB; expected a single secret');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
