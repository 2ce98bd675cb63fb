/**
 * Confirms an action that changes infrastructure: the person types the workspace's name, so the dialog
 * cannot be clicked through on the wrong workspace. A native <dialog>: focus moves into it and Escape
 * closes it without extra code.
 */
import { useEffect, useId, useRef, useState } from 'react';

export interface ConfirmDialogProps {
  readonly open: boolean;
  readonly title: string;
  readonly description: string;
  /** What must be typed to confirm: the workspace name. */
  readonly confirmText: string;
  readonly actionLabel: string;
  readonly danger?: boolean;
  onConfirm(): void;
  onClose(): void;
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const inputId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      setTyped('');
      dialog.showModal();
    } else if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} className="dialog" onClose={props.onClose} aria-labelledby={`${inputId}-title`}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (typed === props.confirmText) props.onConfirm();
        }}
      >
        <h2 id={`${inputId}-title`}>{props.title}</h2>
        <p>{props.description}</p>
        <label htmlFor={inputId}>
          Type <strong>{props.confirmText}</strong> to confirm
        </label>
        <input
          id={inputId}
          autoComplete="off"
          autoFocus
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
        <div className="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className={props.danger ? 'danger' : 'primary'}
            disabled={typed !== props.confirmText}
          >
            {props.actionLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
