// The bytes of an input file on their way to a parser (csv-parse, readline): hashed, and let
// through only while they are UTF-8 and no line is longer than MAX_LINE_BYTES. A bad byte is
// refused with its line and column, never decoded to U+FFFD (docs/decisions.md, "Input").
import type crypto from 'node:crypto';
import { Transform } from 'node:stream';
import { ErrorType, inputFailure } from '../../common/errors';
import { describeUtf8Problem, Utf8Checker } from '../../ingest/utf8';
import { lineTooLong, MAX_LINE_BYTES } from './csvRows';

export function strictBytes(fileName: string, hash: crypto.Hash): Transform {
  const utf8 = new Utf8Checker();
  const failure = (problem: ReturnType<Utf8Checker['push']>) =>
    problem && inputFailure(ErrorType.InvalidInputFile, describeUtf8Problem(fileName, problem), { fileName, line: problem.line });
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      hash.update(chunk);
      const problem = failure(utf8.push(chunk));
      if (problem) return callback(problem);
      if (utf8.pendingBytes > MAX_LINE_BYTES) return callback(lineTooLong(fileName, utf8.currentLine));
      callback(null, chunk);
    },
    flush(callback) {
      callback(failure(utf8.end()) || null);
    },
  });
}
