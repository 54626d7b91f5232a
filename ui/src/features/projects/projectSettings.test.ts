import { describe, expect, it } from 'vitest';
import { formatCopyFiles, optionsForm, parseCopyFiles, parseOptions, projectChanges, settingsForm } from './projectSettings';

describe('parseCopyFiles', () => {
  it('reads one path per line', () => {
    expect(parseCopyFiles('.env\nconfig/local.json')).toEqual(['.env', 'config/local.json']);
  });

  it('trims, drops blank lines and repeats, keeps the order', () => {
    expect(parseCopyFiles('  .env  \r\n\n\t\nb.txt\r\n.env\na.txt\n')).toEqual(['.env', 'b.txt', 'a.txt']);
  });

  it('is empty for an empty or blank box', () => {
    expect(parseCopyFiles('')).toEqual([]);
    expect(parseCopyFiles(' \n \n')).toEqual([]);
  });

  it('keeps spaces inside a path', () => {
    expect(parseCopyFiles('my secrets/.env')).toEqual(['my secrets/.env']);
  });

  it('round-trips with formatCopyFiles', () => {
    const files = ['.env', 'a/b.json'];
    expect(parseCopyFiles(formatCopyFiles(files))).toEqual(files);
    expect(formatCopyFiles([])).toBe('');
  });
});

describe('projectChanges', () => {
  const none = {
    container: { image: null, memory: null, cpus: null, pids: null, network: null },
    kubernetes: { image: null, cpu: null, memory: null },
  };
  const project = { name: 'app', setup_script: '', copy_files: ['.env'], default_runtime: 'profile' as const, runtime_options: none };
  const form = (f: { name: string; setupScript: string; copyFiles: string }) => ({
    defaultRuntime: 'profile' as const,
    options: settingsForm(project).options,
    ...f,
  });

  it('is null when nothing changed (blank lines and spaces do not count)', () => {
    expect(projectChanges(project, settingsForm(project))).toBeNull();
    expect(projectChanges(project, form({ name: ' app ', setupScript: '', copyFiles: '\n.env\n\n' }))).toBeNull();
  });

  it('sends only what changed', () => {
    expect(projectChanges(project, form({ name: 'web', setupScript: 'npm ci', copyFiles: '.env' }))).toEqual({
      name: 'web',
      setup_script: 'npm ci',
    });
    expect(projectChanges(project, form({ name: 'app', setupScript: '', copyFiles: '' }))).toEqual({ copy_files: [] });
    expect(projectChanges(project, form({ name: 'app', setupScript: '', copyFiles: '.env\n.npmrc' }))).toEqual({
      copy_files: ['.env', '.npmrc'],
    });
    expect(projectChanges(project, { ...settingsForm(project), defaultRuntime: 'container' })).toEqual({
      default_runtime: 'container',
    });
  });
});

describe('runtime options', () => {
  const none = {
    container: { image: null, memory: null, cpus: null, pids: null, network: null },
    kubernetes: { image: null, cpu: null, memory: null },
  };
  const project = { name: 'app', setup_script: '', copy_files: [], default_runtime: 'profile' as const, runtime_options: none };

  it('round-trips and sends nothing when untouched', () => {
    expect(parseOptions(optionsForm(none))).toEqual(none);
    expect(projectChanges(project, settingsForm(project))).toBeNull();
  });

  it('sends the options as a whole when one changed, blanks meaning "as the profile says"', () => {
    const f = settingsForm(project);
    const changed = projectChanges(project, { ...f, options: { ...f.options, memory: ' 8g ', cpus: '1.5', network: 'off', kubeCpu: '500m' } });
    expect(changed).toEqual({
      runtime_options: {
        container: { image: null, memory: '8g', cpus: 1.5, pids: null, network: false },
        kubernetes: { image: null, cpu: '500m', memory: null },
      },
    });
  });

  it('names a number that is not one', () => {
    const f = settingsForm(project);
    expect(projectChanges(project, { ...f, options: { ...f.options, cpus: 'two' } })).toMatch(/CPUs must be a number/);
    expect(projectChanges(project, { ...f, options: { ...f.options, pids: '8' } })).toMatch(/at least 16/);
  });
});
