// Opens the task a `#task=…&project=…` link names (see taskLink.ts), once signed in.
import { useEffect, useRef } from 'react';
import { hashWithoutTaskLink, taskLinkFromHash } from './taskLink';

export function useTaskLink(live: boolean, open: (taskId: string, projectId: string) => void) {
  const openRef = useRef(open);
  openRef.current = open;
  useEffect(() => {
    if (!live) return;
    const follow = () => {
      const link = taskLinkFromHash(window.location.hash);
      if (!link) return;
      const { pathname, search, hash } = window.location;
      window.history.replaceState(window.history.state, '', `${pathname}${search}${hashWithoutTaskLink(hash)}`);
      openRef.current(link.taskId, link.projectId);
    };
    follow();
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, [live]);
}
