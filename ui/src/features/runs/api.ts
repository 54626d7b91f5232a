// The runs calls live in api/runs.ts (one API module per resource); re-exported here for older imports.
export * from '../../api/runs';
