import { describe, expect, it } from 'vitest';
import { formatCopyFiles, parseCopyFiles, projectChanges, settingsForm } from './projectSettings';

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
  const project = { name: 'app', setup_script: '', copy_files: ['.env'], default_runtime: 'profile' as const };
  const form = (f: { name: string; setupScript: string; copyFiles: string }) => ({ defaultRuntime: 'profile' as const, ...f });

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
