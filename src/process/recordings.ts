/**
 * Recording files on disk, owned by the main thread: loading every file of RECORDING_DIR at start
 * (replay and record modes), and in record mode keeping what was recorded and writing it — one
 * writer per file, atomically (temp file, then rename), so a crash never leaves half a file.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRecordingFile, serializeRecordingFile, type ReplayEntry } from '../core/recording/recording-file.js';
import type { Log } from '../log.js';

export interface LoadedRecordings {
  readonly entries: ReplayEntry[];
  /** Per file name: its interactions as found, to append new ones to. */
  readonly files: Map<string, unknown[]>;
}

export function loadRecordings(dir: string): LoadedRecordings {
  const entries: ReplayEntry[] = [];
  const files = new Map<string, unknown[]>();
  if (!existsSync(dir)) return { entries, files };
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
    const parsed = parseRecordingFile(readFileSync(join(dir, name), 'utf8'), join(dir, name));
    for (const e of parsed.entries) entries.push({ ...e, file: name });
    files.set(name, parsed.interactions);
  }
  return { entries, files };
}

export function writeFileAtomic(path: string, content: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}

export class Recorder {
  readonly #dir: string;
  readonly #files: Map<string, unknown[]>;
  readonly #dirty = new Set<string>();

  readonly #suffix: string;

  /**
   * `replica`: with several replicas recording to one share, each writes `<file>.<replica>.yaml`
   * (a rename over another replica's file would lose its recordings: last writer wins); at load
   * every file of the folder is read, so the replicas' files merge.
   */
  constructor(dir: string, existing: Map<string, unknown[]>, readonly autosave: boolean, readonly log: Log, replica?: string) {
    this.#dir = dir;
    this.#files = existing;
    this.#suffix = replica === undefined ? '' : `.${replica.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  }

  /** The file this replica writes for a recording key's file. */
  fileFor(file: string): string {
    return this.#suffix === '' ? file : file.replace(/\.yaml$/, `${this.#suffix}.yaml`);
  }

  add(key: string, interaction: unknown): void {
    const file = this.fileFor(key);
    let list = this.#files.get(file);
    if (!list) this.#files.set(file, (list = []));
    list.push(interaction);
    this.#dirty.add(file);
    if (this.autosave) this.save(file);
  }

  save(file: string): void {
    mkdirSync(this.#dir, { recursive: true });
    writeFileAtomic(join(this.#dir, file), serializeRecordingFile(this.#files.get(file) ?? []));
    this.#dirty.delete(file);
  }

  /** Writes every file with unsaved interactions; returns how many files were written. */
  saveAll(): number {
    const files = [...this.#dirty];
    for (const file of files) this.save(file);
    if (files.length > 0) this.log.info(`saved ${files.length} recording file(s) to ${this.#dir}`);
    return files.length;
  }
}
