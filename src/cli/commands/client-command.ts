import type { Command } from 'commander';

/** A subcommand that talks to the API: every one takes `--url`, which wins over TIDE_URL. */
export function clientCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option('--url <url>', 'Tide API base URL (default: TIDE_URL, else http://127.0.0.1:8080)');
}

export interface ClientOptions {
  url?: string;
  json?: boolean;
}
