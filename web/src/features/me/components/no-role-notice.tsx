export function NoRoleNotice() {
  return (
    <section className="card notice" role="status" aria-labelledby="no-role-heading">
      <h2 id="no-role-heading">Almost there</h2>
      <p>Your account has no role yet; ask an admin to give you one. Then sign out and sign in again.</p>
    </section>
  );
}
