/**
 * The cgroup toolkit: where the hierarchies are, and the file operations a
 * cgroup is driven by. What to write where is chapter 3's work.
 * https://man7.org/linux/man-pages/man7/cgroups.7.html
 * https://docs.kernel.org/admin-guide/cgroup-v2.html
 */
export { detectCgroups, realSources, V1_CONTROLLERS, V2_CONTROLLERS, type CgroupLayout, type CgroupSources, type Controller } from './layout.ts';
export { makeCgroupDir, readCgroupFile, readKeyedFile, removeCgroupDir, writeCgroupFile } from './files.ts';
export { formatAccounting, type Accounting } from './report.ts';
