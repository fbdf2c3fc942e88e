/**
 * A Map that forgets its oldest entries once it holds more than `maxEntries` of them or
 * their weights (bytes, usually) sum to more than `maxWeight`. The newest entry always
 * stays, whatever its weight. Order is insertion order: setting a key again moves it to the
 * back. The node's caches of decoded transactions, recent transactions and recent block
 * results use it: bounded by count alone, batches of orders made them hold hundreds of MB.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight: number,
  ) {
    if (!(maxEntries >= 1) || !(maxWeight >= 0)) {
      throw new RangeError("BoundedMap: maxEntries must be >= 1 and maxWeight >= 0");
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** The summed weight of the entries held. */
  get weight(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V, weight: number): void {
    this.delete(key);
    this.map.set(key, { value, weight });
    this.total += weight;
    while (this.map.size > 1 && (this.map.size > this.maxEntries || this.total > this.maxWeight)) {
      this.delete(this.map.keys().next().value as K);
    }
  }

  delete(key: K): boolean {
    const e = this.map.get(key);
    if (e === undefined) return false;
    this.map.delete(key);
    this.total -= e.weight;
    return true;
  }

  /** The keys, oldest first. */
  keys(): K[] {
    return [...this.map.keys()];
  }
}
