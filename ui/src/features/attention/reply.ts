// Answering a waiting agent from its toast (pure part): what is typed into the terminal and what a failure says.
import { ApiError, errorMessage } from '../../api/client';
import { sendInput } from '../../api/runs';

/** The `POST /api/runs/{id}/input` body for a one-line answer: the text and Enter (a carriage return, as a key). */
export function replyPayload(text: string): { data: string } {
  return { data: `${text.replace(/[\r\n]+/g, ' ')}\r` };
}

/** What the toast says when the answer could not be sent; a run that ended meanwhile is said plainly. */
export function replyErrorMessage(e: unknown): string {
  if (e instanceof ApiError && (e.status === 409 || e.status === 404)) return 'The run has ended; your answer was not sent.';
  return `Could not send the answer: ${errorMessage(e)}`;
}

/** Sends a one-line answer to a run; rejects with the message the toast shows. */
export async function sendReply(runId: string, text: string): Promise<void> {
  try {
    await sendInput(runId, replyPayload(text).data);
  } catch (e) {
    throw new Error(replyErrorMessage(e), { cause: e });
  }
}
