// The tasks routes (docs/api-contract.md, "Tasks"). A task's runs are in runs.ts.
import type { CreateTask, Task, TaskEvent, UpdateTask } from './generated/types';
import { request } from './http';

const enc = encodeURIComponent;

export const createTask = (projectId: string, body: CreateTask) =>
  request<Task>('POST', `/api/projects/${enc(projectId)}/tasks`, body);
export const getTask = (id: string) => request<Task>('GET', `/api/tasks/${enc(id)}`);
export const taskEvents = (id: string) => request<TaskEvent[]>('GET', `/api/tasks/${enc(id)}/events`);
export const updateTask = (id: string, body: UpdateTask) => request<Task>('PATCH', `/api/tasks/${enc(id)}`, body);
export const deleteTask = (id: string) => request<void>('DELETE', `/api/tasks/${enc(id)}`);
