import { refreshSession } from '../../../api/client';
import { ApiError } from '../../../api/errors';
import type { LogChunk } from '../../../api/types';

/**
 * Streams a run's log (`?follow=true&format=ndjson`): the stored chunks, then new ones as they are
 * written, until the run ends. The server guarantees no chunk is lost or repeated between the two, which
 * a page stitching a stored page to WebSocket messages would have to do itself. A raw fetch: openapi-fetch
 * parses whole bodies, this reads the body as it arrives.
 */
export async function followRunLog(
  id: string,
  onChunk: (chunk: LogChunk) => void,
  signal: AbortSignal,
  retry = true,
): Promise<void> {
  const response = await fetch(`/api/v1/runs/${encodeURIComponent(id)}/logs?follow=true&format=ndjson`, {
    credentials: 'same-origin',
    signal,
  });
  if (response.status === 401 && retry && (await refreshSession()))
    return followRunLog(id, onChunk, signal, false);
  if (!response.ok || !response.body)
    throw ApiError.from(response, await response.json().catch(() => undefined));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onChunk(JSON.parse(line) as LogChunk);
  }
}
