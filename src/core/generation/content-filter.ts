/**
 * Azure's content-filter annotations, always "safe" here. Kept as pre-serialised JSON because every
 * response and many stream events carry them.
 */
import { sseEvent } from './sse.js';

const SAFE = { filtered: false, severity: 'safe' };

export const CONTENT_FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };

export const PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: {
      hate: SAFE,
      jailbreak: { filtered: false, detected: false },
      self_harm: SAFE,
      sexual: SAFE,
      violence: SAFE,
    },
  },
];

export const CONTENT_FILTER_JSON = JSON.stringify(CONTENT_FILTER_RESULTS);
export const PROMPT_FILTER_JSON = JSON.stringify(PROMPT_FILTER_RESULTS);

/** The first event of every AOAI stream: no choices, only the prompt's filter results. */
export const PROMPT_FILTER_EVENT = sseEvent(`{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":${PROMPT_FILTER_JSON}}`);
