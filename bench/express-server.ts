import { randomBytes } from 'node:crypto';
import express from 'express';

/**
 * Reference arm (c), the ceiling of the web stack: Express 5 parsing a JSON body and answering
 * JSON of the size of a token pair, with no work in between. One process, as Gatehouse runs.
 */
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

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
