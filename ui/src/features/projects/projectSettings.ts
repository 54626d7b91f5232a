// The project settings form (pure part): the files-to-copy text box holds one relative path per line, and Save
// sends only what changed. Unit-tested in projectSettings.test.ts.
import type { DefaultRuntime, Project, UpdateProject } from '../../api/generated/types';

export type ProjectSettingsForm = { name: string; setupScript: string; copyFiles: string; defaultRuntime: DefaultRuntime };

type Settings = Pick<Project, 'name' | 'setup_script' | 'copy_files' | 'default_runtime'>;

/**
 * The files to copy from the text box: one path per line, surrounding spaces trimmed, blank lines and repeats
 * dropped, order kept. Whether a path is allowed (relative, inside the repository) is the server's call.
 */
export function parseCopyFiles(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split(/\r\n|\r|\n/)) {
    const path = line.trim();
    if (path) seen.add(path);
  }
  return [...seen];
}

/** The text box's content for a list of files. */
export function formatCopyFiles(files: readonly string[]): string {
  return files.join('\n');
}

export function settingsForm(project: Settings): ProjectSettingsForm {
  return {
    name: project.name,
    setupScript: project.setup_script,
    copyFiles: formatCopyFiles(project.copy_files),
    defaultRuntime: project.default_runtime,
  };
}

/** The PATCH body: only the fields that differ from the project, or null when nothing changed. */
export function projectChanges(project: Settings, form: ProjectSettingsForm): UpdateProject | null {
  const patch: UpdateProject = {};
  const name = form.name.trim();
  if (name !== project.name) patch.name = name;
  if (form.setupScript !== project.setup_script) patch.setup_script = form.setupScript;
  const files = parseCopyFiles(form.copyFiles);
  if (files.length !== project.copy_files.length || files.some((f, i) => f !== project.copy_files[i])) patch.copy_files = files;
  if (form.defaultRuntime !== project.default_runtime) patch.default_runtime = form.defaultRuntime;
  return Object.keys(patch).length ? patch : null;
}
