// The runs route the cards need (docs/api-contract.md, "Agents and runs").
import type { Run } from '../../api/generated/types';
import { request } from '../../api/client';

/** `GET /api/projects/{id}/runs`: the newest run of each task of the project. */
export function listProjectRuns(projectId: string): Promise<Run[]> {
  return request<Run[]>('GET', `/api/projects/${encodeURIComponent(projectId)}/runs`);
}
