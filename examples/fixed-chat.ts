// EXTENSION_PATH=examples/fixed-chat.ts — replaces the built-in chat generator with one that
// ignores the request's max_tokens: every answer is exactly 10 tokens of lorem text with
// finish_reason "stop" (as the Python simulator's generator_replace_chat_completion example).
// Streams too: the events go out at once, in the shape the OpenAI SDKs read.
import type { ExtensionApi, SimRequest, SimResponse } from 'aoai-simulated-api/extension';

export const apiVersion = 1;

const ANSWER_TOKENS = 10;

interface ChatBody {
  model?: string;
  stream?: boolean;
  messages?: { content?: unknown }[];
}

export function initialize(api: ExtensionApi): void {
  const azure = api.route('POST', '/openai/deployments/{deployment}/chat/completions');
  const openai = api.route('POST', '/openai/v1/chat/completions');

  const chat = (request: SimRequest): SimResponse | undefined => {
    const params = azure(request) ?? openai(request);
    if (!params) return undefined;
    const body = (request.json() ?? {}) as ChatBody;
    const name = params.deployment ?? body.model ?? '';
    const deployment = api.deployments.get(name);
    if (!deployment) return api.errors.deploymentNotFound();
    const encoding = deployment.encoding;
    const content = api.lorem(ANSWER_TOKENS, { encoding });
    const promptTokens = (body.messages ?? []).reduce((sum, m) => sum + api.countTokens(typeof m.content === 'string' ? m.content : '', { encoding }), 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: ANSWER_TOKENS, total_tokens: promptTokens + ANSWER_TOKENS };
    const id = `chatcmpl-fixed-${request.id}`;
    const created = Math.floor(Date.now() / 1000);
    const common = { id, created, model: deployment.model };
    // The built-in limiter of the deployment still applies, and the latency: 10 ms a token.
    const extras = { limiter: 'openai', latencyMs: 10 * ANSWER_TOKENS };
    if (!body.stream) {
      return {
        ...api.json(200, { ...common, object: 'chat.completion', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }], usage }),
        ...extras,
      };
    }
    const chunk = (delta: object, finish: string | null): string =>
      `data: ${JSON.stringify({ ...common, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const events = [chunk({ role: 'assistant', content: '' }, null), chunk({ content }, null), chunk({}, 'stop'), 'data: [DONE]\n\n'];
    return { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body: events.join(''), ...extras };
  };

  api.generators.replace('chat', chat);
}
