import type { SearchHit } from '@/features/search/api/search-messages';

/** A result's snippet: text nodes only, the matched words in `<mark>` (never HTML from the server). */
export function Snippet({ parts }: { parts: SearchHit['snippet'] }) {
  return (
    <p className="search-hit__snippet" dir="auto">
      {parts.map((part, index) => (part.match ? <mark key={index}>{part.text}</mark> : part.text))}
    </p>
  );
}
