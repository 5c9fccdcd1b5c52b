'use strict';
/**
 * Which uWebSockets.js build this Node.js loads. uWebSockets.js is not on the npm registry; two
 * republished builds are, each an npm alias in the root package.json, and neither covers every
 * Node.js the simulator supports on every machine:
 *
 *   uws-btc-vision    Node 20, 22, 24, 25 (Linux x64/arm64, macOS, Windows); Linux needs glibc ≥ 2.38
 *   uws-trufflesuite  Node 20 (and 16, 18); Linux needs glibc ≥ 2.34 (Debian 12)
 *
 * The first build whose binary for this platform and Node ABI loads is used. A build that does not
 * load (no binary for this ABI, an older glibc, a binary pruned from an image) is skipped; when
 * none loads, the simulator stops at start with one line that says what would work.
 *
 * The table lists only the Node majors the project supports and tests; with OLDEST it is what
 * package.json `engines` says (a unit test keeps the two the same).
 */
const { dirname, join } = require('node:path');

const BUILDS = [
  {
    alias: 'uws-btc-vision',
    source: '@btc-vision/uwebsockets.js@20.57.0',
    node: { 115: '20', 127: '22', 137: '24', 141: '25' },
    glibc: '2.38',
    distros: 'Debian 13, Ubuntu 24.04',
    // Binaries beside its main module, which adds JS helpers (DeclarativeResponse) to the binary.
    binary: (tag) => `uws_${tag}.node`,
    useMain: true,
  },
  {
    alias: 'uws-trufflesuite',
    source: '@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0',
    node: { 115: '20' },
    glibc: '2.34',
    distros: 'Debian 12, Ubuntu 22.04',
    // Its main module (src/uws.js) falls back to a slow JavaScript server when the binary does not
    // load, with only a warning: the binary is taken directly instead.
    binary: (tag) => `../binaries/uws_${tag}.node`,
    useMain: false,
  },
];

/** The oldest release of a major the project runs on, where not x.0.0: vite 8 (vitest) needs these. */
const OLDEST = { 20: '20.19.0', 22: '22.12.0' };

function older(version, than) {
  const [a, b] = [version, than].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

function glibcVersion() {
  if (process.platform !== 'linux') return undefined;
  return process.report?.getReport().header.glibcVersionRuntime; // undefined on musl
}

/** "20.19+, 22.12+, 24 or 25" */
function majors(build) {
  const list = [...new Set(Object.values(build.node))].map((m) => (OLDEST[m] ? `${OLDEST[m].split('.').slice(0, 2).join('.')}+` : m));
  return list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list.at(-1)}` : list[0];
}

function whatWorks() {
  const linux = process.platform === 'linux';
  const options = BUILDS.map((b) => `Node ${majors(b)}${linux ? ` with glibc ≥ ${b.glibc} (${b.distros})` : ''}`);
  return `${options.join('; ')}${linux ? '; or the Docker image (Node 24 on Debian 13)' : ''}`;
}

function unsupported(reason) {
  return { ok: false, problem: `${reason}; what works: ${whatWorks()}` };
}

function selectBuild() {
  const version = process.versions.node;
  const oldest = OLDEST[version.split('.')[0]];
  if (oldest && older(version, oldest)) return unsupported(`Node.js ${version} is older than ${oldest}`);
  const tag = `${process.platform}_${process.arch}_${process.versions.modules}`;
  for (const build of BUILDS) {
    if (!(process.versions.modules in build.node)) continue;
    let main;
    try {
      main = require.resolve(build.alias);
    } catch {
      continue; // not installed
    }
    const binary = join(dirname(main), build.binary(tag));
    try {
      const native = require(binary);
      return { ok: true, build, binary, uws: build.useMain ? require(main) : native };
    } catch {
      // no binary for this platform, or it does not load here (e.g. GLIBC_2.38 not found)
    }
  }
  const glibc = glibcVersion();
  const libc = process.platform !== 'linux' ? '' : glibc ? ` with glibc ${glibc}` : ' without glibc (musl?)';
  return unsupported(`Node.js ${version} on ${process.platform}-${process.arch}${libc} loads no uWebSockets.js build`);
}

function uwsProblem() {
  const selected = selectBuild();
  return selected.ok ? undefined : selected.problem;
}

module.exports = { BUILDS, OLDEST, selectBuild, uwsProblem };
