import type { ReactNode } from 'react';

export function Header({ children }: { children?: ReactNode }) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ▦
        </span>
        viban
      </div>
      {children}
    </header>
  );
}

/** Shown while the database is restarting or down; changes made meanwhile fail with a clear error. */
export function ServicesBanner({ database }: { database: string }) {
  const down = database === 'down' || database === 'stopped';
  return (
    <div className={`banner ${down ? 'banner-error' : 'banner-warn'}`} role="status" data-testid="services-banner">
      {down
        ? 'The database is down. Use Restart services in the tray menu, or see the logs.'
        : 'The database is restarting… Changes will work again in a moment.'}
    </div>
  );
}
