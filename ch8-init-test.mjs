import koffi from 'koffi';
import { spawn } from 'node:child_process';
const libc = koffi.load('libc.so.6');
const waitpid = libc.func('int waitpid(int pid, _Out_ int *status, int options)');
const app = spawn('/bin/sh', ['-c', 'for i in $(seq 50); do (sleep 0.1 &) ; done; sleep 0.5; exit 3'], { stdio: 'inherit' });
let reaped = 0;
process.on('SIGCHLD', () => {
  for (;;) {
    const st = [0];
    const pid = waitpid(-1, st, 1);
    if (pid <= 0) break;
    if (pid === app.pid) { console.log('app status', st[0], 'reaped', reaped); setTimeout(()=>process.exit((st[0]>>8)&0xff), 300); }
    else reaped++;
  }
});
setInterval(()=>{}, 1000);
