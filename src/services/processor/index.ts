export { deadLetter, type ProcessorOptions, type ProcessorState, StreamProcessor } from './processor.ts';
