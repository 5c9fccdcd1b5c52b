/**
 * How the simulated model behaves where the live service leaves a choice to the model, or where
 * its behaviour is unconfirmed (reference §2.3): settings, and `tool_choice_auto` also a
 * `/++/config` field.
 */
import type { StrictRules } from '../schema/strict.js';

export type ToolChoiceAuto = 'call' | 'answer';
export type ForcedFinishReason = 'stop' | 'tool_calls';

export interface AgentPolicy {
  /** `tool_choice: auto` on a turn that does not follow a tool result: call a tool, or answer text. */
  readonly toolChoiceAuto: ToolChoiceAuto;
  /** finish_reason when a named function is forced: `stop` on OpenAI; unconfirmed on Azure. */
  readonly namedToolFinishReason: ForcedFinishReason;
  /** finish_reason with `tool_choice: required`: `tool_calls` usually, `stop` observed; unconfirmed on Azure. */
  readonly requiredToolFinishReason: ForcedFinishReason;
  /** Which strict-mode schema subset is enforced (core/schema/strict.ts). */
  readonly strictSchemas: StrictRules;
}

export const DEFAULT_AGENT_POLICY: AgentPolicy = Object.freeze({
  toolChoiceAuto: 'call',
  namedToolFinishReason: 'stop',
  requiredToolFinishReason: 'tool_calls',
  strictSchemas: 'openai',
});
