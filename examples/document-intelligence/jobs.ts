// An analysis job, carried in its result id rather than kept in memory: the simulator answers on
// several threads, and the poll may reach another thread than the analyze call did.

export interface Job {
  readonly submittedAt: number;
  readonly contentLength: number;
  readonly modelId: string;
  readonly apiVersion: string;
  readonly stringIndexType: string;
}

export function encodeJob(job: Job): string {
  return Buffer.from(JSON.stringify(job)).toString('base64url');
}

/** The job a result id names, or undefined for an id this simulator never handed out. */
export function decodeJob(resultId: string): Job | undefined {
  try {
    const job = JSON.parse(Buffer.from(resultId, 'base64url').toString('utf8')) as Partial<Job>;
    if (typeof job.submittedAt !== 'number' || typeof job.contentLength !== 'number' || typeof job.modelId !== 'string') return undefined;
    return { apiVersion: '2023-07-31', stringIndexType: 'textElements', ...job } as Job;
  } catch {
    return undefined;
  }
}
