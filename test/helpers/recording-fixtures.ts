/** Recording files for tests: one good interaction in the Python layout, and a YAML alias bomb. */

/** One chat interaction at /openai/deployments/d/chat/completions answering `{"ok":true}`. */
export const GOOD_RECORDING = `interactions:
- context_values: {}
  request:
    body: '{}'
    body_hash: 99914b932bd37a50b983c5e7c90ae93b
    headers: {}
    method: POST
    uri: https://x.openai.azure.com/openai/deployments/d/chat/completions
  response:
    body:
      string: '{"ok":true}'
    duration_ms: 1
    headers: {}
    status:
      code: 200
version: 1
`;

/** A billion-laughs file: ~600 bytes whose aliases stand for 10^9 copies of a 100-character string, used as the answer body. */
export function aliasBomb(): string {
  let y = 'a0: &a0 ["' + 'x'.repeat(100) + '"]\n';
  for (let i = 1; i < 10; i++) y += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]\n`;
  return y + GOOD_RECORDING.replace("string: '{\"ok\":true}'", 'string: *a9');
}
