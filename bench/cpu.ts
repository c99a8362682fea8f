import { readFileSync } from 'node:fs';
import type { Sql } from './database';
import { processTree } from './processes';

/**
 * Where a request's time goes, in CPU rather than wall-clock time: on a small machine shared
 * with other work, requests per second move with the neighbours, while the CPU each request
 * costs the server, PostgreSQL and the load generator stays put.
 */
const CLOCK_TICKS_PER_SECOND = 100;

function processCpuMs(pid: number): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

async function backendCpu(admin: Sql): Promise<Map<number, number>> {
  const rows = await admin.unsafe<{ pid: number }[]>(
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  );
  return new Map(rows.map(({ pid }) => [pid, processCpuMs(pid)]));
}

export interface CpuPerRequest {
  serverUs: number;
  databaseUs: number;
  loadGeneratorUs: number;
}

/** Starts counting; `stop(requests)` gives the CPU microseconds per request of each party. */
export async function startCpuMeter(admin: Sql, serverPid: number | undefined) {
  const serverTree = () => (serverPid === undefined ? 0 : processTree(serverPid).reduce((sum, pid) => sum + processCpuMs(pid), 0));
  const server = serverTree();
  const database = await backendCpu(admin);
  const own = process.cpuUsage();
  return async (requests: number): Promise<CpuPerRequest> => {
    const ownUsage = process.cpuUsage(own);
    let databaseMs = 0;
    for (const [pid, ms] of await backendCpu(admin)) databaseMs += ms - (database.get(pid) ?? 0);
    const perRequest = (ms: number) => (requests > 0 ? Math.round((ms * 1000) / requests) : 0);
    return {
      serverUs: perRequest(serverTree() - server),
      databaseUs: perRequest(databaseMs),
      loadGeneratorUs: perRequest((ownUsage.user + ownUsage.system) / 1000),
    };
  };
}
