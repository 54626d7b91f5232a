import type { Project } from '../../api/generated/types';

type Props = {
  projects: readonly Project[];
  selectedId: string | null;
  onSelect: (id: string) => void;
};

export function ProjectSwitcher({ projects, selectedId, onSelect }: Props) {
  const selected = projects.find((p) => p.id === selectedId);
  return (
    <label className="project-switcher" title={selected?.repo_path}>
      <span className="visually-hidden">Project</span>
      <select
        data-testid="project-switcher"
        value={selectedId ?? ''}
        onChange={(e) => onSelect(e.target.value)}
        disabled={projects.length === 0}
      >
        {projects.length === 0 && <option value="">No projects</option>}
        {projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
    </label>
  );
}
