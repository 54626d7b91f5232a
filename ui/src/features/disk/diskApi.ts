// Typed calls for the disk view: every worktree with its size and safety, and cleanup.
import { request } from '../../api/client';
import type { CleanupRequest, CleanupResult, WorktreeInfo } from './disk';

export const listWorktrees = () => request<WorktreeInfo[]>('GET', '/api/worktrees');
export const cleanupWorktrees = (body: CleanupRequest) => request<CleanupResult>('POST', '/api/worktrees/cleanup', body);
