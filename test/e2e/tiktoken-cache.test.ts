/**
 * `TIKTOKEN_CACHE_DIR` in the running simulator, and `make setup-tiktoken`'s command: the
 * committed files serve exact token counts on every thread kind; a missing or altered file stops
 * the start with one clear line; the setup command writes OpenAI's files with no network and its
 * check rejects an altered one.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { azureClient, tokens, warmTokenOracle } from '../helpers/clients.js';
import { runToExit, startSimulator } from '../helpers/simulator.js';

const COMMITTED = fileURLToPath(new URL('../../tiktoken_cache/', import.meta.url));
const SETUP = fileURLToPath(new URL('../../dist/src/setup-tiktoken.js', import.meta.url));
const CL100K = '9b5ad71b2ce5302211f9c61530b329a4922fc6a4';
const O200K = 'fb374d419588a4632f3f557e76b4b70aebbca790';

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-tiktoken-'));
  for (const name of [CL100K, O200K]) copyFileSync(join(COMMITTED, name), join(dir, name));
  return dir;
}

const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  promisify(execFile)(process.execPath, [SETUP, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );

describe('TIKTOKEN_CACHE_DIR', () => {
  beforeAll(warmTokenOracle);
  it('serves exact token counts from the cache files, inline and in the pool', async () => {
    // A 200-byte threshold sends the long prompt to the pool, the short one stays inline.
    const sim = await startSimulator({ TIKTOKEN_CACHE_DIR: COMMITTED, SIMULATOR_POOL_MIN_BODY_BYTES: '200' });
    try {
      expect(sim.stdout()).toContain(`Tokenizer files: ${COMMITTED.replace(/\/$/, '')} (sha256 checked)`);
      const client = azureClient(sim);
      const cases = [
        ['gpt-4o', 'o200k_base', 'Hello, world!'],
        ['gpt-4', 'cl100k_base', 'Tokenise this: 中文 and émoji 🤖, please. '.repeat(10)],
      ] as const;
      for (const [model, encoding, content] of cases) {
        const answer = await client.chat.completions.create({ model, messages: [{ role: 'user', content }], max_tokens: 5 });
        // OpenAI's chat rule: 3 tokens per message, 1 for the role, 3 to prime the answer.
        expect(answer.usage!.prompt_tokens).toBe(tokens(content, encoding) + 3 + 1 + 3);
        expect(answer.usage!.completion_tokens).toBe(tokens(answer.choices[0]!.message.content!, encoding));
      }
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });

  it('stops the start with one clear line when a file is missing or altered', async () => {
    const missing = cacheDir();
    rmSync(join(missing, CL100K));
    const altered = cacheDir();
    const bytes = readFileSync(join(altered, O200K));
    bytes[bytes.length - 2] = '0'.charCodeAt(0); // the last token's rank, 199997 -> 199990
    writeFileSync(join(altered, O200K), bytes);

    const [gone, changed] = await Promise.all([runToExit({ TIKTOKEN_CACHE_DIR: missing }), runToExit({ TIKTOKEN_CACHE_DIR: altered })]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`aoai-simulated-api: TIKTOKEN_CACHE_DIR: the cl100k_base file ${join(missing, CL100K)} is missing`);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(`${join(altered, O200K)} is not OpenAI's o200k_base.tiktoken: its sha256 is`);
    for (const r of [gone, changed]) {
      expect(r.stdout).not.toContain('listening');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('setup-tiktoken (make setup-tiktoken)', () => {
  it("writes OpenAI's files from the bundled ranks, and --check accepts them", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-setup-'));
    const written = await run([dir]);
    expect(written.code).toBe(0);
    for (const name of [CL100K, O200K]) expect(readFileSync(join(dir, name)).equals(readFileSync(join(COMMITTED, name)))).toBe(true);
    expect(written.stdout).toContain('sha256 223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7');
    expect(written.stdout).toContain('sha256 446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d');
    expect((await run(['--check', dir])).code).toBe(0);
  });

  it('--check fails with a clear message on an altered file', async () => {
    const dir = cacheDir();
    writeFileSync(join(dir, CL100K), readFileSync(join(dir, CL100K)).subarray(1));
    const checked = await run(['--check', dir]);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toMatch(/^setup-tiktoken: TIKTOKEN_CACHE_DIR: .* is not OpenAI's cl100k_base\.tiktoken/);
    expect(checked.stderr).not.toMatch(/\n\s+at /);
  });
});
