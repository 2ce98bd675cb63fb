import { api, call } from '../../../api/client';
import type { CreatedToken, Role } from '../../../api/types';

export const createToken = (body: { name: string; role: Role; expires_in?: string }) =>
  call<CreatedToken>(() => api.POST('/api/v1/tokens', { body }));
