export function NoProjects({ onAdd }: { onAdd: () => void }) {
  return (
    <div className="empty-state empty-state-big" data-testid="no-projects">
      <div className="empty-icon" aria-hidden="true">
        ▦
      </div>
      <h2>No projects yet</h2>
      <p className="muted">A project is a git repository on this machine. Its tasks live on a kanban board.</p>
      <button type="button" className="button button-primary button-large" onClick={onAdd}>
        Add your first project
      </button>
    </div>
  );
}
