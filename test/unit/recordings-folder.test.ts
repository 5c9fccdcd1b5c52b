/**
 * Issue 11, items 3 and 5, on real files: loading the recordings folder (only regular .yaml
 * files, a warning naming each other entry, one line naming a file that fails, YAML aliases
 * bounded) and saving (a file that cannot be written blocks nothing and stays pending).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecordingFileError } from '../../src/core/recording/recording-file.js';
import { parseRecordingFile } from '../../src/core/recording/recording-yaml.js';
import { loadRecordings, Recorder, RecordingSaveError } from '../../src/process/recordings.js';
import type { Log } from '../../src/log.js';
import { aliasBomb, GOOD_RECORDING as GOOD } from '../helpers/recording-fixtures.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'aoai-sim-recdir-'));

function capture(): Log & { lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

describe('YAML aliases', () => {
  it('a 600-byte alias bomb is refused with a RecordingFileError naming the file, before anything walks it', () => {
    const text = aliasBomb();
    expect(text.length).toBeLessThan(2000);
    expect(() => parseRecordingFile(text, 'bomb.yaml')).toThrow(RecordingFileError);
    expect(() => parseRecordingFile(text, 'bomb.yaml')).toThrow(/^bomb\.yaml: its aliases expand it past/);
  });

  it('ordinary reuse of an anchored map is accepted', () => {
    const text = 'common: &h {content-type: [application/json]}\n' + GOOD.replace('    headers: {}\n    method', '    headers: *h\n    method');
    expect(parseRecordingFile(text, 'ok.yaml').entries).toHaveLength(1);
  });
});

describe('loadRecordings', () => {
  it('reads regular files and links to them; skips a folder named x.yaml, a dangling link and a FIFO, naming each', () => {
    const d = dir();
    writeFileSync(join(d, 'good.yaml'), GOOD);
    mkdirSync(join(d, 'x.yaml'));
    symlinkSync(join(d, 'nowhere.yaml'), join(d, 'dangling.yaml'));
    symlinkSync(join(d, 'good.yaml'), join(d, 'link.yaml'));
    execFileSync('mkfifo', [join(d, 'fifo.yaml')]);
    const log = capture();
    const loaded = loadRecordings(d, log);
    expect([...loaded.files.keys()]).toEqual(['good.yaml', 'link.yaml']);
    expect(loaded.entries).toHaveLength(2);
    expect(log.lines).toEqual([
      expect.stringMatching(/^warn recordings: skipped .*dangling\.yaml: a symbolic link that cannot be followed \(ENOENT\)$/),
      expect.stringMatching(/^warn recordings: skipped .*fifo\.yaml: not a regular file$/),
      expect.stringMatching(/^warn recordings: skipped .*x\.yaml: a folder$/),
    ]);
  });

  it('a bomb, or an unreadable folder, is one line naming the file', () => {
    const d = dir();
    writeFileSync(join(d, 'bomb.yaml'), aliasBomb());
    expect(() => loadRecordings(d, capture())).toThrow(RecordingFileError);
    expect(() => loadRecordings(d, capture())).toThrow(new RegExp(`^${join(d, 'bomb.yaml')}: its aliases`));
    const file = join(dir(), 'not-a-folder');
    writeFileSync(file, 'x');
    expect(() => loadRecordings(file, capture())).toThrow(/^RECORDING_DIR .*not-a-folder: cannot read the folder \(ENOTDIR\)$/);
  });
});

describe('Recorder', () => {
  const interaction = { request: { method: 'POST', uri: '/x', headers: {}, body: '{}', body_hash: 'h' }, response: { status: { code: 200 }, headers: {}, body: { string: '{}' }, duration_ms: 1 }, context_values: {} };

  /** A non-empty folder where the file should go: the rename over it fails, as root too. */
  const block = (d: string, file: string): void => {
    mkdirSync(join(d, file, 'inside'), { recursive: true });
  };

  it('without autosave, one file that cannot be written does not block the others; it stays pending and is retried', () => {
    const d = dir();
    const log = capture();
    const recorder = new Recorder(d, new Map(), false, log);
    recorder.add('a.yaml', interaction);
    recorder.add('blocked.yaml', interaction);
    recorder.add('c.yaml', interaction);
    block(d, 'blocked.yaml');
    let error: unknown;
    try {
      recorder.saveAll();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RecordingSaveError);
    expect((error as RecordingSaveError).saved).toBe(2);
    expect((error as Error).message).toMatch(/^saved 2 file\(s\); 1 could not be saved: blocked\.yaml \(/);
    expect(existsSync(join(d, 'a.yaml')) && existsSync(join(d, 'c.yaml'))).toBe(true);
    expect(recorder.pending.map((p) => p.file)).toEqual(['blocked.yaml']);
    expect(log.lines.some((l) => /^error could not save recordings to .*blocked\.yaml/.test(l))).toBe(true);
    // A later recording elsewhere is saved; once the obstacle is gone the pending file is too.
    recorder.add('d.yaml', interaction);
    rmSync(join(d, 'blocked.yaml'), { recursive: true });
    expect(recorder.saveAll()).toBe(2);
    expect(readFileSync(join(d, 'blocked.yaml'), 'utf8')).toContain('interactions:');
    expect(recorder.pending).toEqual([]);
    // No temp file is left behind by the failed attempts.
    expect(execFileSync('ls', [d]).toString()).not.toMatch(/\.tmp/);
  });

  it('with autosave, a failed write neither throws nor stops later recordings', () => {
    const d = dir();
    const log = capture();
    const recorder = new Recorder(d, new Map(), true, log);
    block(d, 'blocked.yaml');
    expect(() => recorder.add('blocked.yaml', interaction)).not.toThrow();
    expect(() => recorder.add('blocked.yaml', interaction)).not.toThrow();
    recorder.add('ok.yaml', interaction);
    expect(existsSync(join(d, 'ok.yaml'))).toBe(true);
    // Logged once for the file, not once per recording.
    expect(log.lines.filter((l) => l.startsWith('error')).length).toBe(1);
    expect(recorder.pending.map((p) => p.file)).toEqual(['blocked.yaml']);
  });
});

