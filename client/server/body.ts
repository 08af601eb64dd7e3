// Reading a batch's body: bounded in size, strict UTF-8, bounded in nesting, and either NDJSON or
// a JSON array. Every problem here is the sender's and permanent: 400 or 413, never "try again".
import type http from 'node:http';

/** Deeper JSON is refused before it is parsed: events are at most four levels deep. */
export const MAX_NESTING = 32;

export type BodyProblem = { status: 400 | 413; error: string };

export async function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer | BodyProblem> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return { status: 413, error: `the batch is larger than ${limit} bytes; send smaller batches` };
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function decodeUtf8(bytes: Buffer): string | BodyProblem {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    return { status: 400, error: `the body is not valid UTF-8 (first bad byte at offset ${at}); nothing was stored` };
  }
}

/** Re-encoding the leniently decoded text changes the bytes first where the first invalid byte was. */
function firstInvalidUtf8(bytes: Buffer): number {
  const again = Buffer.from(bytes.toString('utf8'), 'utf8');
  let i = 0;
  while (i < bytes.length && i < again.length && bytes[i] === again[i]) i += 1;
  return i;
}

/** The deepest nesting of arrays and objects in a JSON text (strings skipped), or -1 past `limit`. */
export function nestingDepth(text: string, limit = MAX_NESTING): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return -1;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return deepest;
}

/** NDJSON as sent, or a JSON array turned into NDJSON (one event per line, in order). */
export function asNdjson(body: string, contentType: string | undefined): string | BodyProblem {
  if (nestingDepth(body) < 0) return { status: 400, error: `the body nests arrays or objects deeper than ${MAX_NESTING} levels; events are at most a few levels deep` };
  const looksLikeArray = (contentType ?? '').includes('application/json') || body.trimStart().startsWith('[');
  if (!looksLikeArray) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { status: 400, error: `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}` };
  }
  if (!Array.isArray(parsed)) return { status: 400, error: 'a JSON body must be an array of events (or send NDJSON, one event per line)' };
  return parsed.map((e) => JSON.stringify(e)).join('\n');
}
