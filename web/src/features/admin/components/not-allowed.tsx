import { useDocumentTitle } from '@/lib/use-document-title';

/** A console page the signed-in role may not see: said plainly, with no data fetched. */
export function NotAllowed() {
  useDocumentTitle('Not allowed');
  return (
    <section className="console" aria-labelledby="not-allowed-heading">
      <div className="console__body">
        <div className="card notice" role="alert" data-testid="not-allowed">
          <h1 id="not-allowed-heading">Not allowed</h1>
          <p>Your role does not give you access to this page.</p>
        </div>
      </div>
    </section>
  );
}
