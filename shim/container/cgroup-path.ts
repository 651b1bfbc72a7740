// With the systemd driver (runtime-options.ts) containerd gives runc a cgroupsPath "slice:prefix:name";
// the shim reads stats from where systemd puts it.

const SYSTEMD_FORM = /^([^/:]*):([^/:]*):([^/:]+)$/;

// "a-b-c.slice" lives at a.slice/a-b.slice/a-b-c.slice; "-.slice" and "" are the root.
export function expandSlice(slice: string): string {
  if (slice === '' || slice === '-.slice') return '/';
  const name = slice.replace(/\.slice$/, '');
  const parts = name.split('-');
  return `/${parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`).join('/')}`;
}

// The cgroupfs path (relative to a hierarchy's root) a cgroupsPath ends up at.
export function cgroupfsPath(cgroupsPath: string): string {
  const match = SYSTEMD_FORM.exec(cgroupsPath);
  if (!match) return cgroupsPath;
  const [, slice, prefix, name] = match;
  const unit = name!.endsWith('.slice') ? name! : `${prefix ? `${prefix}-` : ''}${name}.scope`;
  return `${expandSlice(slice || 'system.slice').replace(/\/$/, '')}/${unit}`;
}
