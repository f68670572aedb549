/** `migrate import --from <tool>` on PostgreSQL: every tool that runs there (see import-cycle.ts). */
import { describeImportCycles } from './import-cycle.js';

await describeImportCycles('postgres');
