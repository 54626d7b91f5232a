import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import { replyErrorMessage, replyPayload } from './reply';

describe('toast reply', () => {
  it('sends the text and Enter, as one line', () => {
    expect(replyPayload('yes')).toEqual({ data: 'yes\r' });
    expect(replyPayload('a\nb')).toEqual({ data: 'a b\r' });
    expect(replyPayload('')).toEqual({ data: '\r' });
  });

  it('says plainly that the run ended', () => {
    expect(replyErrorMessage(new ApiError(409, { code: 'run_not_running', message: 'run is not running' }))).toBe(
      'The run has ended; your answer was not sent.',
    );
    expect(replyErrorMessage(new ApiError(429, { code: 'input_backlog', message: 'too much input' }))).toBe(
      'Could not send the answer: too much input',
    );
  });
});
