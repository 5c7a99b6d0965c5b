import { ref } from 'vue';
import { API_BASE } from '../../api/client.ts';
import { expire, session } from '../../session.ts';

export interface LiveEvent { event: string; data: unknown }

/**
 * Follows a server-sent event stream of the API with the session's token (EventSource cannot
 * send one, so this reads the stream with fetch). It reconnects after a drop, waiting a
 * little longer each time (1 s up to 15 s); `connected` says whether events flow now.
 */
export function followStream(path: string, onEvent: (e: LiveEvent) => void) {
  const connected = ref(false);
  let ctl: AbortController | undefined;
  let stopped = false;
  let wait = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function run() {
    ctl = new AbortController();
    try {
      const res = await fetch(API_BASE + path, { headers: { authorization: `Bearer ${session.token ?? ''}`, accept: 'text/event-stream' }, signal: ctl.signal });
      if (res.status === 401) return expire();
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      connected.value = true;
      wait = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          if (!event) continue; // a keepalive comment
          const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n');
          onEvent({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // dropped or refused: try again below
    }
    connected.value = false;
    if (stopped) return;
    timer = setTimeout(() => void run(), wait);
    wait = Math.min(wait * 2, 15_000);
  }

  void run();
  return {
    connected,
    close() {
      stopped = true;
      clearTimeout(timer);
      ctl?.abort();
    },
  };
}
