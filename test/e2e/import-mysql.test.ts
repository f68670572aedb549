/** `migrate import --from <tool>` on MySQL/MariaDB: every tool that runs there (see import-cycle.ts). */
import { describeImportCycles } from './import-cycle.js';

await describeImportCycles('mysql');
