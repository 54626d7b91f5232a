import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createBrowserAuth } from './features/connection/useAuth';
import { initTheme } from './features/theme/theme';
import './styles.css';

// The saved theme (or the system's) before the first paint.
initTheme();

// First of all: a sign-in code in the address bar (`/#code=…`) is taken out of it and traded for a session.
const auth = createBrowserAuth();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App auth={auth} />
  </StrictMode>,
);
