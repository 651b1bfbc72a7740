// The images critest pulls, built here from Debian's busybox-static and small C programs (nothing
// reaches registry.k8s.io or gcr.io from the test machine), each doing what critest's tests ask of
// the image it replaces. They are pushed to the private registry under the same repository path,
// and containerd reaches them through hosts.toml mirrors for critest's registry hosts.
//
// One reference cannot be made: gcr.io/k8s-staging-cri-tools/test-image-digest is pulled by a
// sha256 digest of upstream's bytes, so "public image with digest should be pulled and removed"
// fails for every runtime handler.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImageArchive, type ImageFile, type ImageSpec } from '../../oci/image.ts';
import { REGISTRY } from '../e2e/registry.ts';

// The registry hosts critest's image references name.
export const CRITEST_REGISTRIES = ['registry.k8s.io', 'gcr.io', 'k8s.gcr.io'];
const E2E = 'registry.k8s.io/e2e-test-images';
const CRI_TOOLS = 'gcr.io/k8s-staging-cri-tools';

// Each registry host resolves to the private registry first; the path in it is the reference's own.
export function writeMirrorHosts(configPath: string): void {
  for (const host of CRITEST_REGISTRIES) {
    mkdirSync(join(configPath, host), { recursive: true });
    writeFileSync(join(configPath, host, 'hosts.toml'), `server = "https://${host}"\n\n[host."http://${REGISTRY}"]\n  capabilities = ["pull", "resolve"]\n`);
  }
}

// The users of busybox's own image, and the ones critest's Dockerfiles add.
const PASSWD = ['root:x:0:0:root:/root:/bin/sh', 'daemon:x:1:1:daemon:/usr/sbin:/bin/false', 'bin:x:2:2:bin:/bin:/bin/false', 'sys:x:3:3:sys:/dev:/bin/false', 'sync:x:4:100:sync:/bin:/bin/sync', 'mail:x:8:8:mail:/var/spool/mail:/bin/false', 'www-data:x:33:33:www-data:/var/www:/bin/false', 'operator:x:37:37:Operator:/var:/bin/false', 'nobody:x:65534:65534:nobody:/home:/bin/false'];
const GROUP = ['root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', 'adm:x:4:', 'tty:x:5:', 'disk:x:6:', 'wheel:x:10:root', 'mail:x:12:', 'www-data:x:33:', 'users:x:100:', 'nogroup:x:65534:'];

function busyboxFiles(extra: { passwd?: string[]; group?: string[] } = {}): ImageFile[] {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find(existsSync);
  if (!busybox) throw new Error('busybox is missing: apt-get install busybox-static');
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  const text = (lines: string[]) => new TextEncoder().encode(`${lines.join('\n')}\n`);
  return [
    { path: '/bin/busybox', content: readFileSync(busybox), mode: 0o755 },
    // Hard links, as in busybox's own image: critest masks /bin/ls, and masking a symlink would mask
    // busybox itself.
    ...applets.map((a) => ({ path: `/bin/${a}`, hardLinkTo: '/bin/busybox' })),
    { path: '/etc/passwd', content: text([...PASSWD, ...(extra.passwd ?? [])]), mode: 0o644 },
    { path: '/etc/group', content: text([...GROUP, ...(extra.group ?? [])]), mode: 0o644 },
    { path: '/tmp', directory: true, mode: 0o1777 },
    { path: '/var/run', directory: true },
    { path: '/root', directory: true, mode: 0o700 },
  ];
}

const linux = (name: string, spec: Omit<ImageSpec, 'name' | 'os' | 'architecture'>): ImageSpec => ({ name, os: 'linux', architecture: 'amd64', ...spec });
const marker = (name: string): ImageFile => ({ path: `/${name}`, content: new Uint8Array(), mode: 0o644 });

// busybox's httpd stands in for nginx and Apache: critest checks that a GET answers 200, that the
// server runs until stopped, for httpd that "httpd" reaches the container's log, and for nginx (with
// Exec) its pid file. What it cannot give: a process named nginx and "master process" in its
// cmdline, which the HostPID and ContainerPID specs look for (they fail on every handler).
function webServer(name: string, port: number, root: string, start: string): ImageSpec {
  const files = [...busyboxFiles(), { path: `${root}/index.html`, content: new TextEncoder().encode('<html><body>critest</body></html>\n'), mode: 0o644 }];
  return linux(name, { entrypoint: ['/bin/sh', '-c', `${start}; exec httpd -f -p ${port} -h ${root}`], files });
}

