// The tasks routes (docs/api-contract.md, "Tasks"). A task's runs are in runs.ts.
import type { CreateTask, Task, TaskDependencies, TaskEvent, UpdateTask } from './generated/types';
import { request } from './http';

const enc = encodeURIComponent;

export const createTask = (projectId: string, body: CreateTask) =>
  request<Task>('POST', `/api/projects/${enc(projectId)}/tasks`, body);
export const getTask = (id: string) => request<Task>('GET', `/api/tasks/${enc(id)}`);
export const taskEvents = (id: string) => request<TaskEvent[]>('GET', `/api/tasks/${enc(id)}/events`);
export const updateTask = (id: string, body: UpdateTask) => request<Task>('PATCH', `/api/tasks/${enc(id)}`, body);
export const deleteTask = (id: string) => request<void>('DELETE', `/api/tasks/${enc(id)}`);

export const taskDependencies = (id: string) => request<TaskDependencies>('GET', `/api/tasks/${enc(id)}/dependencies`);
export const addDependency = (id: string, blockerId: string) =>
  request<TaskDependencies>('POST', `/api/tasks/${enc(id)}/dependencies`, { blocker_id: blockerId });
export const removeDependency = (id: string, blockerId: string) =>
  request<TaskDependencies>('DELETE', `/api/tasks/${enc(id)}/dependencies/${enc(blockerId)}`);
export const setAutoStart = (id: string, agent: string, prompt: string) =>
  request<TaskDependencies>('PUT', `/api/tasks/${enc(id)}/auto-start`, { agent, prompt });
export const clearAutoStart = (id: string) => request<TaskDependencies>('DELETE', `/api/tasks/${enc(id)}/auto-start`);
