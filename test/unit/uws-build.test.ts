/**
 * packages/uWebSockets.js picks the uWebSockets.js build that loads on this Node.js. The suite runs
 * on the machine's Node (20, glibc 2.36 here) and again on Node 24 on Debian 13 (glibc 2.41), so
 * each run checks the choice its own runtime must make.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import uWS from 'uWebSockets.js';
import { BUILDS, OLDEST, selectBuild, uwsProblem } from 'uWebSockets.js/build';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};

function glibcAtLeast(version: string): boolean {
  const header = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header;
  const [have, want] = [header.glibcVersionRuntime ?? '0.0', version].map((v) => v.split('.').map(Number));
  return have![0]! > want![0]! || (have![0] === want![0] && have![1]! >= want![1]!);
}

describe('the uWebSockets.js build', () => {
  it('is a native binary that loads here, the newest build whose binary loads', () => {
    const selected = selectBuild();
    expect(uwsProblem()).toBeUndefined();
    if (!selected.ok) throw new Error(selected.problem);
    // The newest build (btc-vision) where its glibc floor is met; the older one only for Node 20.
    const expected = process.platform !== 'linux' || glibcAtLeast('2.38') ? 'uws-btc-vision' : 'uws-trufflesuite';
    expect(selected.build.alias).toBe(expected);
    expect(selected.binary).toMatch(new RegExp(`uws_${process.platform}_${process.arch}_${process.versions.modules}\\.node$`));
    // Never the JavaScript fallback the older build's own entry point would switch to.
    expect(Function.prototype.toString.call(uWS.App)).toContain('[native code]');
    expect(uWS.App).toBe((require(selected.binary) as typeof uWS).App);
  });

  it('is one of the npm aliases in package.json, each at the version the table names', () => {
    for (const build of BUILDS) {
      const [name, version] = [build.source.slice(0, build.source.lastIndexOf('@')), build.source.slice(build.source.lastIndexOf('@') + 1)];
      expect(pkg.dependencies[build.alias]).toBe(`npm:${name}@${version}`);
    }
    expect(pkg.dependencies['uWebSockets.js']).toBe('file:packages/uWebSockets.js');
  });

  it('covers exactly the Node.js versions package.json engines names', () => {
    const majors = [...new Set(BUILDS.flatMap((b) => Object.values(b.node)))].sort((a, b) => Number(a) - Number(b));
    expect(pkg.engines.node).toBe(majors.map((m) => `^${OLDEST[m] ?? `${m}.0.0`}`).join(' || '));
  });
});
