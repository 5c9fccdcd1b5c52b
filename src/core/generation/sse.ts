/** Server-sent events as the service frames them: `data: <json>\n\n`, ending with `data: [DONE]\n\n`. */
export const sseEvent = (json: string): string => `data: ${json}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * ~14 KiB per socket write (characters of text, or bytes of rendered events): few syscalls, and a
 * slow reader holds little in the server. Under uWS' 16 KiB cork buffer with room for the response
 * head, so that a stream's first chunk leaves with its head: a write that does not fit is sent
 * apart from what is corked, and uncorks what follows (strace: 4 → 3 sendto per 50-event stream).
 */
export const STREAM_CHUNK_SIZE = 14 * 1024;
