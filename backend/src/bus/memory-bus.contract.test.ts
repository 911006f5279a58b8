import { busContractSuite } from '../../../test/contracts/bus.js';
import { MemoryBus } from './memory-bus.js';

// One in-process bus stands for the whole "cluster": every bus() call returns it.
busContractSuite('MemoryBus', () => {
  let bus: MemoryBus | undefined;
  return {
    bus: async () => (bus ??= new MemoryBus()),
    cleanup: async () => {
      await bus?.dispose();
    },
  };
});
