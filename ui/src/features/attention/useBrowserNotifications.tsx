import { useCallback, useState, type ReactNode } from 'react';
import { isDesktop } from '../../platform';
import type { RunNotice } from '../board/runs';
import { notificationFor, parseRemembered, PROMPT_KEY, promptView, shouldNotify, type Permission, type Remembered } from './notifications';

function currentPermission(): Permission {
  return typeof window !== 'undefined' && 'Notification' in window ? Notification.permission : 'unsupported';
}

function readRemembered(): Remembered {
  try {
    return parseRemembered(localStorage.getItem(PROMPT_KEY));
  } catch {
    return 'none';
  }
}

function remember(value: Remembered): void {
  try {
    localStorage.setItem(PROMPT_KEY, value);
  } catch {
    // Private mode without storage: the prompt may show again next time.
  }
}

export type BrowserNotifications = {
  /** Sends the notice as a browser notification when allowed; clicking it focuses the tab and calls `onOpen`. */
  notify: (notice: RunNotice, title: string, name: (agentId: string) => string, onOpen: () => void) => void;
  prompt: ReactNode;
};

/** Browser notifications for runs (headless mode only) and the one-time prompt asking for them. */
export function useBrowserNotifications(): BrowserNotifications {
  const desktop = isDesktop();
  const [permission, setPermission] = useState<Permission>(currentPermission);
  const [remembered, setRemembered] = useState<Remembered>(readRemembered);

  const notify = useCallback<BrowserNotifications['notify']>(
    (notice, title, name, onOpen) => {
      // Permission may change in the site settings meanwhile: read it again each time.
      if (!shouldNotify(desktop, currentPermission())) return;
      const n = notificationFor(notice, title, name);
      try {
        const shown = new Notification(n.title, { body: n.body, tag: n.tag });
        shown.onclick = () => {
          window.focus();
          onOpen();
          shown.close();
        };
      } catch {
        // Some browsers only notify from a service worker; the toast still says it.
      }
    },
    [desktop],
  );

  const settle = (value: Remembered) => {
    remember(value);
    setRemembered(value);
  };
  const view = promptView(desktop, permission, remembered);
  let prompt: ReactNode = null;
  if (view === 'ask') {
    prompt = (
      <div className="banner notify-prompt" role="status" data-testid="notifications-prompt">
        <span>Get a browser notification when a run finishes, fails or waits for input.</span>
        <button
          type="button"
          className="button button-primary"
          data-testid="notifications-enable"
          onClick={() => {
            void Notification.requestPermission().then((p) => {
              setPermission(p);
              settle('dismissed');
            });
          }}
        >
          Turn on notifications
        </button>
        <button type="button" className="button" data-testid="notifications-dismiss" onClick={() => settle('dismissed')}>
          Not now
        </button>
      </div>
    );
  } else if (view === 'denied') {
    prompt = (
      <div className="banner banner-warn notify-prompt" role="status" data-testid="notifications-denied">
        <span>Notifications are blocked for this site, so viban cannot notify you. To get them, allow notifications in the browser’s site settings.</span>
        <button type="button" className="button" onClick={() => settle('denial-seen')}>
          OK
        </button>
      </div>
    );
  }
  return { notify, prompt };
}
