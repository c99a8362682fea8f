import type { RequestHandler } from 'express';
import { openDatabaseScope } from './db/scope';

/**
 * Every request's database work is bounded: past `timeoutSeconds` the answer is 503
 * database_unavailable, and once the client has gone nothing more of it runs (what still
 * waits for a connection is dropped).
 */
export function databaseDeadline(timeoutSeconds: number): RequestHandler {
  return (_req, res, next) => {
    const scope = openDatabaseScope(timeoutSeconds * 1000);
    res.on('close', () => {
      scope.close();
      if (!res.writableFinished) scope.abandon();
    });
    scope.run(next);
  };
}
