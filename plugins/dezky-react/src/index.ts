/**
 * The pieces every Dezky portal page shares: the confirmation dialog before
 * a change, the status chip, the loading/error/empty states, the table, the
 * formats of times, sizes, counts and durations, the ticking clock behind
 * "3 min ago", and saving a file fetched with the user's token (CSV exports).
 *
 * @packageDocumentation
 */
export { ConfirmDialog } from './components/ConfirmDialog';
export { DezkyTable, type DezkyRowAttributes } from './components/DezkyTable';
export {
  ServerPagedTable,
  SERVER_PAGE_SIZES,
} from './components/ServerPagedTable';
export { FilterSelect } from './components/FilterSelect';
export { FreshPermissions } from './components/FreshPermissions';
export { PageState } from './components/PageState';
export {
  StatusChip,
  statusTone,
  type StatusTone,
} from './components/StatusChip';
export { metadataChanges, type FieldChange } from './changes';
export { useNow } from './useNow';
export { errorMessage, hasStatus } from './responseErrors';
export { attachmentFileName, saveFile } from './download';
export * from './format';
