// Sign-in and sessions (docs/api-contract.md, "Authentication"), and the server's health.
import type { Health, WsTicket } from './generated/types';
import { request } from './http';

export { exchangeCode } from './http';

export const health = () => request<Health>('GET', '/api/health');
/** A single-use ticket (valid 30 s) for the next WebSocket connection. */
export const ticket = () => request<WsTicket>('POST', '/api/auth/ticket', {}).then((r) => r.ticket);
/** Rotates the install token: every session and ticket everywhere is revoked, this browser's included. */
export const rotateToken = () => request<void>('POST', '/api/auth/rotate', {});
