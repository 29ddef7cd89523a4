export { ErrorCodes, type ErrorName } from './codes.ts';
export { ErrorInfo, type WireError } from './error-info.ts';
