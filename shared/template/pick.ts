import { templateLayout, type TemplateLayout } from './model.ts';

/** A template version as a device holds it from the change log. */
export interface HeldTemplate {
  code: string;
  version: number;
  typeId: number | null;
  /** As received; checked here, so a layout this device cannot read is passed over. */
  layout: unknown;
}

/**
 * The template a ticket of `typeId` prints with: the newest version of each template code
 * counts, the type's own template wins over a default (typeId null), and among several the
 * most recently edited one (highest version, then code) is taken. Undefined: nothing to print with.
 */
export function pickTemplate(held: readonly HeldTemplate[], typeId: number): { code: string; version: number; layout: TemplateLayout } | undefined {
  const newest = new Map<string, HeldTemplate>();
  for (const t of held) if ((newest.get(t.code)?.version ?? 0) < t.version) newest.set(t.code, t);
  const usable = [...newest.values()]
    .map((t) => ({ t, parsed: templateLayout.safeParse(t.layout) }))
    .filter((x) => x.parsed.success && (x.t.typeId === typeId || x.t.typeId === null));
  usable.sort((a, b) => Number(b.t.typeId !== null) - Number(a.t.typeId !== null) || b.t.version - a.t.version || a.t.code.localeCompare(b.t.code));
  const best = usable[0];
  return best && best.parsed.success ? { code: best.t.code, version: best.t.version, layout: best.parsed.data } : undefined;
}
