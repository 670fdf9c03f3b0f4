export { runVerb } from './executors/run-verb';
