export const ROOT: string;
export const DIST: string;
export const SOURCE_DIRS: string[];
export function sourceFiles(): string[];
export function writeStamp(dir: string, files: string[]): void;
export function distIsFresh(): boolean;
