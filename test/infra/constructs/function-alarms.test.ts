import { beforeAll, describe, expect, it } from 'vitest';
import { ourFunctions, resourcesOfType, type SynthesizedStage, synthesizeStage } from '../support';

let dev: SynthesizedStage;
beforeAll(() => {
  dev = synthesizeStage('dev');
});

describe('functions', () => {
  const ours = () => ourFunctions(dev);

  it('gives every function an errors, a throttles and a p99 duration alarm', () => {
    const alarms = resourcesOfType(dev, 'AWS::CloudWatch::Alarm');
    for (const f of ours()) {
      const watched = alarms.filter((a) => {
        const dims = JSON.stringify(a.props.Dimensions ?? '');
        return dims.includes(f.id) && a.stack === f.stack;
      });
      const metrics = watched.map((a) => a.props.MetricName ?? a.props.ExtendedStatistic);
      expect(metrics, f.id).toEqual(expect.arrayContaining(['Errors', 'Throttles', 'Duration']));
    }
  });
});
