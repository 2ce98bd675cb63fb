/**
 * A run's log, live: the stored lines, then new ones as the engine writes them (followRunLog). Follow
 * keeps the newest line in view; pausing stops the scrolling, not the stream. "Jump to error" goes to the
 * first error line. Colors come from the engine's ANSI codes.
 */
import { useEffect, useRef, useState } from 'react';
import type { LogChunk } from '../../api/types';
import { ErrorView } from '../../components/Feedback';
import { isErrorLine, parseAnsi } from './ansi';
import { followRunLog } from './api/follow-run-log';

interface Line {
  readonly key: string;
  readonly text: string;
  readonly stream: LogChunk['stream'];
}

export function RunLog({ runId }: { runId: string }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setEnded(false);
    setError(null);
    followRunLog(
      runId,
      (chunk) =>
        setLines((previous) => [
          ...previous,
          ...chunk.content
            .replace(/\n$/, '')
            .split('\n')
            .map((text, index) => ({ key: `${chunk.seq}.${index}`, text, stream: chunk.stream })),
        ]),
      abort.signal,
    )
      .then(() => setEnded(true))
      .catch((failure: unknown) => {
        if (!abort.signal.aborted) setError(failure);
      });
    return () => abort.abort();
  }, [runId]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);

  const firstError = lines.findIndex((line) => isErrorLine(line.text));
  return (
    <section className="log" aria-label="Run log">
      <div className="log-tools">
        <button type="button" aria-pressed={follow} onClick={() => setFollow(!follow)}>
          {follow ? 'Pause' : 'Follow'}
        </button>
        <button
          type="button"
          disabled={firstError < 0}
          onClick={() => {
            setFollow(false);
            const target = box.current?.querySelector<HTMLElement>(`[data-line="${firstError}"]`);
            target?.scrollIntoView({ block: 'center' });
            target?.focus();
          }}
        >
          Jump to error
        </button>
        <span className="muted" role="status" aria-live="polite">
          {ended ? `Log complete, ${lines.length} lines` : `Live — ${lines.length} lines`}
        </span>
      </div>
      {error !== null && <ErrorView error={error} what="the log" />}
      <div ref={box} className="log-lines" tabIndex={0} data-testid="run-log">
        {lines.map((line, index) => (
          <div
            key={line.key}
            data-line={index}
            tabIndex={-1}
            className={`log-line stream-${line.stream}${isErrorLine(line.text) ? ' log-error' : ''}`}
          >
            {parseAnsi(line.text).map((span, spanIndex) => (
              <span key={spanIndex} className={span.classes || undefined}>
                {span.text}
              </span>
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}
