import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { waitFor } from './process';

/**
 * A throwaway highly available PostgreSQL 15 on loopback: one etcd and two Patroni nodes with
 * synchronous replication, in a temporary folder, as Debian packages them (`patroni`,
 * `etcd-server`). PostgreSQL refuses to run as root, so the nodes run as user postgres.
 * Everything it starts is stopped by `destroy()`, by process id.
 */
export interface PatroniNode {
  name: string;
  port: number;
  restPort: number;
  dataDir: string;
  patroni: ChildProcess;
  output: () => string;
}

export interface PatroniCluster {
  nodes: [PatroniNode, PatroniNode];
  /** The node whose PostgreSQL is the primary now (Patroni's REST API says so). */
  primary(): Promise<PatroniNode | null>;
  /** Like a machine that dies: Patroni, the postmaster and its backends, all SIGKILLed. */
  killNode(node: PatroniNode): void;
  destroy(): Promise<void>;
}

const BIN_DIR = '/usr/lib/postgresql/15/bin';
const TTL_SECONDS = 20;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function postgresUser(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}

/** The postmaster recorded in `dataDir` and its children (backends, walsender, ...). */
function postgresProcesses(dataDir: string): number[] {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return [];
  const postmaster = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!Number.isInteger(postmaster) || postmaster <= 1) return [];
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === postmaster) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return [postmaster, ...children];
}

function killAll(pids: Array<number | undefined>) {
  for (const pid of pids) {
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function nodeConfig(options: { name: string; dir: string; port: number; restPort: number; etcdPort: number }): string {
  const { name, dir, port, restPort, etcdPort } = options;
  return `scope: gatehouse-failover-test
name: ${name}
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:${restPort}
  connect_address: 127.0.0.1:${restPort}
etcd3:
  hosts: 127.0.0.1:${etcdPort}
bootstrap:
  dcs:
    ttl: ${TTL_SECONDS}
    loop_wait: 1
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        synchronous_commit: 'on'
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 5
        max_replication_slots: 5
        max_connections: 60
  initdb:
    - encoding: UTF8
    - auth: trust
postgresql:
  listen: 127.0.0.1:${port}
  connect_address: 127.0.0.1:${port}
  data_dir: ${dir}/data
  bin_dir: ${BIN_DIR}
  pgpass: ${dir}/pgpass
  authentication:
    superuser: { username: postgres, password: postgres }
    replication: { username: postgres, password: postgres }
  parameters:
    unix_socket_directories: '${dir}'
    fsync: 'off'
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
`;
}

export async function startPatroniCluster(): Promise<PatroniCluster> {
  for (const binary of ['/usr/bin/patroni', '/usr/bin/etcd', `${BIN_DIR}/postgres`]) {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: apt-get install -y patroni etcd-server postgresql-15`);
  }
  const user = postgresUser();
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-patroni-'));
  chownSync(root, user.uid, user.gid);
  const env = { PATH: process.env.PATH!, HOME: root, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  const started: ChildProcess[] = [];
  const nodes: PatroniNode[] = [];
  let etcdOutput = '';

  const destroy = async () => {
    for (const node of nodes) killAll([node.patroni.pid, ...postgresProcesses(node.dataDir)]);
    killAll(started.map((child) => child.pid));
    await Promise.all(
      started.map((child) => (child.exitCode !== null || child.signalCode !== null ? null : new Promise((r) => child.once('exit', r)))),
    );
    // Backends notice their postmaster's death by themselves; wait for them before deleting their folder.
    for (const node of nodes) {
      await waitFor(`${node.name}'s PostgreSQL processes to end`, () => postgresProcesses(node.dataDir).every((pid) => !existsSync(`/proc/${pid}`)), 10_000, 50).catch(() => {});
    }
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const [etcdPort, peerPort] = [await freePort(), await freePort()];
    const etcd = spawn(
      '/usr/bin/etcd',
      [
        '--name', 'gatehouse-test',
        '--data-dir', join(root, 'etcd'),
        '--listen-client-urls', `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
        '--initial-cluster', `gatehouse-test=http://127.0.0.1:${peerPort}`,
        '--log-level', 'warn',
      ],
      { env, uid: user.uid, gid: user.gid },
    );
    started.push(etcd);
    etcd.stdout!.on('data', (chunk: Buffer) => (etcdOutput += chunk));
    etcd.stderr!.on('data', (chunk: Buffer) => (etcdOutput += chunk));
    await waitFor('etcd to answer', async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`).catch(() => null))?.ok === true, 20_000, 100).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${etcdOutput}`);
      },
    );

    const startNode = async (name: string): Promise<PatroniNode> => {
      const dir = join(root, name);
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, user.uid, user.gid);
      const [port, restPort] = [await freePort(), await freePort()];
      const configFile = join(dir, 'patroni.yml');
      writeFileSync(configFile, nodeConfig({ name, dir, port, restPort, etcdPort }));
      const patroni = spawn('/usr/bin/patroni', [configFile], { env, uid: user.uid, gid: user.gid });
      started.push(patroni);
      let output = '';
      patroni.stdout!.on('data', (chunk: Buffer) => (output += chunk));
      patroni.stderr!.on('data', (chunk: Buffer) => (output += chunk));
      const node: PatroniNode = { name, port, restPort, dataDir: join(dir, 'data'), patroni, output: () => output };
      nodes.push(node);
      return node;
    };
    const rest = (node: PatroniNode, path: string) =>
      fetch(`http://127.0.0.1:${node.restPort}${path}`, { signal: AbortSignal.timeout(1_000) })
        .then((response) => response.status)
        .catch(() => 0);

    const first = await startNode('node1');
    await waitFor('node1 to bootstrap as the primary', async () => (await rest(first, '/primary')) === 200, 60_000, 200).catch((error: Error) => {
      throw new Error(`${error.message}\n${first.output()}`);
    });
    const second = await startNode('node2');
    await waitFor('node2 to stream as the synchronous standby', async () => (await rest(second, '/sync')) === 200, 60_000, 200).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${second.output()}`);
      },
    );
    const primarySql = postgres({ host: '127.0.0.1', port: first.port, user: 'postgres', database: 'postgres', max: 1, onnotice: () => {} });
    try {
      await waitFor('synchronous replication', async () => {
        const [row] = await primarySql`select count(*)::int as sync from pg_stat_replication where sync_state = 'sync'`;
        return row!.sync === 1;
      }, 30_000, 200);
    } finally {
      await primarySql.end();
    }

    return {
      nodes: [first, second],
      async primary() {
        for (const node of nodes) if ((await rest(node, '/primary')) === 200) return node;
        return null;
      },
      killNode(node) {
        killAll([node.patroni.pid, ...postgresProcesses(node.dataDir)]);
      },
      destroy,
    };
  } catch (error) {
    await destroy();
    throw error;
  }
}
