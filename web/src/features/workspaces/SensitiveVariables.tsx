/** Variables from the config, and sensitive ones as write-only slots: set or cleared, never shown. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorView, Loading } from '../../components/Feedback';
import { Relative } from '../../components/Time';
import { getVariables } from './api/get-variables';
import { setSensitiveVariable } from './api/set-sensitive-variable';

function SetSecret({ workspace, variable }: { workspace: string; variable: string }) {
  const client = useQueryClient();
  const [value, setValue] = useState('');
  const save = useMutation({
    mutationFn: (next: string | null) => setSensitiveVariable(workspace, variable, next),
    onSuccess: (variables) => {
      setValue('');
      client.setQueryData(['variables', workspace], variables);
    },
  });
  return (
    <form
      className="inline"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate(value);
      }}
    >
      <label htmlFor={`secret-${variable}`} className="sr-only">
        New value of {variable}
      </label>
      <input
        id={`secret-${variable}`}
        type="password"
        autoComplete="off"
        minLength={4}
        placeholder="new value"
        value={value}
        onChange={(event) => setValue(event.target.value)}
      />
      <button type="submit" disabled={value.length < 4 || save.isPending}>
        Set
      </button>
      <button type="button" disabled={save.isPending} onClick={() => save.mutate(null)}>
        Clear
      </button>
      {save.isError && <ErrorView error={save.error} />}
    </form>
  );
}

export function VariablesSection({ workspace, canWrite }: { workspace: string; canWrite: boolean }) {
  const variables = useQuery({ queryKey: ['variables', workspace], queryFn: () => getVariables(workspace) });
  if (variables.isPending) return <Loading what="variables" />;
  if (variables.isError) return <ErrorView error={variables.error} what="the variables" />;
  const plain = Object.entries(variables.data.variables);
  return (
    <>
      {plain.length === 0 && variables.data.sensitive.length === 0 && <p className="muted">No variables.</p>}
      <dl className="kv">
        {plain.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>
              <code>{JSON.stringify(value)}</code>
            </dd>
          </div>
        ))}
        {variables.data.sensitive.map((secret) => (
          <div key={secret.name}>
            <dt>
              {secret.name} <span className="muted">(sensitive)</span>
            </dt>
            <dd>
              {secret.set ? (
                <>
                  set <Relative iso={secret.updated_at} />
                </>
              ) : (
                'not set'
              )}
              {canWrite && <SetSecret workspace={workspace} variable={secret.name} />}
            </dd>
          </div>
        ))}
      </dl>
    </>
  );
}
