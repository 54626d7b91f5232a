// The project settings form (pure part): the files-to-copy text box holds one relative path per line, and Save
// sends only what changed. Unit-tested in projectSettings.test.ts.
import type { DefaultRuntime, Project, RuntimeOptions, UpdateProject } from '../../api/generated/types';

/** The runtime options as typed: every field a string, empty for "as the agent's profile says". */
export type OptionsForm = {
  image: string;
  memory: string;
  cpus: string;
  pids: string;
  network: '' | 'on' | 'off';
  kubeImage: string;
  kubeCpu: string;
  kubeMemory: string;
};

export type ProjectSettingsForm = {
  name: string;
  setupScript: string;
  copyFiles: string;
  defaultRuntime: DefaultRuntime;
  options: OptionsForm;
};

type Settings = Pick<Project, 'name' | 'setup_script' | 'copy_files' | 'default_runtime' | 'runtime_options'>;

export function optionsForm(o: RuntimeOptions): OptionsForm {
  const c = o.container;
  const k = o.kubernetes;
  return {
    image: c.image ?? '',
    memory: c.memory ?? '',
    cpus: c.cpus === null ? '' : String(c.cpus),
    pids: c.pids === null ? '' : String(c.pids),
    network: c.network === null ? '' : c.network ? 'on' : 'off',
    kubeImage: k.image ?? '',
    kubeCpu: k.cpu ?? '',
    kubeMemory: k.memory ?? '',
  };
}

/** The options to save, or what is wrong with a number in words. The server checks the rest. */
export function parseOptions(f: OptionsForm): RuntimeOptions | string {
  const text = (v: string) => (v.trim() ? v.trim() : null);
  const cpus = f.cpus.trim() ? Number(f.cpus.trim()) : null;
  if (cpus !== null && !(Number.isFinite(cpus) && cpus > 0)) return `Container CPUs must be a number above 0, not "${f.cpus.trim()}".`;
  const pids = f.pids.trim() ? Number(f.pids.trim()) : null;
  if (pids !== null && !(Number.isInteger(pids) && pids >= 16)) return `Container pids must be a whole number of at least 16, not "${f.pids.trim()}".`;
  return {
    container: { image: text(f.image), memory: text(f.memory), cpus, pids, network: f.network === '' ? null : f.network === 'on' },
    kubernetes: { image: text(f.kubeImage), cpu: text(f.kubeCpu), memory: text(f.kubeMemory) },
  };
}

function sameOptions(a: RuntimeOptions, b: RuntimeOptions): boolean {
  const norm = (o: RuntimeOptions) => JSON.stringify(parseOptions(optionsForm(o)));
  return norm(a) === norm(b);
}

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
    options: optionsForm(project.runtime_options),
  };
}

/**
 * The PATCH body: only the fields that differ from the project, or null when nothing changed; a string when a
 * runtime option is not a valid number.
 */
export function projectChanges(project: Settings, form: ProjectSettingsForm): UpdateProject | null | string {
  const patch: UpdateProject = {};
  const name = form.name.trim();
  if (name !== project.name) patch.name = name;
  if (form.setupScript !== project.setup_script) patch.setup_script = form.setupScript;
  const files = parseCopyFiles(form.copyFiles);
  if (files.length !== project.copy_files.length || files.some((f, i) => f !== project.copy_files[i])) patch.copy_files = files;
  if (form.defaultRuntime !== project.default_runtime) patch.default_runtime = form.defaultRuntime;
  const options = parseOptions(form.options);
  if (typeof options === 'string') return options;
  if (!sameOptions(options, project.runtime_options)) patch.runtime_options = options;
  return Object.keys(patch).length ? patch : null;
}
