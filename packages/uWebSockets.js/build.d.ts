/** One uWebSockets.js build the project installs (an npm alias in the root package.json). */
export interface Build {
  /** The alias in package.json. */
  readonly alias: string;
  /** The package it stands for and its version, e.g. `@btc-vision/uwebsockets.js@20.57.0`. */
  readonly source: string;
  /** The Node.js majors and the ABIs (`process.versions.modules`) it has binaries for. */
  readonly node: Readonly<Record<string, string>>;
  /** The oldest glibc its Linux binaries load on. */
  readonly glibc: string;
  /** Linux distributions with that glibc, for the message when no build loads. */
  readonly distros: string;
  /** The binary for a `<platform>_<arch>_<abi>` tag, relative to the folder of the alias's main module. */
  binary(tag: string): string;
  /** Whether its main module is what `uWebSockets.js` exports (else the binary itself). */
  readonly useMain: boolean;
}

export type Selection =
  | { readonly ok: true; readonly build: Build; readonly binary: string; readonly uws: unknown }
  | { readonly ok: false; readonly problem: string };

/** Every build, in the order they are tried. */
export const BUILDS: readonly Build[];
/** The oldest release of a major the project runs on, where it is not `<major>.0.0`. */
export const OLDEST: Readonly<Record<string, string>>;
/** The first build whose binary loads on this Node.js, or one line saying what would work. */
export function selectBuild(): Selection;
/** The one-line reason no build loads here, or undefined when one does. */
export function uwsProblem(): string | undefined;
