/**
 * The model catalogue: every model a deployment may name, as data.
 *
 * Limits follow the published Azure OpenAI model pages (context window = prompt + completion;
 * `maxOutputTokens` = the largest completion the model produces). Names cover both the OpenAI
 * spelling (`gpt-3.5-turbo`) and Azure's (`gpt-35-turbo`), plus the Python simulator's names so its
 * deployment files load unchanged.
 */

export type EncodingName = 'cl100k_base' | 'o200k_base';

/** The operations a request can ask for; a model supports a subset. */
export type Operation = 'chat' | 'completions' | 'embeddings' | 'transcriptions' | 'translations' | 'images';

/** How a deployment of the model is rate-limited (python-compatibility.md §7): by tokens, or by requests per minute. */
export type LimitKind = 'tokens' | 'requests';

export interface ModelSpec {
  readonly name: string;
  readonly encoding: EncodingName;
  readonly operations: readonly Operation[];
  readonly limitKind: LimitKind;
  /** Prompt + completion tokens the model accepts; 0 where not token-based. */
  readonly contextWindow: number;
  /** Largest completion; 0 where the model does not generate text. */
  readonly maxOutputTokens: number;
  /** o-series and gpt-5 reasoning models: reject `max_tokens`, report reasoning tokens. */
  readonly reasoning?: boolean;
  /** Chat-message token accounting (OpenAI cookbook): gpt-3.5-turbo-0301 differs from all others. */
  readonly tokensPerMessage?: number;
  readonly tokensPerName?: number;
  /** Embedding models: default vector size and whether `dimensions` may shorten it. */
  readonly embeddingSize?: number;
  readonly customDimensions?: boolean;
}

type Row = [name: string, encoding: EncodingName, contextWindow: number, maxOutputTokens: number, extra?: Partial<ModelSpec>];

const CHAT: readonly Operation[] = ['chat'];
// The Python simulator served completions from gpt-3.5-turbo deployments; keep that working.
const CHAT_AND_COMPLETIONS: readonly Operation[] = ['chat', 'completions'];

const chatRows: Row[] = [
  ['gpt-3.5-turbo', 'cl100k_base', 16_385, 4_096, { operations: CHAT_AND_COMPLETIONS }],
  ['gpt-3.5-turbo-0301', 'cl100k_base', 4_096, 4_096, { operations: CHAT_AND_COMPLETIONS, tokensPerMessage: 4, tokensPerName: -1 }],
  ['gpt-3.5-turbo-0613', 'cl100k_base', 4_096, 4_096, { operations: CHAT_AND_COMPLETIONS }],
  ['gpt-3.5-turbo-1106', 'cl100k_base', 16_385, 4_096, { operations: CHAT_AND_COMPLETIONS }],
  ['gpt-3.5-turbo-0125', 'cl100k_base', 16_385, 4_096, { operations: CHAT_AND_COMPLETIONS }],
  ['gpt-3.5-turbo-16k', 'cl100k_base', 16_384, 4_096, { operations: CHAT_AND_COMPLETIONS }],
  ['gpt-35-turbo', 'cl100k_base', 16_385, 4_096, { operations: CHAT_AND_COMPLETIONS }],
  ['gpt-35-turbo-16k', 'cl100k_base', 16_384, 4_096, { operations: CHAT_AND_COMPLETIONS }],
  ['gpt-3.5-turbo-instruct', 'cl100k_base', 4_097, 4_096, { operations: ['completions'] }],
  ['gpt-35-turbo-instruct', 'cl100k_base', 4_097, 4_096, { operations: ['completions'] }],
  ['gpt-4', 'cl100k_base', 8_192, 8_192],
  ['gpt-4-32k', 'cl100k_base', 32_768, 32_768],
  ['gpt-4-turbo', 'cl100k_base', 128_000, 4_096],
  ['gpt-4o', 'o200k_base', 128_000, 16_384],
  ['gpt-4o-mini', 'o200k_base', 128_000, 16_384],
  ['gpt-4.1', 'o200k_base', 1_047_576, 32_768],
  ['gpt-4.1-mini', 'o200k_base', 1_047_576, 32_768],
  ['gpt-4.1-nano', 'o200k_base', 1_047_576, 32_768],
  ['o1', 'o200k_base', 200_000, 100_000, { reasoning: true }],
  ['o1-mini', 'o200k_base', 128_000, 65_536, { reasoning: true }],
  ['o3', 'o200k_base', 200_000, 100_000, { reasoning: true }],
  ['o3-mini', 'o200k_base', 200_000, 100_000, { reasoning: true }],
  ['o4-mini', 'o200k_base', 200_000, 100_000, { reasoning: true }],
  ['gpt-5', 'o200k_base', 400_000, 128_000, { reasoning: true }],
  ['gpt-5-mini', 'o200k_base', 400_000, 128_000, { reasoning: true }],
  ['gpt-5-nano', 'o200k_base', 400_000, 128_000, { reasoning: true }],
  ['gpt-5-chat', 'o200k_base', 128_000, 16_384],
];

