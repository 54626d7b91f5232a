import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { UpdateState } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import {
  EXPECT_CHANGE_MS,
  PLANNED_RESTART_MAX_MS,
  clearPlannedRestart,
  markPlannedRestart,
  plannedRestartSettled,
  pollDelay,
  readPlannedRestart,
  sessionStore,
  type PlannedRestart,
} from './update';
import { updateApi } from '../../api/update';

export type UpdateController = {
  /** The last `GET /api/update` answer (null until the first one). */
  state: UpdateState | null;
  /** Why the last poll failed (the state above stays as it was). */
  error: string | null;
  /** Asks again now. */
  refresh: () => void;
  /** The user asked for something: poll every second for a few seconds (the answer was the state before it). */
  expectChange: () => void;
  /** This tab sent Restart to update: the server going away is planned (kept in sessionStorage). */
  restart: PlannedRestart | null;
  planRestart: (restart: PlannedRestart) => void;
};

const UpdateContext = createContext<UpdateController>({
  state: null,
  error: null,
  refresh: () => {},
  expectChange: () => {},
  restart: null,
  planRestart: () => {},
});

/** The updater's state, shared by the banners and Settings. */
export function useUpdate(): UpdateController {
  return useContext(UpdateContext);
}

function visible(): boolean {
  return typeof document === 'undefined' || document.visibilityState !== 'hidden';
}

/**
 * Polls `GET /api/update` while `enabled` (signed in): every 60 s, every second while the updater checks,
 * downloads or installs (or just after the user asked for something), never while the tab is hidden (it asks
 * again as soon as it is shown).
 */
export function UpdateProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const [state, setState] = useState<UpdateState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [restart, setRestart] = useState<PlannedRestart | null>(() => readPlannedRestart(sessionStore(), Date.now()));
  const stateRef = useRef<UpdateState | null>(null);
  const fastUntil = useRef(0);
  // While a planned restart is awaited, look often: the banner goes as soon as the new version answers.
  const restartRef = useRef(restart);
  restartRef.current = restart;
  const poke = useRef<() => void>(() => {});

  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let latest = 0;

    const schedule = (ms: number) => {
      clearTimeout(timer);
      if (!stopped && visible()) timer = setTimeout(() => void tick(), ms);
    };
    const tick = async () => {
      clearTimeout(timer);
      const mine = ++latest;
      let failed = false;
      try {
        const next = await updateApi.get();
        if (stopped || mine !== latest) return;
        stateRef.current = next;
        setState(next);
        setError(null);
      } catch (e) {
        if (stopped || mine !== latest) return;
        failed = true;
        setError(errorMessage(e));
      }
      const until = restartRef.current ? Number.POSITIVE_INFINITY : fastUntil.current;
      schedule(pollDelay(stateRef.current, failed, until, Date.now()));
    };
    const onVisibility = () => {
      if (visible()) void tick();
      else clearTimeout(timer);
    };

    poke.current = () => void tick();
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      poke.current = () => {};
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [enabled]);

  // The planned restart is over (another version answers, or the install failed): the offline banner is plain again.
  useEffect(() => {
    if (!restart) return;
    if (state && plannedRestartSettled(restart, state)) {
      clearPlannedRestart(sessionStore());
      setRestart(null);
      return;
    }
    const left = restart.at + PLANNED_RESTART_MAX_MS - Date.now();
    const timer = setTimeout(() => {
      clearPlannedRestart(sessionStore());
      setRestart(null);
    }, Math.max(0, left));
    return () => clearTimeout(timer);
  }, [restart, state]);

  const refresh = useCallback(() => poke.current(), []);
  const expectChange = useCallback(() => {
    fastUntil.current = Date.now() + EXPECT_CHANGE_MS;
    poke.current();
  }, []);
  const planRestart = useCallback((next: PlannedRestart) => {
    markPlannedRestart(sessionStore(), next);
    setRestart(next);
    fastUntil.current = Date.now() + EXPECT_CHANGE_MS;
    poke.current();
  }, []);

  const value = useMemo<UpdateController>(
    () => ({ state, error, refresh, expectChange, restart, planRestart }),
    [state, error, refresh, expectChange, restart, planRestart],
  );
  return <UpdateContext.Provider value={value}>{children}</UpdateContext.Provider>;
}
