/**
 * Reads `.env` from the working directory into the environment, without overriding variables
 * that are already set (the shell wins, as with the Makefile's `include .env`).
 */
import { existsSync, readFileSync } from 'node:fs';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

export function parseEnvFile(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(raw)) continue;
    const m = LINE.exec(raw);
    if (!m) continue;
    let value = m[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) value = value.slice(1, -1);
    else value = value.replace(/(^|\s+)#.*$/, ''); // an unquoted '#' after a space (or first) starts a comment
    result[m[1]!] = value;
  }
  return result;
}

export function loadEnvFile(path = '.env', env: NodeJS.ProcessEnv = process.env): void {
  if (!existsSync(path)) return;
  for (const [name, value] of Object.entries(parseEnvFile(readFileSync(path, 'utf8')))) {
    if (env[name] === undefined) env[name] = value;
  }
}
