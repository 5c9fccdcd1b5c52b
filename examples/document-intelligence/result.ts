// The `analyzeResult` of a succeeded job: one receipt page (2448 × 3264 px, 6 lines, 5 words)
// and one document, in the shape of the prebuilt receipt model's answers.
import type { Job } from './jobs.js';

const polygon = (x: number, y: number, w: number, h: number): number[] => [x, y, x + w, y, x + w, y + h, x, y + h];

export function analyzeResult(job: Job, content: string): object {
  const words = content.split(' ').slice(0, 5);
  let offset = 0;
  const pageWords = words.map((word, i) => {
    const span = { offset, length: word.length };
    offset += word.length + 1;
    return { content: word, polygon: polygon(100 + i * 300, 200, 280, 60), confidence: 0.99, span };
  });
  const lines = Array.from({ length: 6 }, (_, i) => ({
    content: words[i % words.length] ?? '',
    polygon: polygon(100, 200 + i * 120, 1800, 80),
    spans: [{ offset: 0, length: (words[i % words.length] ?? '').length }],
  }));
  return {
    apiVersion: job.apiVersion,
    modelId: job.modelId,
    stringIndexType: job.stringIndexType,
    content,
    pages: [{ pageNumber: 1, angle: 0, width: 2448, height: 3264, unit: 'pixel', words: pageWords, lines, spans: [{ offset: 0, length: content.length }] }],
    tables: [],
    styles: [],
    documents: [
      {
        docType: 'receipt.retailMeal',
        boundingRegions: [{ pageNumber: 1, polygon: polygon(0, 0, 2448, 3264) }],
        fields: { MerchantName: { type: 'string', valueString: words[0] ?? 'Contoso', content: words[0] ?? 'Contoso', confidence: 0.95 } },
        confidence: 0.981,
        spans: [{ offset: 0, length: content.length }],
      },
    ],
  };
}
