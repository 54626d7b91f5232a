import { describe, expect, it } from 'vitest';
import type { Project } from '../../api/generated/types';
import { defaultedName, folderName, pickProjectId, projectErrorHint } from './selection';

const project = (id: string): Project => ({
  id,
  name: id,
  repo_path: `/r/${id}`,
  default_branch: null,
  setup_script: "",
  copy_files: [],
  default_runtime: 'profile',
  runtime_options: {
    container: { image: null, memory: null, cpus: null, pids: null, network: null },
    kubernetes: { image: null, cpu: null, memory: null },
  },
  created_at: '',
  updated_at: '',
});

describe('pickProjectId', () => {
  const list = [project('a'), project('b')];
  it('keeps a remembered project that still exists', () => expect(pickProjectId(list, 'b')).toBe('b'));
  it('falls back to the first project', () => expect(pickProjectId(list, 'gone')).toBe('a'));
  it('gives null without projects', () => expect(pickProjectId([], 'a')).toBeNull());
});

describe('folderName', () => {
  it('takes the last component', () => {
    expect(folderName('/home/me/code/app/')).toBe('app');
    expect(folderName('C:\\src\\tool')).toBe('tool');
    expect(folderName('  ')).toBe('');
  });
});

describe('projectErrorHint', () => {
  it('explains not_a_git_repo', () => expect(projectErrorHint('not_a_git_repo')).toMatch(/not a git repository/i));
  it('has nothing for unknown codes', () => expect(projectErrorHint('internal')).toBeNull());
});

describe('defaultedName', () => {
  it("names an unnamed project after the repository's top folder", () => {
    // Added as …/shop/src: the server answers with the repository's top, /home/me/shop.
    expect(defaultedName({ name: 'src', repo_path: '/home/me/shop' }, '')).toBe('shop');
    expect(defaultedName({ name: 'shop', repo_path: '/home/me/shop' }, '  ')).toBeNull();
  });

  it('keeps a typed name', () => {
    expect(defaultedName({ name: 'Mine', repo_path: '/home/me/shop' }, 'Mine')).toBeNull();
  });
});
