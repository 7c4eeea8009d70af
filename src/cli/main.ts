import { Command, CommanderError } from 'commander';
import { describeError } from '../core/util/errors';
import { registerRunCommands } from './commands/runs';
import { registerAnalysisCommands } from './commands/analysis';
import { registerExperimentCommands } from './commands/exp';
import { registerDataCommands } from './commands/data';
import { registerGovernanceCommands } from './commands/governance';
import { registerCompareCommands } from './commands/compare';

const program = new Command();
program
  .name('provenant')
  .description('Governed model development: every run captured, compared, explained and made reproducible.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

// Each area of the product registers its commands here.
registerRunCommands(program);
registerAnalysisCommands(program);
registerExperimentCommands(program);
registerDataCommands(program);
registerGovernanceCommands(program);
registerCompareCommands(program);

async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`provenant: error: ${describeError(err)}\n`);
    process.exitCode = 2;
  }
}

void main(process.argv);
