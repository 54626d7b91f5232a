// The favicon with a badge for the number of runs waiting for input, drawn on a canvas into a data: URL
// (the server's CSP allows `img-src data:`).
import { badgeLabel } from './attention';

let original: string | null = null;

function iconLink(): HTMLLinkElement {
  let link = document.querySelector<HTMLLinkElement>('link[rel~="icon"]');
  if (!link) {
    link = document.createElement('link');
    link.rel = 'icon';
    document.head.appendChild(link);
  }
  return link;
}

/** The plain icon (index.html's, at 32 px): three bars on a dark square. */
function drawBase(ctx: CanvasRenderingContext2D, size: number): void {
  const k = size / 16;
  ctx.fillStyle = '#0f1115';
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = '#6d8cff';
  for (const [x, h] of [[3, 10], [6.75, 7], [10.5, 4]] as const) ctx.fillRect(x * k, 3 * k, 2.5 * k, h * k);
}

/** Shows `waiting` on the favicon (0 restores the page's own icon). */
export function setFaviconBadge(waiting: number): void {
  const link = iconLink();
  if (original === null) original = link.getAttribute('href') ?? '';
  const label = badgeLabel(waiting);
  if (!label) {
    if (original) link.href = original;
    else link.removeAttribute('href');
    link.dataset.badge = '';
    return;
  }
  const size = 32;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  drawBase(ctx, size);
  ctx.fillStyle = '#f59e0b';
  ctx.beginPath();
  ctx.arc(size - 10, 10, 10, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#000000';
  ctx.font = `bold ${label.length > 1 ? 11 : 15}px sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(label, size - 10, 11);
  link.href = canvas.toDataURL('image/png');
  link.dataset.badge = label;
}
