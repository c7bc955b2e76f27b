/** The progress stream (Server-Sent Events): every connected page gets every event. */
import type http from 'node:http';

export class EventHub {
  private clients = new Set<http.ServerResponse>();
  private keepAlive: NodeJS.Timeout;

  constructor() {
    // A comment line every 20 s keeps proxies and idle timers from closing the stream.
    this.keepAlive = setInterval(() => {
      for (const c of this.clients) c.write(': keep-alive\n\n');
    }, 20_000);
    this.keepAlive.unref();
  }

  attach(res: http.ServerResponse, hello: unknown): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(`event: hello\ndata: ${JSON.stringify(hello)}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  emit(event: string, data: unknown): void {
    const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(msg);
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
