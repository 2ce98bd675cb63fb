/**
 * Templates from git (docs/templates.md): where each comes from, the commit it is pinned to, who uses
 * it. Admins refresh one (resolve its ref again) or delete an unused one, confirmed by typing its name.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import type { Template } from '../../api/types';
import type { Column } from '../../components/DataTable';
import { ErrorView } from '../../components/Feedback';
import { QueryTable } from '../../components/QueryTable';
import { Time } from '../../components/Time';
import { canAdminister } from '../../lib/permissions';
import { useMe } from '../auth/session';
import { deleteTemplate } from './api/delete-template';
import { listTemplates } from './api/list-templates';
import { refreshTemplate } from './api/refresh-template';

export function TemplatesPage() {
  const me = useMe();
  const client = useQueryClient();
  const templates = useQuery({ queryKey: ['templates'], queryFn: listTemplates });
  const [deleting, setDeleting] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const done = () => client.invalidateQueries({ queryKey: ['templates'] });
  const refresh = useMutation({
    mutationFn: refreshTemplate,
    onSuccess: async (result) => {
      setMessage(
        result.changed
          ? `${result.template.name} now pinned to ${result.template.commit.slice(0, 12)} (was ${result.previous_commit.slice(0, 12)}).`
          : `${result.template.name} is up to date.`,
      );
      await done();
    },
  });
  const remove = useMutation({
    mutationFn: deleteTemplate,
    onSuccess: async () => {
      setMessage(`${deleting} deleted.`);
      setDeleting(null);
      await done();
    },
    onError: () => setDeleting(null),
  });
  const admin = canAdminister(me.data?.role);
  const columns: Array<Column<Template> | false> = [
    {
      header: 'Template',
      cell: (template) => (
        <>
          <strong>{template.name}</strong>
          {template.description && <div className="muted">{template.description}</div>}
        </>
      ),
    },
    {
      header: 'Source',
      cell: (template) => (
        <>
          <code>{template.url}</code> @ {template.ref}
          {template.subdir && ` /${template.subdir}`}
        </>
      ),
    },
    {
      header: 'Commit',
      cell: (template) => <code title={template.commit}>{template.commit.slice(0, 12)}</code>,
    },
    { header: 'Refreshed', cell: (template) => <Time iso={template.refreshed_at ?? template.created_at} /> },
    { header: 'Used by', cell: (template) => template.used_by.join(', ') || '—' },
    admin && {
      header: 'Actions',
      cell: (template) => (
        <>
          <button
            type="button"
            disabled={refresh.isPending}
            aria-label={`Refresh ${template.name}`}
            onClick={() => refresh.mutate(template.name)}
          >
            Refresh
          </button>{' '}
          <button
            type="button"
            className="danger"
            aria-label={`Delete ${template.name}`}
            onClick={() => setDeleting(template.name)}
          >
            Delete
          </button>
        </>
      ),
    },
  ];
  return (
    <section aria-labelledby="templates-title">
      <div className="page-head">
        <h1 id="templates-title">Templates</h1>
      </div>
      <p role="status" aria-live="polite">
        {message}
      </p>
      {refresh.isError && <ErrorView error={refresh.error} />}
      {remove.isError && <ErrorView error={remove.error} />}
      <QueryTable
        query={templates}
        what="templates"
        columns={columns}
        rowKey="name"
        empty={
          <>
            No template from git. Add one with <code>tide template add</code> (docs/templates.md).
          </>
        }
      />
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete template ${deleting ?? ''}?`}
        description="Removes the template and its stored credential when no other template uses it. A template in use is refused."
        confirmText={deleting ?? ''}
        actionLabel={`Delete ${deleting ?? ''}`}
        danger
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => setDeleting(null)}
      />
    </section>
  );
}
