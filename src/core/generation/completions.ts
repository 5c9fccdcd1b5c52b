/** Legacy completions (`/completions`), incl. streaming. One prompt or several; `n` answers each. */
import { usageJson, type Answer } from './answer.js';
import { checkAnswerBudget, generateChoice, MAX_CHOICES, totalTokens, type Choice } from './choices.js';
import { CONTENT_FILTER_JSON, PROMPT_FILTER_EVENT, PROMPT_FILTER_JSON } from './content-filter.js';
import type { Deployment } from '../config/deployments.js';
import { errors, fail } from '../errors.js';
import type { GenerateOptions } from './options.js';
import { randomId } from '../ids.js';
import { corpusFor } from './lorem.js';
import { countInput } from './prompt-tokens.js';
import { validateCompletion } from './requests.js';
import { SSE_DONE, sseEvent } from './sse.js';
import { getEncoding } from '../tokens/tokenizer.js';

/** The live completions API answers 16 tokens when `max_tokens` is not given. */
export const DEFAULT_COMPLETION_MAX_TOKENS = 16;

export function generateCompletion(body: unknown, deployment: Deployment, options: GenerateOptions): Answer {
  const req = validateCompletion(body);
  const model = deployment.model;
  const encoding = getEncoding(model.encoding);
  const perPrompt = countInput(req.prompt, encoding);
  const limit = req.max_tokens ?? DEFAULT_COMPLETION_MAX_TOKENS;
  if (limit > model.maxOutputTokens) fail(errors.maxTokensTooLarge('max_tokens', limit, model.maxOutputTokens));
  const longest = Math.max(...perPrompt);
  if (longest + limit > model.contextWindow) fail(errors.contextLengthExceeded(model.contextWindow, longest, limit, 'prompt'));

  const n = req.n ?? 1;
  if (perPrompt.length * n > MAX_CHOICES) {
    fail(errors.invalidValue('n', `${perPrompt.length} prompt(s) × n=${n} exceeds the limit of ${MAX_CHOICES} choices per request.`));
  }
  checkAnswerBudget(perPrompt.length * n, limit, 'n');
  const corpus = corpusFor(encoding);
  const choices: Choice[] = [];
  for (let p = 0; p < perPrompt.length * n; p++) choices.push(generateChoice(corpus, limit, limit, options.answerLength));
  const promptTokens = perPrompt.reduce((a, b) => a + b, 0);
  const completionTokens = totalTokens(choices);
  const id = randomId('cmpl-');
  const created = Math.floor(Date.now() / 1000);
  const head = `"created":${created},"id":"${id}","model":"${model.name}","object":"text_completion"`;

  if (req.stream) {
    const includeUsage = req.stream_options?.include_usage === true;
    const chunk = (choice: string): string => sseEvent(`{"choices":[${choice}],${head}${includeUsage ? ',"usage":null' : ''}}`);
    // Per token, only the token's JSON string changes: the rest is made once per choice.
    const before = choices.map((_, i) => `data: {"choices":[{"content_filter_results":${CONTENT_FILTER_JSON},"finish_reason":null,"index":${i},"logprobs":null,"text":`);
    const frame = `],${head}${includeUsage ? ',"usage":null' : ''}}\n\n`;
    const tail = choices.map((c, i) =>
      chunk(`{"content_filter_results":{},"finish_reason":"${c.finishReason}","index":${i},"logprobs":null,"text":""}`),
    );
    if (includeUsage) tail.push(sseEvent(`{"choices":[],${head},"usage":${usageJson(promptTokens, completionTokens)}}`));
    tail.push(SSE_DONE);
    return {
      kind: 'stream',
      promptTokens,
      completionTokens,
      choices: choices.length,
      head: [PROMPT_FILTER_EVENT],
      tokens: { encoding: model.encoding, count: completionTokens, before, after: choices.map(() => '}'), frame, parts: choices.map((c) => c.parts) },
      tail,
    };
  }
  const choicesJson = choices
    .map(
      (c, i) =>
        `{"content_filter_results":${CONTENT_FILTER_JSON},"finish_reason":"${c.finishReason}","index":${i},"logprobs":null,"text":${JSON.stringify(c.text)}}`,
    )
    .join(',');
  const json = `{"choices":[${choicesJson}],${head},"prompt_filter_results":${PROMPT_FILTER_JSON},"usage":${usageJson(promptTokens, completionTokens)}}`;
  return { kind: 'json', body: json, promptTokens, completionTokens };
}
