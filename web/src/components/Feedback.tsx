import { ApiError } from '../api/errors';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** An API error as the server gave it, with the request id to quote to an operator. */
export function ErrorView({ error, what }: { error: unknown; what?: string }) {
  const api = error instanceof ApiError ? error : null;
  return (
    <div className="error" role="alert">
      <strong>{what ? `Could not load ${what}: ` : 'Error: '}</strong>
      {error instanceof Error ? error.message : String(error)}
      {api && (
        <span className="error-meta">
          {' '}
          (<code>{api.code}</code>
          {api.requestId && (
            <>
              , request id <code>{api.requestId}</code>
            </>
          )}
          )
        </span>
      )}
    </div>
  );
}
