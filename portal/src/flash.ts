/** What one page hands the next (the secret shown once, the test sent on save), by webhook id. */
export interface Flash {
  message: string;
  secret?: string;
  testDeliveryId?: string;
}

const pending = new Map<string, Flash>();

export const flash = {
  set: (id: string, f: Flash) => void pending.set(id, f),
  take(id: string): Flash | undefined {
    const f = pending.get(id);
    pending.delete(id);
    return f;
  },
};
