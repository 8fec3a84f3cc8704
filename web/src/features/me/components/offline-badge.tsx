import type { Me } from '@/features/me/api/get-me';

/** Says plainly when replies come from the built-in offline model rather than a real one. */
export function OfflineBadge({ me }: { me: Me }) {
  if (me.model?.provider !== 'offline') return null;
  return (
    <span
      className="badge badge--warning"
      data-testid="offline-badge"
      title="No OpenAI key is configured: a built-in model gives fixed replies."
    >
      Offline model
    </span>
  );
}
