export * from './types';
export * from './runProbe';
