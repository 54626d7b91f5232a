import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import MarkdownPreview from './MarkdownPreview';

const html = (source: string) => renderToStaticMarkup(createElement(MarkdownPreview, { source }));

describe('task description markdown (GFM)', () => {
  it('renders tables, task lists, strikethrough and autolinks', () => {
    const out = html('| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n~~gone~~ see https://example.com');
    expect(out).toContain('<table>');
    expect(out).toContain('<td>1</td>');
    expect(out).toMatch(/<input type="checkbox" disabled="" checked=""\/>/);
    expect(out).toContain('<del>gone</del>');
    expect(out).toContain('href="https://example.com"');
  });

  it('drops raw HTML and javascript: links', () => {
    const out = html('<script>alert(1)</script><b>bold</b> [x](javascript:alert(1))');
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<b>');
    expect(out).not.toContain('javascript:');
  });
});
