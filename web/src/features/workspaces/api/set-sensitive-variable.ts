import { api, call } from '../../../api/client';
import type { Variables } from '../../../api/types';

/** Sets (a string) or deletes (null) one sensitive value; the value is never read back. */
export const setSensitiveVariable = (name: string, variable: string, value: string | null) =>
  call<Variables>(() =>
    api.PUT('/api/v1/workspaces/{name}/variables', {
      params: { path: { name } },
      body: { sensitive: { [variable]: value } },
    }),
  );
