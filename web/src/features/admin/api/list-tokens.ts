import { api, call } from '../../../api/client';
import type { ApiToken, Page } from '../../../api/types';

export const listTokens = () => call<Page<ApiToken>>(() => api.GET('/api/v1/tokens'));
