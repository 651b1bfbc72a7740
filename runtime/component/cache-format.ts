// A transpiled component as it sits in the node-wide cache: jco's bindings, the core modules, and a
// manifest written last (an entry without one is incomplete) that lets a reader check every file.
export const BINDINGS_FILE = 'component.js';
export const MANIFEST_FILE = 'manifest.json';

export interface ComponentManifest {
  // The component's sha256 and the jco-transpile version that made the entry: its cache key.
  sha256: string;
  jco: string;
  files: Record<string, { size: number; sha256: string }>;
  imports: string[];
  exports: string[];
}

export function parseManifest(text: string): ComponentManifest | undefined {
  try {
    const value = JSON.parse(text) as Partial<ComponentManifest>;
    if (typeof value.sha256 !== 'string' || typeof value.jco !== 'string' || typeof value.files !== 'object' || !Array.isArray(value.imports) || !Array.isArray(value.exports)) return undefined;
    return value as ComponentManifest;
  } catch {
    return undefined;
  }
}
