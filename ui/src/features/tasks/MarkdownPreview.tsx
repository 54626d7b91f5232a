import Markdown from 'react-markdown';
import { openExternal } from '../../platform';

/** Renders a task description. Raw HTML is dropped (skipHtml); links open outside the app. */
export default function MarkdownPreview({ source }: { source: string }) {
  return (
    <Markdown
      skipHtml
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
