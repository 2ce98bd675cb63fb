import { api, call } from '../../../api/client';
import type { Page, Template } from '../../../api/types';

export const listTemplates = () => call<Page<Template>>(() => api.GET('/api/v1/templates'));
