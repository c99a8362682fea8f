// `npm run admin -- <command>`: the process around runAdmin (run.ts), which does the work.
import { runAdmin } from './run';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

runAdmin(process.argv.slice(2), {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  readStdin,
}).then((code) => {
  process.exitCode = code;
});
