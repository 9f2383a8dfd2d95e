/**
 * Chapter 7's mutants, in the shape of tests/mutants/mutants.ts (the grading
 * helper's list): the reference solution with one TODO step left out or done
 * the usual wrong way. Each was graded by hand against the suite with
 * --bail 1: the first failing check names its step (TODO 7.N) for all 15.
 * `checks` keeps each to the one or two checks about its step (selftest time).
 */
export interface ChapterMutant {
  chapter: number;
  step: string;
  name: string;
  replace: ReadonlyArray<readonly [from: string, to: string]>;
  checks?: string;
}

export const CHAPTER_7_MUTANTS: readonly ChapterMutant[] = [
  { chapter: 7, step: '7.1', name: "no bounding-set drop", replace: [["    if (!keep.includes(cap)) dropBoundingCapability(cap);", ""]], checks: "capability sets are docker" },
  { chapter: 7, step: '7.1', name: "only the first 32 capabilities", replace: [["for (let cap = 0; cap <= lastCapability(); cap++) {", "for (let cap = 0; cap <= 31; cap++) {"]], checks: "capability sets are docker" },
  { chapter: 7, step: '7.2', name: "no capset, ambient left", replace: [["  capset({ effective: mask, permitted: mask, inheritable: 0n });", ""], ["  clearAmbientCapabilities();\n}", "}"]], checks: "inheritable and ambient" },
  { chapter: 7, step: '7.2', name: "inheritable set to the kept capabilities", replace: [["capset({ effective: mask, permitted: mask, inheritable: 0n });", "capset({ effective: mask, permitted: mask, inheritable: mask });"]], checks: "capability sets are docker" },
  { chapter: 7, step: '7.3', name: "no no_new_privs", replace: [["export function setNoNewPrivileges(_c: Container): void {\n  setNoNewPrivs();", "export function setNoNewPrivileges(_c: Container): void {\n"]], checks: "NoNewPrivs is 1" },
  { chapter: 7, step: '7.4', name: "no architecture check", replace: [["    bpfStmt(BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH),\n    bpfJump(BPF_JMP | BPF_JEQ | BPF_K, auditArch(arch), 1, 0),\n    bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),\n", ""]], checks: "another architecture" },
  { chapter: 7, step: '7.4', name: "clone's flags not checked", replace: [["    bpfJump(BPF_JMP | BPF_JEQ | BPF_K, CLONE[arch], 0, 4),\n    bpfStmt(BPF_LD | BPF_W | BPF_ABS, seccompDataArgLow(0)),\n    bpfJump(BPF_JMP | BPF_JSET | BPF_K, CLONE_NAMESPACE_FLAGS, 0, 1), errno(EPERM),\n    bpfStmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),\n", ""]], checks: "refused with EPERM" },
  { chapter: 7, step: '7.5', name: "filter never installed", replace: [["  seccompSetModeFilter(program, SECCOMP_FILTER_FLAG_TSYNC);", ""]], checks: "NoNewPrivs is 1" },
  { chapter: 7, step: '7.6', name: "the rootfs's own /dev", replace: [["  mount('tmpfs', dev, 'tmpfs', MS_NOSUID | MS_STRICTATIME, 'mode=755,size=65536k');\n", "  if (dev !== '') return; // the image's own /dev stays\n"]], checks: "/dev holds only" },
  { chapter: 7, step: '7.7', name: "no read-only paths", replace: [["  for (const p of READONLY_PATHS) {", "  for (const p of READONLY_PATHS.slice(0, 0)) {"]], checks: "core_pattern" },
  { chapter: 7, step: '7.7', name: "bind without the read-only remount", replace: [["    mount(at, at, null, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);", ""]], checks: "core_pattern" },
  { chapter: 7, step: '7.8', name: "nothing masked", replace: [["  for (const p of MASKED_PATHS) {", "  for (const p of MASKED_PATHS.slice(0, 0)) {"]], checks: "masked paths" },
  { chapter: 7, step: '7.9', name: "no devices cgroup", replace: [["  makeCgroupDir(dir);\n  writeCgroupFile(`${dir}/devices.deny`, 'a');\n  for (const line of deviceAllowList()) writeCgroupFile(`${dir}/devices.allow`, line);\n  writeCgroupFile(`${dir}/cgroup.procs`, pid);", ""]], checks: "mknod of a host device" },
  { chapter: 7, step: '7.9', name: "allow list without deny all", replace: [["  writeCgroupFile(`${dir}/devices.deny`, 'a');\n", ""]], checks: "mknod of a host device" },
  { chapter: 7, step: '7.10', name: "--read-only ignored", replace: [["  mount(null, '/', null, MS_BIND | MS_REMOUNT | MS_RDONLY);", ""]], checks: "root filesystem refuses writes" },
];
