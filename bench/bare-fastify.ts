/**
 * The api-throughput case's baseline, in a process of its own like `tide serve`: a bare Fastify route
 * answering `GET /api/v1/workspaces/:name` with a fixed body. Arguments: the body's file and content type.
 * Prints its URL on one line once it listens; ends on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [bodyFile, contentType] = process.argv.slice(2);
if (!bodyFile || !contentType) throw new Error('usage: bare-fastify.ts <body file> <content type>');
const body = readFileSync(bodyFile, 'utf8');
const app = Fastify();
app.get('/api/v1/workspaces/:name', (_request, reply) => reply.type(contentType).send(body));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${url}\n`);
process.once('SIGTERM', () => void app.close());
