import { api, call } from '../../../api/client';
import type { Delivery, Page } from '../../../api/types';
import type { operations } from '../../../api/schema';

export type DeliveryFilters = Omit<
  NonNullable<operations['getNotificationsDeliveries']['parameters']['query']>,
  'limit'
>;

export const listDeliveries = (filters: DeliveryFilters) =>
  call<Page<Delivery>>(() =>
    api.GET('/api/v1/notifications/deliveries', { params: { query: { ...filters, limit: 50 } } }),
  );
