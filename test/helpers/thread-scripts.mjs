/**
 * A preload for the simulator under test (`NODE_OPTIONS=--import <this file>`, with
 * THREAD_SCRIPTS_DIR set): when a front-end thread exits, it writes the URL of every script V8
 * parsed in that thread — ES modules and CommonJS alike, as the inspector's Debugger domain
 * reports them — to `<dir>/<threadId>.txt`, one a line. Plain JavaScript: Node loads it before
 * anything is compiled. Used by test/e2e/thread-modules.test.ts.
 */
import { Session } from 'node:inspector';
import process from 'node:process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

const dir = process.env.THREAD_SCRIPTS_DIR;
if (dir && !isMainThread && process.argv[1]?.endsWith('front-end/thread.js')) {
  process.on('exit', () => {
    const urls = [];
    const session = new Session();
    session.connect();
    // Enabling the domain reports every script already parsed, synchronously.
    session.on('Debugger.scriptParsed', (m) => urls.push(m.params.url));
    session.post('Debugger.enable');
    session.disconnect();
    writeFileSync(join(dir, `${threadId}.txt`), urls.join('\n'));
  });
}
