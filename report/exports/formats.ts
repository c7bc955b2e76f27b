/** The export formats, on their own so the CLI can list them without loading the writers. */
export const EXPORT_FORMATS = ['npy', 'tiff', 'csv', 'h5'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
