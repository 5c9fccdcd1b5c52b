/**
 * Recording files on disk, owned by the main thread: loading every file of RECORDING_DIR at start
 * (replay and record modes), and in record mode keeping what was recorded and writing it — one
 * writer per file, atomically (temp file, then rename), so a crash never leaves half a file.
 *
 * Nothing recorded is dropped silently: a file that cannot be written stays pending (and is
 * retried at the next save, its next recording, and at shutdown), the log names it, and the
 * other files are written regardless — one bad file never blocks the rest.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { RecordingFileError, type ReplayEntry } from '../core/recording/recording-file.js';
import { parseRecordingFile, serializeRecordingFile } from '../core/recording/recording-yaml.js';
import type { Log } from '../log.js';
import { SimulatorError } from '../core/errors.js';

export interface LoadedRecordings {
  readonly entries: ReplayEntry[];
  /** Per file name: its interactions as found, to append new ones to. */
  readonly files: Map<string, unknown[]>;
}

const reason = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? String(err);

/** What a `.yaml` entry of the folder is, following a symbolic link once. */
function kindOf(dir: string, entry: Dirent): 'file' | string {
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return entry.isDirectory() ? 'a folder' : 'not a regular file';
  try {
    const target = statSync(join(dir, entry.name));
    return target.isFile() ? 'file' : target.isDirectory() ? 'a symbolic link to a folder' : 'a symbolic link to something other than a file';
  } catch (err) {
    return `a symbolic link that cannot be followed (${reason(err)})`;
  }
}

/**
 * Reads every regular `.yaml` file of `dir` (symbolic links to files included). Other `.yaml`
 * entries — folders, dangling links, devices, FIFOs (which would block the read) — are skipped
 * with a warning naming them. A file that cannot be read or parsed stops the start with a
 * RecordingFileError: one line naming the file.
 */
export function loadRecordings(dir: string, log?: Pick<Log, 'warn'>): LoadedRecordings {
  const entries: ReplayEntry[] = [];
  const files = new Map<string, unknown[]>();
  let listing: Dirent[];
  try {
    listing = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries, files };
    throw new RecordingFileError(`RECORDING_DIR ${dir}: cannot read the folder (${reason(err)})`);
  }
  const warn = log ? (m: string) => log.warn(m) : (m: string) => process.stderr.write(`aoai-simulated-api: ${m}\n`);
  for (const entry of listing.filter((e) => e.name.endsWith('.yaml')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    const kind = kindOf(dir, entry);
    if (kind !== 'file') {
      warn(`recordings: skipped ${path}: ${kind}`);
      continue;
    }
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch (err) {
      throw new RecordingFileError(`${path}: cannot read (${reason(err)})`);
    }
    let parsed;
    try {
      parsed = parseRecordingFile(content, path);
    } catch (err) {
      if (err instanceof RecordingFileError) throw err;
      // Whatever else a hostile file provokes (a string too long, a stack too deep), still one line.
      throw new RecordingFileError(`${path}: cannot be loaded (${(err as Error)?.message ?? String(err)})`);
    }
    for (const e of parsed.entries) entries.push({ ...e, file: entry.name });
    files.set(entry.name, parsed.interactions);
  }
  return { entries, files };
}

export function writeFileAtomic(path: string, content: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, content);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** A file whose recordings are not on disk yet, and why the last attempt failed. */
export interface SaveFailure {
  readonly file: string;
  readonly reason: string;
}

/** Thrown by `saveAll` after it wrote what it could: says what was saved and what was not. */
export class RecordingSaveError extends SimulatorError {
  override name = 'RecordingSaveError';
  readonly code = 'SIM_ERR_RECORDING_SAVE';
  constructor(
    readonly saved: number,
    readonly failures: readonly SaveFailure[],
  ) {
    super(
      `saved ${saved} file(s); ${failures.length} could not be saved: ` +
        failures.map((f) => `${f.file} (${f.reason})`).join(', '),
    );
  }
}

export class Recorder {
  readonly #dir: string;
  readonly #files: Map<string, unknown[]>;
  readonly #dirty = new Set<string>();
  /** Files whose last write failed, with the reason. */
  readonly #failed = new Map<string, string>();

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

  /** Keeps an interaction; with autosave, writes its file now. Never throws: a failed write is logged and stays pending. */
  add(key: string, interaction: unknown): void {
    const file = this.fileFor(key);
    let list = this.#files.get(file);
    if (!list) this.#files.set(file, (list = []));
    list.push(interaction);
    this.#dirty.add(file);
    if (this.autosave) this.#trySave(file);
  }

  /** Writes one file; throws what the file system said. */
  save(file: string): void {
    mkdirSync(this.#dir, { recursive: true });
    writeFileAtomic(join(this.#dir, file), serializeRecordingFile(this.#files.get(file) ?? []));
    this.#dirty.delete(file);
    if (this.#failed.delete(file)) this.log.info(`saved ${join(this.#dir, file)} after an earlier failure`);
  }

  #trySave(file: string): SaveFailure | undefined {
    try {
      this.save(file);
      return undefined;
    } catch (err) {
      const failure = { file, reason: (err as Error)?.message ?? String(err) };
      // Logged once per file and reason, not once per recording: a full disk must not flood the log.
      if (this.#failed.get(file) !== failure.reason) this.log.error(`could not save recordings to ${join(this.#dir, file)}: ${failure.reason} (kept in memory; retried at the next save and at shutdown)`);
      this.#failed.set(file, failure.reason);
      return failure;
    }
  }

  /** Files with recordings not on disk yet, and the last reason for each that failed. */
  get pending(): readonly SaveFailure[] {
    return [...this.#dirty].map((file) => ({ file, reason: this.#failed.get(file) ?? 'not saved yet' }));
  }

  /**
   * Writes every file with unsaved interactions, each on its own: a failure does not stop the
   * others. Returns how many files were written, or — once every file was tried — throws a
   * RecordingSaveError naming the ones that failed (they stay pending).
   */
  saveAll(): number {
    const files = [...this.#dirty];
    const failures: SaveFailure[] = [];
    for (const file of files) {
      const failure = this.#trySave(file);
      if (failure) failures.push(failure);
    }
    const saved = files.length - failures.length;
    if (saved > 0) this.log.info(`saved ${saved} recording file(s) to ${this.#dir}`);
    if (failures.length > 0) throw new RecordingSaveError(saved, failures);
    return saved;
  }
}
