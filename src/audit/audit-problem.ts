/** What `tide audit verify` and the checkpoint loop report, one problem per finding, naming the entry. */
export type AuditProblemKind = 'modified' | 'deleted' | 'reordered' | 'forged' | 'truncated' | 'wiped';

export interface AuditProblem {
  /** The entry concerned: the edited or forged one, or the first missing id. */
  readonly id: number;
  readonly kind: AuditProblemKind;
  readonly message: string;
}

/** `entry 3 was deleted`, `entries 3–7 were deleted`. */
export function deletedEntries(from: number, to: number): string {
  return from === to ? `entry ${from} was deleted` : `entries ${from}–${to} were deleted`;
}