describe('several replicas recording to one folder', () => {
  const interaction = (uri: string) => ({ request: { method: 'POST', uri, headers: {}, body: '{}', body_hash: 'h' }, response: { status: { code: 200 }, headers: {}, body: { string: '{}' }, duration_ms: 1 }, context_values: {} });
  it('each replica writes its own file for a key, so none overwrites another; loading merges them', () => {
    const d = dir();
    const log = capture();
    const a = new Recorder(d, new Map(), true, log, 'replica-a');
    const b = new Recorder(d, new Map(), true, log, 'replica/b'); // a name unfit for a file name is made safe
    a.add('openai_chat.yaml', interaction('/a1'));
    b.add('openai_chat.yaml', interaction('/b1'));
    a.add('openai_chat.yaml', interaction('/a2'));
    expect(existsSync(join(d, 'openai_chat.replica-a.yaml'))).toBe(true);
    expect(existsSync(join(d, 'openai_chat.replica_b.yaml'))).toBe(true);
    expect(existsSync(join(d, 'openai_chat.yaml'))).toBe(false);
    const loaded = loadRecordings(d, log);
    expect(loaded.files.get('openai_chat.replica-a.yaml')).toHaveLength(2);
    expect(loaded.files.get('openai_chat.replica_b.yaml')).toHaveLength(1);
    // Restarted with the same name, a replica appends to its own file (it keeps what it had).
    const again = new Recorder(d, loaded.files, true, log, 'replica-a');
    again.add('openai_chat.yaml', interaction('/a3'));
    expect(loadRecordings(d, log).files.get('openai_chat.replica-a.yaml')).toHaveLength(3);
  });
});
