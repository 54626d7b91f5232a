// Column automations and the inbox (docs/api-contract.md, "Automation").
import type { Automation, DismissInbox, Firing, Inbox, PutAutomation, TaskStatus } from './generated/types';
import { request } from './http';

const enc = encodeURIComponent;

export const listAutomations = (projectId: string) =>
  request<Automation[]>('GET', `/api/projects/${enc(projectId)}/automations`);
export const putAutomation = (projectId: string, column: TaskStatus, body: PutAutomation) =>
  request<Automation>('PUT', `/api/projects/${enc(projectId)}/automations/${enc(column)}`, body);
export const deleteAutomation = (projectId: string, column: TaskStatus) =>
  request<void>('DELETE', `/api/projects/${enc(projectId)}/automations/${enc(column)}`);
export const taskFirings = (taskId: string) => request<Firing[]>('GET', `/api/tasks/${enc(taskId)}/automations`);

export const getInbox = () => request<Inbox>('GET', '/api/inbox');
export const dismissInbox = (body: DismissInbox) => request<void>('POST', '/api/inbox/dismiss', body);
