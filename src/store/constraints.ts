/**
 * The constraint names the repositories match violations against (PostgreSQL reports them by name). The
 * migrations that create the constraints define them; this is the store's face for them, so repositories
 * do not reach into src/store/migrations.
 */
export { FIRINGS_OCCURRENCE_UNIQUE, RUNS_ONE_RUNNING_PER_LOCK_KEY } from './migrations/0001_initial.ts';
export { API_TOKENS_LIVE_OWNER_NAME_UNIQUE } from './migrations/0006_login_reservations_and_token_names.ts';
