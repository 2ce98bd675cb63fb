import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { Run } from '../../api/types';
import { useNow } from '../../lib/time';
import { listRuns } from '../runs/api/list-runs';
import { getSchedule } from './api/get-schedule';
import { listFirings } from './api/list-firings';
import { DAYS, weekOf, type Week } from './timeline-geometry';

/** A workspace's week: desired windows and coming firings, recorded firings, and its runs. */
export function useWeek(name: string, zone: string, options: { history?: boolean } = {}) {
  const now = useNow(60_000);
  const week: Week = useMemo(() => weekOf(now, zone), [now, zone]);
  const history = options.history ?? true;
  const schedule = useQuery({
    queryKey: ['schedule', name, week.fromIso],
    queryFn: () => getSchedule(name, week.fromIso, DAYS),
    staleTime: 5 * 60_000,
  });
  const firings = useQuery({
    queryKey: ['firings', name],
    queryFn: () => listFirings(name),
    enabled: history,
  });
  const runs = useQuery({
    queryKey: ['runs', { workspace: name }],
    queryFn: () => listRuns({ workspace: name }),
    enabled: history,
  });
  const since = Date.parse(week.fromIso);
  const weekRuns: Run[] = (runs.data?.items ?? []).filter(
    (run) => Date.parse(run.finished_at ?? new Date(now).toISOString()) >= since,
  );
  return { now, week, schedule, firings, runs: weekRuns };
}
