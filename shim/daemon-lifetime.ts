// When the daemon may exit. One daemon serves every wasm task of a containerd namespace on the node,
// so containerd's Shutdown for one pod's shim is not the daemon's end: it exits once containerd has
// asked with no task left, every connection has closed, and no `start` has just handed its address
// out. A `start` finds the daemon by probing its socket (a connection that says nothing); containerd
// then connects to the address it printed, a moment later. Until it does, the daemon must stay.

export interface LifetimeOptions {
  tasks: () => number;
  connections: () => number;
  // Connections accepted so far: any change while the daemon decides to exit calls it off.
  accepted: () => number;
  // Called at most once at a time; it resolves false when the exit was called off (a peer came).
  exit: (acceptedWhenDecided: number) => Promise<boolean>;
  // How long a probe holds the daemon for the connection that follows it.
  reserveMs: number;
  // How long the daemon stays once idle: the next pod's `start` (a Job's next pod, a container the
  // kubelet restarts) then finds it warm, and a probe accepted by the kernel but not yet by the
  // daemon is seen meanwhile.
  lingerMs: number;
}

export class DaemonLifetime {
  readonly #options: LifetimeOptions;
  #asked = false;
  #reservedUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #exiting = false;

  constructor(options: LifetimeOptions) {
    this.#options = options;
  }

  // containerd's Shutdown: it counts only when no task is left at that moment.
  shutdownAsked(): void {
    if (this.#options.tasks() === 0) this.#asked = true;
    this.#schedule();
  }

  taskCreated(): void {
    this.#asked = false;
  }

  // A probe reserves the daemon; the next connection that speaks is the one it was for.
  peer(event: 'spoke' | 'closed' | 'probed'): void {
    if (event === 'probed') this.#reservedUntil = Date.now() + this.#options.reserveMs;
    if (event === 'spoke') this.#reservedUntil = 0;
    else this.#schedule();
  }

  #idle(): boolean {
    return this.#asked && this.#options.tasks() === 0 && this.#options.connections() === 0;
  }

  #schedule(): void {
    if (this.#exiting || !this.#idle()) return;
    clearTimeout(this.#timer);
    const accepted = this.#options.accepted();
    const wait = Math.max(this.#options.lingerMs, this.#reservedUntil - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#idle() || this.#options.accepted() !== accepted) return this.#schedule();
      if (Date.now() < this.#reservedUntil) return this.#schedule();
      this.#exiting = true;
      void this.#options.exit(accepted).then((exited) => {
        if (exited) return;
        this.#exiting = false;
        this.#schedule();
      });
    }, wait);
  }
}
