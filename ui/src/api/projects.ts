// The projects routes (docs/api-contract.md, "Projects") and a project's board.
import type { Board, CreateProject, Project, UpdateProject } from './generated/types';
import { request } from './http';

const enc = encodeURIComponent;

export const listProjects = () => request<Project[]>('GET', '/api/projects');
export const createProject = (body: CreateProject) => request<Project>('POST', '/api/projects', body);
export const updateProject = (id: string, body: UpdateProject) => request<Project>('PATCH', `/api/projects/${enc(id)}`, body);
export const deleteProject = (id: string) => request<void>('DELETE', `/api/projects/${enc(id)}`);
/** The project's tasks in their columns. */
export const getBoard = (projectId: string) => request<Board>('GET', `/api/projects/${enc(projectId)}/board`);
