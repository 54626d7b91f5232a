// Which project is shown: remembered in localStorage, falling back to the first one.
import type { AnyErrorCode } from '../../api/http';
import type { Project } from '../../api/generated/types';

const KEY = 'viban.selectedProject';

export function rememberedProjectId(): string | null {
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function rememberProjectId(id: string | null): void {
  try {
    if (id) window.localStorage.setItem(KEY, id);
    else window.localStorage.removeItem(KEY);
  } catch {
    // Storage can be disabled (private mode); selection then lasts for the session only.
  }
}

/** The id to show: the wanted one if it still exists, else the first project, else null. */
export function pickProjectId(projects: readonly Project[], wanted: string | null): string | null {
  if (wanted && projects.some((p) => p.id === wanted)) return wanted;
  return projects[0]?.id ?? null;
}

/** Last path component, used as the default project name. */
export function folderName(path: string): string {
  const parts = path.trim().replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}

/**
 * The name to give a project created without a typed name, once the server answered with its canonical
 * `repo_path` (`~` expanded, the git top folder of a subfolder): that folder's name, or null when the project
 * already has it (or the user typed a name).
 */
export function defaultedName(project: Pick<Project, 'name' | 'repo_path'>, typedName: string): string | null {
  if (typedName.trim()) return null;
  const top = folderName(project.repo_path);
  return top && top !== project.name ? top : null;
}

/** A short heading for the error codes of POST /api/projects, shown above the server's own message. */
export function projectErrorHint(code: AnyErrorCode): string | null {
  switch (code) {
    case 'not_a_git_repo':
      return 'Not a git repository';
    case 'path_not_found':
      return 'Folder not found';
    case 'invalid_path':
      return 'Invalid path (use an absolute folder path)';
    case 'conflict':
      return 'This repository is already a project';
    case 'validation':
      return 'Check the name and path';
    case 'network':
      return 'The viban server cannot be reached';
    default:
      return null;
  }
}
