export function buildDist(): Promise<{ files: number; seconds: number }>;
