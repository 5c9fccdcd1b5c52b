/** Server-sent events as the service frames them: `data: <json>\n\n`, ending with `data: [DONE]\n\n`. */
export const sseEvent = (json: string): string => `data: ${json}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';
