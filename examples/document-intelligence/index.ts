// EXTENSION_PATH=examples/document-intelligence — a simulation of Azure AI Document Intelligence
// (Form Recognizer) beside Azure OpenAI, as the Python simulator's generator_doc_intelligence
// example: POST …/documentModels/{modelId}:analyze answers 202 with an Operation-Location to poll;
// GET …/analyzeResults/{resultId} answers "running" until the document would be read (1 s per
// 500 KB by default), then "succeeded" with a receipt. The analyze call has its own limiter:
// DOC_INTELLIGENCE_RPS requests per second for the whole simulator (default 15; 0: no limit).
//
// Both the old (/formrecognizer) and the new (/documentintelligence) paths are served. Clients
// authenticate with the simulator's key in `ocp-apim-subscription-key`, as with the real service.
//
// A folder extension: index.ts imports its sibling files; the simulator bundles them at start.
import type { ExtensionApi, SimRequest, SimResponse } from 'aoai-simulated-api/extension';
import { decodeJob, encodeJob, type Job } from './jobs.js';
import { analyzeResult } from './result.js';

export const apiVersion = 1;

const PREFIXES = ['/formrecognizer', '/documentintelligence'];
const KEY_HEADER = 'ocp-apim-subscription-key';

const numberFromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && process.env[name] !== '' && Number.isFinite(value) ? value : fallback;
};

export function initialize(api: ExtensionApi): void {
  const rps = Math.max(0, Math.floor(numberFromEnv('DOC_INTELLIGENCE_RPS', 15)));
  const bytesPerSecond = numberFromEnv('DOC_INTELLIGENCE_BYTES_PER_SECOND', 500_000);
  api.limiters.define(
    'docintelligence',
    api.limiters.requestsPerSecond('docintelligence', rps, {
      message: 'Requests to the Doc Intelligence API Simulator have exceeded call rate limit. Please retry after {seconds} seconds.',
    }),
  );

  const routes = PREFIXES.map((prefix) => ({
    prefix,
    analyze: api.route('POST', `${prefix}/documentModels/{modelId}:analyze`),
    result: api.route('GET', `${prefix}/documentModels/{modelId}/analyzeResults/{resultId}`),
  }));

  const analyze = (request: SimRequest, prefix: string, modelId: string): SimResponse => {
    const length = request.headers['content-length'];
    if (length === undefined) return api.errorResponse(411, 'LengthRequired', 'The Content-Length header is required.');
    const query = request.searchParams;
    const apiVersion = query.get('api-version') ?? '2023-07-31';
    const job: Job = {
      submittedAt: Date.now(),
      contentLength: Number(length) || request.body.length,
      modelId,
      apiVersion,
      stringIndexType: query.get('stringIndexType') ?? 'textElements',
    };
    const host = request.headers.host ?? 'localhost:8000';
    const location = `http://${host}${prefix}/documentModels/${modelId}/analyzeResults/${encodeJob(job)}?api-version=${encodeURIComponent(apiVersion)}`;
    return { status: 202, headers: { 'operation-location': location }, body: '', limiter: 'docintelligence' };
  };

  const result = (resultId: string): SimResponse => {
    const job = decodeJob(resultId);
    if (!job) return { status: 404, headers: {}, body: '' };
    const created = new Date(job.submittedAt).toISOString().replace(/\.\d+Z$/, 'Z');
    const readyAt = job.submittedAt + (job.contentLength / bytesPerSecond) * 1000;
    const now = Date.now();
    const updated = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    const headers = { 'content-type': 'application/json; charset=utf-8' };
    if (now < readyAt) return { status: 200, headers, body: JSON.stringify({ status: 'running', createdDateTime: created, lastUpdatedDateTime: updated }) };
    const content = api.lorem(Math.max(1, Math.round(job.contentLength / 25_000)));
    return {
      status: 200,
      headers,
      body: JSON.stringify({ status: 'succeeded', createdDateTime: created, lastUpdatedDateTime: updated, analyzeResult: analyzeResult(job, content) }),
    };
  };

  api.generators.add(
    (request) => {
      for (const route of routes) {
        const analyzing = route.analyze(request);
        const polling = analyzing ? undefined : route.result(request);
        if (!analyzing && !polling) continue;
        if (!api.isAuthorized(request, { header: KEY_HEADER })) return api.errors.unauthorized();
        return analyzing ? analyze(request, route.prefix, analyzing.modelId!) : result(polling!.resultId!);
      }
      return undefined;
    },
    { name: 'document-intelligence' },
  );
}
