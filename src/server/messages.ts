/** The messages between the main thread and the front-end threads, as one typed protocol. */
import type { RecordedInteraction, ReplayEntry } from '../core/recording-file.js';

/** Front-end → main. */
export type FrontEndMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'listen-failed' }
  /** Record mode: a new interaction to save (and to share with the other threads). */
  | { readonly type: 'recorded'; readonly file: string; readonly interaction: RecordedInteraction }
  /** `POST /++/save-recordings`: save everything pending, answer with `saved`. */
  | { readonly type: 'save'; readonly id: number };

/** Main → front-end. */
export type MainMessage =
  | { readonly type: 'shutdown' }
  | { readonly type: 'replay-entry'; readonly entry: ReplayEntry }
  | { readonly type: 'saved'; readonly id: number; readonly files: number; readonly error?: string };
