// A link to a task in the page's fragment (`#task=<id>&project=<id>`): what the desktop's tray opens, and a link
// a user can keep. Read once signed in, then taken out of the address bar (the sign-in `code` stays for its own
// handler).

export type TaskLink = { taskId: string; projectId: string };

const ID = /^[0-9a-f-]{36}$/i;

export function taskLinkFromHash(hash: string): TaskLink | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const taskId = params.get('task') ?? '';
  const projectId = params.get('project') ?? '';
  return ID.test(taskId) && ID.test(projectId) ? { taskId, projectId } : null;
}

/** The fragment without the task link ('' when nothing else was in it). */
export function hashWithoutTaskLink(hash: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  params.delete('task');
  params.delete('project');
  const rest = params.toString();
  return rest ? `#${rest}` : '';
}
