// Board-wide keys (issue 11, item 7): j/k/h/l and the arrows move a visible focus between cards, `s` starts a
// run on the focused card with the agent used last, `t` focuses the open task's terminal, Ctrl/Cmd+K opens the
// command palette. Nothing here fires while typing in a text field or while a terminal has the focus.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Project, Task } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { findTask, type Columns } from '../board/logic';
import type { RunsByTask } from '../board/runs';
import { CommandPalette } from '../palette/CommandPalette';
import { buildCommands, type PaletteActions } from '../palette/commands';
import { listAgents } from '../../api/agents';
import { listTaskRuns, startRun, stopRun } from '../../api/runs';
import { lastUsedAgent, rememberAgent } from '../runs/lastAgent';
import { initialPrompt, pickAgent } from '../runs/runFormat';
import { isTypingTarget } from '../shortcuts/shortcuts';
import { useTheme } from '../theme/useTheme';
import { useToast } from '../toasts/ToastProvider';
import { nextCard } from './cardGrid';
import {
  arrowsBelongToBoard,
  cardIdOf,
  dragging,
  focusCard,
  focusSearch,
  focusTerminal,
  hasTerminal,
  inOwnKeysRegion,
  modalOpen,
} from './dom';
import { inTerminal, matchBoardKey } from './keys';
import { isActive } from '../../lib/format';

/** What the app does for the palette's actions (the rest — theme, search, terminal, runs — is done here). */
export type AppActions = Pick<
  PaletteActions,
  'newTask' | 'addProject' | 'projectSettings' | 'settings' | 'disk' | 'inbox' | 'help' | 'selectProject' | 'openTask' | 'toggleTiles'
>;

type Props = {
  /** Signed in (the sign-in screen covers the page otherwise). */
  enabled: boolean;
  projects: readonly Project[];
  projectId: string | null;
  /** The whole board, and what the search leaves shown (the focus moves over what is shown). */
  columns: Columns | null;
  visible: Columns | null;
  runs: RunsByTask;
  /** The task whose panel is open. */
  openTask: Task | null;
  actions: AppActions;
};

const short = (title: string) => (title.length > 50 ? `${title.slice(0, 49)}…` : title);

export function KeyboardLayer(props: Props) {
  const notify = useToast();
  const { preference, setPreference } = useTheme();
  const ref = useRef(props);
  ref.current = props;
  // The card that last had the focus: j/k continue from it after a click elsewhere.
  const lastCard = useRef<string | null>(null);
  const [palette, setPalette] = useState<{ target: Task | null; terminal: boolean } | null>(null);
  const starting = useRef(new Set<string>());

  useEffect(() => {
    const onFocusIn = (e: FocusEvent) => {
      const id = cardIdOf(e.target);
      if (id) lastCard.current = id;
    };
    document.addEventListener('focusin', onFocusIn);
    return () => document.removeEventListener('focusin', onFocusIn);
  }, []);

  const startRunOn = useCallback(
    async (task: Task) => {
      const busy = () =>
        notify('info', `“${short(task.title)}” already has an agent running; Enter opens it.`, {
          onClick: () => ref.current.actions.openTask(task),
        });
      const current = ref.current.runs.get(task.id);
      if ((current && isActive(current.status)) || starting.current.has(task.id)) return busy();
      starting.current.add(task.id);
      try {
        // The board's runs can lag a moment behind a start: ask the server before starting a second agent.
        const [agents, existing] = await Promise.all([listAgents(), listTaskRuns(task.id)]);
        if (existing.some((r) => isActive(r.status))) return busy();
        const agentId = pickAgent(agents, null, lastUsedAgent());
        const agent = agents.find((a) => a.id === agentId);
        if (!agent) {
          notify('error', 'No agent is installed: see Settings → Agents (,).');
          return;
        }
        await startRun(task.id, { agent: agent.id, prompt: initialPrompt(task) });
        rememberAgent(agent.id);
        notify('success', `Started ${agent.name} on “${short(task.title)}”.`, { onClick: () => ref.current.actions.openTask(task) });
      } catch (e) {
        notify('error', `Could not start a run on “${short(task.title)}”: ${errorMessage(e)}`);
      } finally {
        starting.current.delete(task.id);
      }
    },
    [notify],
  );

  const stopRunOn = useCallback(
    (task: Task, runId: string) => {
      stopRun(runId).then(
        () => notify('info', `Stopped the run on “${short(task.title)}”.`),
        (e: unknown) => notify('error', `Could not stop the run: ${errorMessage(e)}`),
      );
    },
    [notify],
  );

  const toTerminal = useCallback(() => {
    if (!focusTerminal()) notify('info', 'No terminal is open: open a task with a run first.');
  }, [notify]);

  const { enabled } = props;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const key = matchBoardKey(e);
      if (!key || isTypingTarget(e.target) || inTerminal(e.target)) return;
      const { columns, visible, openTask } = ref.current;
      switch (key.kind) {
        case 'palette': {
          if (modalOpen({ allowTaskPanel: true })) return;
          e.preventDefault();
          const focused = cardIdOf(document.activeElement);
          const target = (focused && columns ? findTask(columns, focused)?.task : null) ?? openTask;
          setPalette({ target, terminal: hasTerminal() });
          return;
        }
        case 'focus-terminal':
          if (modalOpen({ allowTaskPanel: true })) return;
          e.preventDefault();
          toTerminal();
          return;
        case 'move': {
          if (!visible || modalOpen() || inOwnKeysRegion(e.target) || dragging()) return;
          if (key.arrow && !arrowsBelongToBoard(e.target)) return;
          const from = cardIdOf(document.activeElement) ?? lastCard.current;
          const next = nextCard(visible, from, key.move);
          if (!next) return;
          e.preventDefault();
          focusCard(next);
          return;
        }
        case 'start-run': {
          if (modalOpen() || inOwnKeysRegion(e.target) || dragging()) return;
          const focused = cardIdOf(document.activeElement);
          const task = focused && columns ? findTask(columns, focused)?.task : null;
          if (!task) return;
          e.preventDefault();
          void startRunOn(task);
          return;
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled, startRunOn, toTerminal]);

  // Signed out while open: the sign-in screen covers everything.
  if (palette && !enabled) setPalette(null);

  const { projects, projectId, columns, runs, actions } = props;
  const commands = useMemo(
    () =>
      palette
        ? buildCommands({
            projects,
            projectId,
            columns,
            runs,
            target: palette.target,
            hasTerminal: palette.terminal,
            theme: preference,
            actions: {
              ...actions,
              focusSearch,
              startRun: (task) => void startRunOn(task),
              stopRun: stopRunOn,
              focusTerminal: toTerminal,
              setTheme: setPreference,
            },
          })
        : [],
    [palette, projects, projectId, columns, runs, actions, preference, startRunOn, stopRunOn, toTerminal, setPreference],
  );

  return palette ? <CommandPalette commands={commands} onClose={() => setPalette(null)} /> : null;
}
