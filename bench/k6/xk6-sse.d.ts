/**
 * Types for the xk6-sse community extension (`import sse from 'k6/x/sse'`, phymbert/xk6-sse),
 * which k6 ≥ 1.2 resolves and builds by itself from the import. Only what streaming-ttft.ts uses.
 */
declare module 'k6/x/sse' {
  export interface SseEvent {
    readonly id: string;
    readonly name: string;
    readonly data: string;
  }
  export interface SseError {
    error(): string;
  }
  export interface SseClient {
    on(event: 'open' | 'close', handler: () => void): void;
    on(event: 'event', handler: (event: SseEvent) => void): void;
    on(event: 'error', handler: (error: SseError) => void): void;
    close(): void;
  }
  export interface SseParams {
    readonly method?: string;
    readonly body?: string;
    readonly headers?: Record<string, string>;
    readonly tags?: Record<string, string>;
  }
  export interface SseResponse {
    readonly status: number;
    readonly error: string;
  }
  const sse: { open(url: string, params: SseParams, callback: (client: SseClient) => void): SseResponse };
  export default sse;
}
