/// <reference lib="dom" />
/**
 * In the browser: the "Run live demo" control. It sends the demo's id (the
 * server knows the command) and shows the answer as it streams in: one JSON
 * event per line, output as it happens, the exit status at the end.
 */
interface Status {
  root: boolean;
  running: string | null;
  demos: { id: string }[];
}

type DemoEvent =
  | { type: 'start'; id: string }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'end'; status: number; expected: boolean; why: string; seconds: number };

export async function startDemos(): Promise<void> {
  const controls = [...document.querySelectorAll<HTMLElement>('.demo')];
  if (controls.length === 0 || !location.protocol.startsWith('http')) return; // opened from disk: the slide's text says how
  let status: Status;
  try {
    const res = await fetch('/api/status');
    if (!res.ok) return;
    status = (await res.json()) as Status;
  } catch {
    return; // a plain static web server: same as from disk
  }
  for (const control of controls) setUp(control, status);
}

function setUp(control: HTMLElement, status: Status): void {
  const id = control.dataset.demo ?? '';
  const button = control.querySelector<HTMLButtonElement>('.demo-run')!;
  const state = control.querySelector<HTMLElement>('.demo-state')!;
  const output = control.querySelector<HTMLElement>('.demo-output')!;
  const say = (text: string, kind: string) => {
    state.textContent = text;
    control.dataset.state = kind;
  };

  if (!status.demos.some((d) => d.id === id)) return say("This chapter's reference solution is not in place yet: no live demo.", 'unavailable');
  if (!status.root) return say('Live demos need root: start the server with sudo npm run slides (in the VM, npm runs as root).', 'unavailable');
  button.disabled = false;
  say('Ready: runs the reference solution on this machine.', 'ready');

  button.addEventListener('click', async (click) => {
    // Clicked with the mouse: give the focus back, so that Space turns the page again.
    if (click.detail > 0) button.blur();
    button.disabled = true;
    output.textContent = '';
    say('starting…', 'starting');
    try {
      const res = await fetch(`/api/demos/${encodeURIComponent(id)}`, { method: 'POST' });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        return say(`Refused: ${body.error ?? `HTTP ${res.status}`}`, 'refused');
      }
      say('running…', 'running');
      let ended = false;
      for await (const event of readEvents(res.body)) {
        if (event.type === 'output') append(output, event.text, event.stream);
        if (event.type === 'end') {
          ended = true;
          const how = event.why !== 'exited' ? ` (${event.why})` : event.status !== 0 && event.expected ? ', as expected' : '';
          say(`exit ${event.status}${how} · ${event.seconds.toFixed(1)} s`, event.expected ? 'done' : 'failed');
        }
      }
      if (!ended) say('The slides server stopped before the demo ended.', 'refused');
    } catch (error) {
      say(`The connection to the slides server broke: ${String(error)}`, 'refused');
    } finally {
      button.disabled = false;
    }
  });
}

/** A streamed body of JSON lines → events, each as soon as its line is complete. */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<DemoEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder(); // stream: true keeps a character split across chunks whole
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== '') yield JSON.parse(line) as DemoEvent;
    }
  }
}

/** Adds output to the terminal box; the runner's own remarks (stderr) look different. */
function append(output: HTMLElement, text: string, stream: 'stdout' | 'stderr'): void {
  const span = document.createElement('span');
  span.className = stream;
  span.textContent = text;
  output.append(span);
  output.scrollTop = output.scrollHeight;
}
