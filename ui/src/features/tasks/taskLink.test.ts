import { describe, expect, it } from 'vitest';
import { hashWithoutTaskLink, taskLinkFromHash } from './taskLink';

const T = '0193a4b2-1111-7000-8000-000000000001';
const P = '0193a4b2-2222-7000-8000-000000000002';

describe('task links', () => {
  it('reads a task and its project from the fragment, next to a sign-in code', () => {
    expect(taskLinkFromHash(`#code=abc&task=${T}&project=${P}`)).toEqual({ taskId: T, projectId: P });
    expect(taskLinkFromHash(`#task=${T}`)).toBeNull();
    expect(taskLinkFromHash('#task=../../etc&project=x')).toBeNull();
  });

  it('takes the link out and keeps the rest', () => {
    expect(hashWithoutTaskLink(`#code=abc&task=${T}&project=${P}`)).toBe('#code=abc');
    expect(hashWithoutTaskLink(`#task=${T}&project=${P}`)).toBe('');
  });
});
