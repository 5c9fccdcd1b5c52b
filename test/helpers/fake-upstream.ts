/**
 * A local HTTP server that behaves like Azure OpenAI for record-mode tests: JSON chat answers,
 * streamed chat answers with events spaced in time, embeddings, a 500 and a hang. It remembers
 * the credentials each request carried, so tests can check what was forwarded.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';

export const STREAM_GAP_MS = 60;

export interface FakeUpstream {
  readonly url: string;
  readonly seen: { path: string; apiKey: string | undefined; authorization: string | undefined; cookie: string | undefined; simulatorHeaders: string[] }[];
  close(): Promise<void>;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => resolve(body));
  });
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const seen: FakeUpstream['seen'] = [];
  let counter = 0;
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    seen.push({ path, apiKey: req.headers['api-key'] as string | undefined, authorization: req.headers.authorization, cookie: req.headers.cookie, simulatorHeaders: Object.keys(req.headers).filter((h) => h.startsWith('x-simulator-')) });
    const body = JSON.parse((await read(req)) || '{}') as { stream?: boolean; messages?: { content: string }[]; input?: unknown };
    const n = ++counter;
    if (path.endsWith('/hang')) return; // never answers
    if (path.endsWith('/fail/chat/completions')) {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { code: 'InternalServerError', message: 'upstream exploded' } }));
    }
    const common = { 'x-ratelimit-remaining-requests': '99', 'set-cookie': 'session=upstream-cookie-secret', 'x-ms-region': 'East US' };
    if (path.endsWith('/embeddings')) {
      res.writeHead(200, { 'content-type': 'application/json', ...common });
      return res.end(JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], model: 'text-embedding-ada-002', usage: { prompt_tokens: 3, total_tokens: 3 } }));
    }
    const id = `chatcmpl-upstream-${n}`;
    const words = ['Recorded', ' answer', ' number', ` ${n}`, '.'];
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', ...common });
      const events = [
        { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] },
        ...words.map((w, i) => ({ id, object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content: w } : { content: w }, finish_reason: null }] })),
        { id, object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      ];
      for (const e of events) {
        res.write(`data: ${JSON.stringify(e)}\n\n`);
        await new Promise((r) => setTimeout(r, STREAM_GAP_MS));
      }
      return res.end('data: [DONE]\n\n');
    }
    const answer = JSON.stringify({
        id,
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o',
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: words.join('') } }],
        usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
      });
    // Like the service, compress when the client accepts it (the simulator must ask for identity).
    if (/gzip/.test(String(req.headers['accept-encoding'] ?? ''))) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', ...common });
      return res.end(gzipSync(answer));
    }
    res.writeHead(200, { 'content-type': 'application/json', ...common });
    res.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
