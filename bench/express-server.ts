import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import express from 'express';

/**
 * Reference arm (c), the ceiling of the web stack: Express 5 parsing a JSON body and answering
 * JSON of the size of a token pair, with no work in between. It runs in the same process model
 * as Gatehouse: one process, or WORKERS cluster workers when the benchmark asks for them.
 */
const workers = Number(process.env.WORKERS ?? 1);
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  // About the size of Gatehouse's answer: a ~330-character JWT and a 43-character token.
  const accessToken = randomBytes(248).toString('base64url');
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/refresh', express.json({ limit: 100 * 1024 }), (req, res) => {
    const presented = typeof req.body?.refresh_token === 'string' ? req.body.refresh_token : '';
    res.setHeader('Cache-Control', 'no-store');
    res.json({ access_token: accessToken, refresh_token: presented });
  });
  const server = app.listen(port, host);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
