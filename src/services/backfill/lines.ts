import { createReadStream } from 'node:fs';

/**
 * Lines of a file or stream, a chunk's worth at a time (one promise per chunk, not per line),
 * CRLF tolerated; never holds more than one chunk and one partial line.
 */
export async function* lineChunks(source: string | AsyncIterable<string | Buffer>): AsyncGenerator<string[]> {
  const stream =
    typeof source === 'string'
      ? createReadStream(source, { encoding: 'utf8', highWaterMark: 1 << 20 })
      : source;
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const out: string[] = [];
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl !== -1) {
      out.push(text.charCodeAt(nl - 1) === 13 ? text.slice(start, nl - 1) : text.slice(start, nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    rest = text.slice(start);
    if (out.length > 0) yield out;
  }
  if (rest.length > 0) yield [rest];
}

export async function* lines(source: string | AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  for await (const chunk of lineChunks(source)) yield* chunk;
}
