import { useState } from 'react';

export function SignOutButton({ onSignOut }: { onSignOut(): Promise<void> }) {
  const [pending, setPending] = useState(false);

  async function click() {
    setPending(true);
    try {
      await onSignOut();
    } finally {
      setPending(false);
    }
  }

  return (
    <button type="button" className="button-secondary" onClick={click} disabled={pending}>
      {pending ? 'Signing out…' : 'Sign out'}
    </button>
  );
}
