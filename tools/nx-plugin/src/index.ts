export { runVerb } from './executors/run-verb';
export { createNodes, FLEET_TARGETS } from './plugin';
export type { FleetPluginOptions } from './plugin';
