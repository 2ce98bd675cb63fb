import { api, call } from '../../../api/client';
import type { UiConfig } from '../../../api/types';

export const getUiConfig = () => call<UiConfig>(() => api.GET('/api/v1/ui-config'));
