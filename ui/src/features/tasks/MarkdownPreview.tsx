import Markdown from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { openExternal } from '../../platform';

const PLUGINS = [remarkGfm];

/**
 * Renders a task description with GitHub's extensions (tables, task lists, strikethrough, autolinks). Raw HTML is
 * dropped (skipHtml); react-markdown's default URL filter drops `javascript:` links; links open outside the app.
 */
export default function MarkdownPreview({ source }: { source: string }) {
  return (
    <Markdown
      skipHtml
      remarkPlugins={PLUGINS}
      components={{
        a: ({ node: _node, href, ...props }) => (
          <a
            {...props}
            href={href}
            rel="noreferrer noopener"
            onClick={(e) => {
              e.preventDefault();
              if (href) openExternal(href);
            }}
          />
        ),
      }}
    >
      {source}
    </Markdown>
  );
}
