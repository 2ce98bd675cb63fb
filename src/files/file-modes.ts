/** Owner read/write only: what every file Tide writes into the data directory gets. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner only: the data directory and every directory Tide makes in it. */
export const PRIVATE_DIR_MODE = 0o700;
