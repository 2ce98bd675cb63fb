import { api, call } from '../../../api/client';
import type { EnvironmentSwitch } from '../../../api/types';

export const switchEnvironment = (name: string, workspace: string) =>
  call<EnvironmentSwitch>(() =>
    api.POST('/api/v1/environments/{name}/switch', { params: { path: { name } }, body: { workspace } }),
  );
