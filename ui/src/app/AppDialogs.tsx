// The dialog open over the board (useDialogs), and the `?` help.
import type { Automation, Project, TaskStatus } from '../api/generated/types';
import { AgentsSettings } from '../features/agents/AgentsSettings';
import { AutomationDialog } from '../features/automation/AutomationDialog';
import { InboxView } from '../features/inbox/InboxView';
import type { InboxState } from '../features/inbox/useInbox';
import { DiskView } from '../features/disk/DiskView';
import { AddProjectDialog } from '../features/projects/AddProjectDialog';
import { ProjectSettingsDialog } from '../features/projects/ProjectSettingsDialog';
import { HelpOverlay } from '../features/shortcuts/HelpOverlay';
import type { Dialogs } from './useDialogs';

type Props = {
  dialogs: Dialogs;
  currentProject: Project | null;
  onProjectSaved: (project: Project) => void;
  onProjectRemoved: (id: string) => void;
  onProjectCreated: (project: Project) => void;
  inbox: InboxState;
  onOpenTask: (taskId: string, projectId: string) => void;
  /** The column automation being edited. */
  automation: { projectId: string; column: TaskStatus; current: Automation | null; onSaved: () => void } | null;
};

export function AppDialogs({ dialogs, currentProject, onProjectSaved, onProjectRemoved, onProjectCreated, inbox, onOpenTask, automation }: Props) {
  const { dialog, close } = dialogs;
  return (
    <>
      {dialog === 'project-settings' && currentProject && (
        <ProjectSettingsDialog
          key={currentProject.id}
          project={currentProject}
          onClose={() => close('project-settings')}
          onSaved={onProjectSaved}
          onRemoved={onProjectRemoved}
        />
      )}
      {dialog === 'add-project' && <AddProjectDialog onClose={() => close('add-project')} onCreated={onProjectCreated} />}
      {dialog === 'agents' && <AgentsSettings onClose={() => close('agents')} />}
      {dialog === 'disk' && <DiskView onClose={() => close('disk')} />}
      {dialog === 'inbox' && <InboxView inbox={inbox} onOpenTask={onOpenTask} onClose={() => close('inbox')} />}
      {dialog === 'automation' && automation && (
        <AutomationDialog
          key={`${automation.projectId}:${automation.column}`}
          projectId={automation.projectId}
          column={automation.column}
          current={automation.current}
          onClose={() => close('automation')}
          onSaved={automation.onSaved}
        />
      )}
      {dialogs.helpOpen && <HelpOverlay onClose={() => dialogs.setHelpOpen(false)} />}
    </>
  );
}