// Built in the run's own directory: test files of several containerd versions build at once.
function staticProgram(source: string, dir: string): Uint8Array {
  const out = join(dir, source.replace(/\.c$/, ''));
  execFileSync('clang', ['-static', '-O2', '-s', join(import.meta.dirname, '../fixtures/native', source), '-o', out]);
  return readFileSync(out);
}

// Every reference critest pulls (linux/amd64), and the image each one is.
export function critestImages(dir: string): { reference: string; image: ImageSpec }[] {
  const busybox = (name: string, spec: Partial<ImageSpec> = {}) => linux(name, { cmd: ['sh'], files: busyboxFiles(), ...spec });
  const pause = staticProgram('pause.c', dir);
  const images: { reference: string; image: ImageSpec }[] = [
    { reference: `${E2E}/busybox:1.29-2`, image: busybox('busybox') },
    { reference: `${E2E}/nginx:1.14-2`, image: webServer('nginx', 80, '/usr/share/nginx/html', 'echo $$ > /var/run/nginx.pid') },
    { reference: `${E2E}/httpd:2.4.39-4`, image: webServer('httpd', 80, '/usr/local/apache2/htdocs', 'echo "httpd: serving on port 80"') },
    { reference: `${CRI_TOOLS}/hostnet-nginx-amd64:latest`, image: webServer('hostnet-nginx', 12003, '/usr/share/nginx/html', 'echo $$ > /var/run/nginx.pid') },
    { reference: `${E2E}/nonewprivs:1.3`, image: linux('nonewprivs', { entrypoint: ['/usr/local/bin/nnp'], files: [...busyboxFiles(), { path: '/usr/local/bin/nnp', content: staticProgram('nnp.c', dir), mode: 0o4755 }] }) },
    // pause's own USER, which also keeps it apart from the node's sandbox image (critest removes it).
    { reference: 'registry.k8s.io/pause:3.9', image: linux('pause', { entrypoint: ['/pause'], user: '65535:65535', files: [{ path: '/pause', content: pause, mode: 0o755 }] }) },
    { reference: `${CRI_TOOLS}/test-image-user-uid:latest`, image: busybox('user-uid', { user: '1002' }) },
    { reference: `${CRI_TOOLS}/test-image-user-username:latest`, image: busybox('user-username', { user: 'www-data' }) },
    { reference: `${CRI_TOOLS}/test-image-user-uid-group:latest`, image: busybox('user-uid-group', { user: '1003:1004' }) },
    { reference: `${CRI_TOOLS}/test-image-user-username-group:latest`, image: busybox('user-username-group', { user: 'www-data:1004' }) },
    {
      reference: `${CRI_TOOLS}/test-image-predefined-group:latest`,
      image: linux('predefined-group', { cmd: ['sh'], user: '1000', files: busyboxFiles({ passwd: ['default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh'], group: ['default-user:x:1000:', 'group-defined-in-image:x:50000:default-user'] }) }),
    },
    // Images that differ by one empty file named after them, as critest's image-test Dockerfile makes.
    ...['test-image-1', 'test-image-2', 'test-image-3', 'test-image-latest'].map((name) => ({ reference: `${CRI_TOOLS}/${name}:latest`, image: busybox(name, { files: [...busyboxFiles(), marker(name)] }) })),
    ...['test', 'all'].map((tag) => ({ reference: `${CRI_TOOLS}/test-image-tag:${tag}`, image: busybox(`tag-${tag}`, { files: [...busyboxFiles(), marker(tag)] }) })),
    ...['1', '2', '3'].map((tag) => ({ reference: `${CRI_TOOLS}/test-image-tags:${tag}`, image: busybox('same-image', { files: [...busyboxFiles(), marker('same-image')] }) })),
  ];
  return images;
}

// The path inside the private registry that a mirrored reference resolves to.
export function registryPath(reference: string): string {
  return reference.slice(reference.indexOf('/') + 1);
}

// Builds each image's archive; returns what to push where.
export async function buildCritestImages(dir: string): Promise<{ archive: string; path: string }[]> {
  mkdirSync(dir, { recursive: true });
  const out: { archive: string; path: string }[] = [];
  for (const [i, { reference, image }] of critestImages(dir).entries()) {
    const archive = join(dir, `critest-image-${i}.tar`);
    writeFileSync(archive, await buildImageArchive({ ...image, name: reference }));
    out.push({ archive, path: registryPath(reference) });
  }
  return out;
}
