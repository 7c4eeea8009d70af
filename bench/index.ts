// npm run bench: every benchmark, each printing ratios against a baseline measured in the same run.
import { benchData } from './data';
import { benchHashing } from './hashing';
import { benchSnapshot } from './snapshot';
import { benchExperiments } from './experiments';
import { benchAnalysis } from './analysis';
import { benchRunsTable } from './runsTable';
import { benchOverlap } from './overlap';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const benches: [string, () => Promise<void>][] = [
    ['hashing', benchHashing],
    ['data', benchData],
    ['snapshot', benchSnapshot],
    ['experiments', benchExperiments],
    ['analysis', benchAnalysis],
    ['runsTable', benchRunsTable],
    ['overlap', benchOverlap],
  ];
  for (const [name, run] of benches) {
    if (only.length && !only.includes(name)) continue;
    console.log(`\n#### ${name}`);
    await run();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
