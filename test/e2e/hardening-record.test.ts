/**
 * Issue 11 in record and replay modes, against a started simulator and a fake upstream on
 * loopback: recordings are never lost while the client got its 200, encoded dot segments and NULs
 * are never forwarded, and odd entries in the recordings folder never stop the start with a
 * stack trace.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingFileName } from '../../src/core/recording/recording-key.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { runToExit, startSimulator, type Simulator } from '../helpers/simulator.js';
import { aliasBomb, GOOD_RECORDING as GOOD } from '../helpers/recording-fixtures.js';

const KEY = 'upstream-key-for-hardening';
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'aoai-sim-hard-'));

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream.close();
});


function chat(sim: Simulator, deployment: string, content = 'hello'): Promise<Response> {
  return fetch(`${sim.url}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content }] }),
  });
}

/** The path exactly as given: fetch would normalise `%2E%2E` away before sending (WHATWG URL rules). */
function rawChat(sim: Simulator, deployment: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(sim.url);
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'x' }] });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: `/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`, headers: { 'api-key': sim.apiKey, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const recorderEnv = (dir: string, extra: Record<string, string> = {}): Record<string, string> => ({
  SIMULATOR_MODE: 'record',
  RECORDING_DIR: dir,
  AZURE_OPENAI_ENDPOINT: upstream.url,
  AZURE_OPENAI_KEY: KEY,
  ...extra,
});

describe('recordings are never lost silently', () => {
  it('a 300-character deployment name is recorded under a bounded file name and replays', async () => {
    const dir = tempDir();
    const name = 'd'.repeat(320);
    const sim = await startSimulator(recorderEnv(dir));
    let recorded: string;
    try {
      const res = await chat(sim, name);
      expect(res.status).toBe(200);
      recorded = await res.text();
      expect((await fetch(`${sim.url}/++/save-recordings`, { method: 'POST', headers: { 'api-key': sim.apiKey } })).status).toBe(200);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
    const files = readdirSync(dir);
    expect(files).toEqual([recordingFileName(`/openai/deployments/${name}/chat/completions`)]);
    expect(files[0]!.length).toBeLessThanOrEqual(200);
    const replayer = await startSimulator({ SIMULATOR_MODE: 'replay', RECORDING_DIR: dir });
    try {
      const res = await chat(replayer, name);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(recorded);
    } finally {
      await replayer.stop();
    }
  });

  it('RECORDING_AUTOSAVE=false: a file that cannot be written blocks no other; the answer and the log name it; SIGTERM saves the rest', async () => {
    const dir = tempDir();
    const blocked = recordingFileName('/openai/deployments/blocked/chat/completions');
    // A non-empty folder where the file should go: the write fails, for root too.
    mkdirSync(join(dir, blocked, 'inside'), { recursive: true });
    const sim = await startSimulator(recorderEnv(dir, { RECORDING_AUTOSAVE: 'false' }));
    try {
      expect((await chat(sim, 'blocked')).status).toBe(200);
      expect((await chat(sim, 'first')).status).toBe(200);
      const res = await fetch(`${sim.url}/++/save-recordings`, { method: 'POST', headers: { 'api-key': sim.apiKey } });
      const body = (await res.json()) as { error: { message: string } };
      expect(res.status).toBe(500);
      expect(body.error.message).toMatch(/saved 1 file\(s\); 1 could not be saved/);
      expect(body.error.message).toContain(blocked);
      expect(existsSync(join(dir, recordingFileName('/openai/deployments/first/chat/completions')))).toBe(true);
      // Later recordings still reach the disk.
      expect((await chat(sim, 'second')).status).toBe(200);
      expect(sim.stderr()).toContain(`could not save recordings to ${join(dir, blocked)}`);
    } finally {
      await sim.stop();
    }
    expect(existsSync(join(dir, recordingFileName('/openai/deployments/second/chat/completions')))).toBe(true);
    expect(sim.stderr()).not.toMatch(/\n\s+at /);
  });
});

describe('path safety on every decoding level (record mode)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator(recorderEnv(tempDir()));
  });
  afterAll(async () => {
    await sim.stop();
  });

  it.each([
    '..%2F..%2Fadmin',
    '%2e%2e%2f%2e%2e%2fadmin',
    '%2E%2E',
    '.',
    '..',
    '%252e%252e%252fadmin',
    'a%00b',
    'a%2500b',
    'a%0d%0aX-Injected:%201',
    'a%5cb',
    'a%zz',
  ])('/openai/deployments/%s/chat/completions is refused and never forwarded', async (segment) => {
    const before = upstream.seen.length;
    const res = await rawChat(sim, segment);
    expect(res.status).toBe(404);
    expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBeTruthy();
    expect(upstream.seen.length).toBe(before);
  });

  it('an ordinary encoded name still goes upstream', async () => {
    const before = upstream.seen.length;
    expect((await rawChat(sim, 'my%20deployment')).status).toBe(200);
    expect(upstream.seen.length).toBe(before + 1);
  });
});

describe('the recordings folder at start', () => {

  it('a folder named x.yaml, a dangling link and a FIFO are skipped with a warning naming each', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    mkdirSync(join(dir, 'x.yaml'));
    symlinkSync(join(dir, 'missing.yaml'), join(dir, 'dangling.yaml'));
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    const sim = await startSimulator({ SIMULATOR_MODE: 'replay', RECORDING_DIR: dir });
    try {
      expect(sim.stdout()).toMatch(/Recordings: 1 interaction\(s\)/);
      for (const name of ['x.yaml: a folder', 'dangling.yaml: a symbolic link that cannot be followed', 'fifo.yaml: not a regular file']) expect(sim.stderr()).toContain(name);
    } finally {
      await sim.stop();
    }
  });

  it('a small YAML alias bomb stops the start with one line naming the file, no stack trace', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bomb.yaml'), aliasBomb());
    const exited = await runToExit({ SIMULATOR_MODE: 'replay', RECORDING_DIR: dir });
    expect(exited.code).toBe(1);
    const lines = exited.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^aoai-simulated-api: ${join(dir, 'bomb.yaml')}: its aliases expand it`));
  });

  it('RECORDING_DIR that is a file is one line, no stack trace', async () => {
    const file = join(tempDir(), 'plain');
    writeFileSync(file, 'x');
    const exited = await runToExit({ SIMULATOR_MODE: 'replay', RECORDING_DIR: file });
    expect(exited.code).toBe(1);
    expect(exited.stderr.trim()).toMatch(/^aoai-simulated-api: RECORDING_DIR .*plain: cannot read the folder \(ENOTDIR\)$/);
    rmSync(file);
  });
});
