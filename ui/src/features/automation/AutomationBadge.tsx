// A column header's automation: what it does (and what is under way), pause/resume, and the editor.
import { useState } from 'react';
import { errorMessage } from '../../api/client';
import { putAutomation } from '../../api/automation';
import type { Automation, TaskStatus } from '../../api/generated/types';
import { STATUS_LABELS } from '../board/logic';
import { headerSummary, pausedPut } from './automation';

type Props = {
  column: TaskStatus;
  automation: Automation | null;
  agentName: (id: string) => string;
  onEdit: (column: TaskStatus) => void;
  onChanged: () => void;
};

export function AutomationBadge({ column, automation, agentName, onEdit, onChanged }: Props) {
  const [error, setError] = useState<string | null>(null);
  if (!automation) {
    return (
      <button
        type="button"
        className="icon-button column-automate"
        aria-label={`Automate ${STATUS_LABELS[column]}`}
        title={`When a card enters ${STATUS_LABELS[column]}: run a script or start an agent`}
        data-testid={`automate-${column}`}
        onClick={() => onEdit(column)}
      >
        ⚡
      </button>
    );
  }
  const toggle = async () => {
    try {
      await putAutomation(automation.project_id, column, pausedPut(automation, !automation.paused));
      setError(null);
      onChanged();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const summary = headerSummary(automation, agentName);
  return (
    <div className={`column-automation ${automation.paused ? 'column-automation-paused' : ''}`} data-testid={`automation-${column}`}>
      <button type="button" className="link-button" title={`Edit: ${summary}`} onClick={() => onEdit(column)}>
        ⚡ {summary}
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={automation.paused ? 'Resume the automation' : 'Pause the automation'}
        title={error ?? (automation.paused ? 'Resume' : 'Pause')}
        data-testid={`automation-pause-${column}`}
        onClick={() => void toggle()}
      >
        {automation.paused ? '▶' : '⏸'}
      </button>
    </div>
  );
}
