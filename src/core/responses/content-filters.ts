/**
 * Azure's `content_filters` on a finished response (reference §4.3): one block for the prompt and
 * one for the completion, every category "safe". Offsets are character positions in the checked
 * text; the service's exact offsets are not documented, so the prompt block spans the input's
 * tokens and the completion block the output's characters (a guess, harmless: no SDK reads them).
 */
const SAFE = '{"filtered":false,"severity":"safe"}';
const NOT_DETECTED = '{"filtered":false,"detected":false}';

const PROMPT_RESULTS = `{"hate":${SAFE},"jailbreak":${NOT_DETECTED},"self_harm":${SAFE},"sexual":${SAFE},"violence":${SAFE}}`;
const COMPLETION_RESULTS =
  `{"hate":${SAFE},"protected_material_code":${NOT_DETECTED},"protected_material_text":${NOT_DETECTED},"self_harm":${SAFE},"sexual":${SAFE},"violence":${SAFE}}`;

export function contentFiltersJson(promptLength: number, completionLength: number): string {
  return (
    `[{"blocked":false,"source_type":"prompt","content_filter_raw":null,"content_filter_results":${PROMPT_RESULTS},` +
    `"content_filter_offsets":{"start_offset":0,"end_offset":${promptLength},"check_offset":0}},` +
    `{"blocked":false,"source_type":"completion","content_filter_raw":null,"content_filter_results":${COMPLETION_RESULTS},` +
    `"content_filter_offsets":{"start_offset":0,"end_offset":${completionLength},"check_offset":0}}]`
  );
}
