import { ElcorpApiError, ElcorpError, type FieldError } from './errors.js';

/** One HTTP answer, body read in full (the API speaks JSON; bodies are bounded by the server). */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as sent, when the request asked for bytes (`SendOptions.binary`) and succeeded. */
  bytes?: Uint8Array;
}

// An error body that is not problem details (a proxy's HTML page) is quoted this far.
const detailExcerptChars = 500;

/** `Retry-After` as seconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function retryAfterSecondsOf(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const stringOr = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function fieldErrorsOf(value: unknown): FieldError[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null)
    .map((entry) => ({ path: String(entry['path'] ?? ''), message: String(entry['message'] ?? '') }));
}

/** Problem details → ElcorpApiError; any other error body → code `unknown` with an excerpt as detail. */
export function apiErrorOf(answer: Answer, nowMs: number): ElcorpApiError {
  const common = {
    status: answer.status,
    requestId: answer.headers.get('x-request-id') ?? undefined,
    retryAfterSeconds: retryAfterSecondsOf(answer.headers.get('retry-after'), nowMs),
  };
  const problem = jsonObject(answer.text);
  const code = stringOr(problem?.['code']);
  if (problem && code) {
    return new ElcorpApiError({
      ...common,
      code,
      title: stringOr(problem['title']) ?? `HTTP ${answer.status}`,
      detail: stringOr(problem['detail']),
      errors: fieldErrorsOf(problem['errors']),
      problem,
    });
  }
  const excerpt = answer.text.trim().slice(0, detailExcerptChars);
  return new ElcorpApiError({ ...common, code: 'unknown', title: `HTTP ${answer.status}`, ...(excerpt ? { detail: excerpt } : {}) });
}

/** A success body: parsed JSON, `undefined` when empty (204, 202), the text when it is not JSON. */
export function resultOf<T>(answer: Answer): T {
  if (answer.text === '') return undefined as T;
  if (!/[/+]json\b/i.test(answer.headers.get('content-type') ?? '')) return answer.text as T;
  try {
    return JSON.parse(answer.text) as T;
  } catch (cause) {
    throw new ElcorpError(`the API answered ${answer.status} with malformed JSON`, { cause });
  }
}
