import { useQuery } from '@tanstack/react-query';
import { isUnauthenticated } from '../../api/errors';
import type { Me } from '../../api/types';
import { getMe } from './api/get-me';
import { getUiConfig } from './api/get-ui-config';

/** Who is logged in: null when nobody is (the login page shows), an error for anything else. */
export function useMe() {
  return useQuery<Me | null>({
    queryKey: ['me'],
    queryFn: () =>
      getMe().catch((error: unknown) => {
        if (isUnauthenticated(error)) return null;
        throw error;
      }),
    staleTime: 60_000,
  });
}

export function useUiConfig() {
  return useQuery({ queryKey: ['ui-config'], queryFn: getUiConfig, staleTime: Infinity });
}
