/** Prints what the workbook left on the machine, as JSON — run in another network namespace with nsenter (battery.test.ts). */
import { findLeftovers } from '../../toolkit/cli/leftovers.ts';

console.log(JSON.stringify(findLeftovers()));
