// The dialog open over the board (useDialogs), and the `?` help.
import type { Project } from '../api/generated/types';
import { AgentsSettings } from '../features/agents/AgentsSettings';
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
};

export function AppDialogs({ dialogs, currentProject, onProjectSaved, onProjectRemoved, onProjectCreated }: Props) {
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
      {dialogs.helpOpen && <HelpOverlay onClose={() => dialogs.setHelpOpen(false)} />}
    </>
  );
}
