// A project's column automations, loaded with the project and again (debounced) when its runs change (entries
// start and end with runs).
import { useCallback, useEffect, useRef, useState } from 'react';
import { listAutomations } from '../../api/automation';
import type { Automation } from '../../api/generated/types';

export type AutomationsState = { list: Automation[]; reload: () => void };

export function useAutomations(projectId: string | null, changed: unknown): AutomationsState {
  const [list, setList] = useState<Automation[]>([]);
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const load = useCallback(() => {
    const mine = ++seq.current;
    if (!projectId) {
      setList([]);
      return;
    }
    listAutomations(projectId)
      .then((l) => mine === seq.current && setList(l))
      // The header shows no automation rather than an error; the editor says what is wrong when opened.
      .catch(() => undefined);
  }, [projectId]);
  const reload = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(load, 250);
  }, [load]);
  useEffect(() => {
    load();
  }, [load]);
  useEffect(() => {
    reload();
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [reload, changed]);
  return { list, reload };
}
