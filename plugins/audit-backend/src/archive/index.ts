export { ColdArchive, ARCHIVE_STEPS } from './ColdArchive';
export type {
  ArchiveFaults,
  ArchiveStep,
  ColdArchiveOptions,
} from './ColdArchive';
export { ColdStorage } from './ColdStorage';
export type { ColdStorageOptions, ObjectHead } from './ColdStorage';
export { readArchiveConfig } from './config';
export type { ArchiveSettings } from './config';
export {
  ARCHIVE_MANIFEST_FORMAT,
  ARCHIVE_MANIFEST_TYP,
  readArchiveObject,
} from './batchObjects';
export type { ArchiveManifest, ArchiveManifestClaims } from './batchObjects';
