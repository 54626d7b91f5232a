// A project's image and limits for its container and Kubernetes runs. Every field left empty keeps what the agent's
// profile (and agents.toml's [container] / [kubernetes]) says; what is set wins over the profile for this project.
import type { OptionsForm } from './projectSettings';

type Props = { value: OptionsForm; onChange: (value: OptionsForm) => void };

type TextField = Exclude<keyof OptionsForm, 'network'>;

export function RuntimeOptionsFields({ value, onChange }: Props) {
  const set = (field: TextField) => (e: { target: { value: string } }) => onChange({ ...value, [field]: e.target.value });
  const input = (field: TextField, label: string, placeholder: string, title: string) => (
    <label className="field runtime-option" title={title}>
      <span>{label}</span>
      <input data-testid={`project-option-${field}`} value={value[field]} onChange={set(field)} placeholder={placeholder} spellCheck={false} />
    </label>
  );
  return (
    <details className="runtime-options" data-testid="project-runtime-options">
      <summary>Image and limits for container and Kubernetes runs</summary>
      <p className="muted small">Empty fields keep what each agent&apos;s profile says.</p>
      <fieldset className="runtime-options-group">
        <legend>In a container</legend>
        {input('image', 'Image', 'localhost/my-agents:latest', 'The image the agent runs in; it must hold the agent CLI')}
        {input('memory', 'Memory', '4g', 'Memory limit per run, as the engine takes it (512m, 4g)')}
        {input('cpus', 'CPUs', '2', 'CPUs per run (0.5, 2)')}
        {input('pids', 'Processes', '1024', 'Most processes a run may have (at least 16)')}
        <label className="field runtime-option" title="Whether the agent can use the network at all">
          <span>Network</span>
          <select
            data-testid="project-option-network"
            value={value.network}
            onChange={(e) => onChange({ ...value, network: e.target.value as OptionsForm['network'] })}
          >
            <option value="">as the profile says</option>
            <option value="on">on</option>
            <option value="off">off</option>
          </select>
        </label>
      </fieldset>
      <fieldset className="runtime-options-group">
        <legend>On Kubernetes</legend>
        {input('kubeImage', 'Image', 'registry.example/agents:1', 'The image of the pod; it must hold the agent CLI, sh and git')}
        {input('kubeCpu', 'CPU', '2', 'Kubernetes CPU request and limit (500m, 2)')}
        {input('kubeMemory', 'Memory', '4Gi', 'Kubernetes memory request and limit (4Gi)')}
      </fieldset>
    </details>
  );
}