const embeddingRows: Row[] = [
  ['text-embedding-ada-001', 'cl100k_base', 2_046, 0, { embeddingSize: 1024, customDimensions: false }],
  ['text-embedding-ada-002', 'cl100k_base', 8_191, 0, { embeddingSize: 1536, customDimensions: false }],
  ['text-embedding-3-small', 'cl100k_base', 8_191, 0, { embeddingSize: 1536, customDimensions: true }],
  // 3-medium and 3-xlarge are not Azure models; the Python simulator's catalogue has them.
  ['text-embedding-3-medium', 'cl100k_base', 8_191, 0, { embeddingSize: 2048, customDimensions: true }],
  ['text-embedding-3-large', 'cl100k_base', 8_191, 0, { embeddingSize: 3072, customDimensions: true }],
  ['text-embedding-3-xlarge', 'cl100k_base', 8_191, 0, { embeddingSize: 4096, customDimensions: true }],
];

const requestLimitedRows: Row[] = [
  ['whisper', 'cl100k_base', 0, 0, { operations: ['transcriptions', 'translations'] }],
  ['dall-e-3', 'cl100k_base', 0, 0, { operations: ['images'] }],
  ['gpt-image-1', 'o200k_base', 0, 0, { operations: ['images'] }],
];

function build(rows: Row[], operations: readonly Operation[], limitKind: LimitKind): ModelSpec[] {
  return rows.map(([name, encoding, contextWindow, maxOutputTokens, extra]) =>
    Object.freeze({ name, encoding, contextWindow, maxOutputTokens, operations, limitKind, ...extra }),
  );
}

const catalogue: ReadonlyMap<string, ModelSpec> = new Map(
  [
    ...build(chatRows, CHAT, 'tokens'),
    ...build(embeddingRows, ['embeddings'], 'tokens'),
    ...build(requestLimitedRows, [], 'requests'),
  ].map((m) => [m.name, m]),
);

/** A dated version (`gpt-4o-2024-08-06`) resolves to its base model. */
const DATED_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

export function findModel(name: string): ModelSpec | undefined {
  return catalogue.get(name) ?? catalogue.get(name.replace(DATED_SUFFIX, ''));
}

export function knownModelNames(): string[] {
  return [...catalogue.keys()];
}

/** Models given to deployments nobody configured (python-compatibility.md §3.3), per operation. */
export const UNDEFINED_DEPLOYMENT_MODEL: Readonly<Record<Operation, string>> = {
  chat: 'gpt-3.5-turbo-0613',
  completions: 'gpt-3.5-turbo-0613',
  embeddings: 'text-embedding-ada-002',
  transcriptions: 'whisper',
  translations: 'whisper',
  images: 'dall-e-3',
};

export function supports(model: ModelSpec, operation: Operation): boolean {
  return model.operations.includes(operation);
}
