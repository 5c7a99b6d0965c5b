/**
 * Error rates of a face matcher from labelled embeddings: pure functions over distances, so
 * the evaluation set (eval.ts) and a site's own pairs (calibrate.ts) are scored the same way.
 */
export interface Labelled { id: string; person: string; embedding: Float32Array }

export function distance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error('descriptors of different sizes');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

export interface Pairs {
  /** Distances of pairs of one person; `lost` counts images with no usable face (a false reject for every pair they are in). */
  same: { a: string; b: string; d: number }[];
  diff: { a: string; b: string; d: number }[];
}

/** Every pair of embeddings, same person or not. */
export function pairs(items: Labelled[]): Pairs {
  const out: Pairs = { same: [], diff: [] };
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i]!, b = items[j]!;
      (a.person === b.person ? out.same : out.diff).push({ a: a.id, b: b.id, d: distance(a.embedding, b.embedding) });
    }
  }
  return out;
}

export interface Rate { errors: number; of: number; rate: number }
const rate = (errors: number, of: number): Rate => ({ errors, of, rate: of === 0 ? 0 : errors / of });

export interface OneToOneRow { threshold: number; far: Rate; frr: Rate }

/** 1:1 at each threshold: a pair is accepted at or under it. `lostSame` pairs (no face) count as rejected. */
export function oneToOne(p: Pairs, thresholds: number[], lostSame = 0): OneToOneRow[] {
  return thresholds.map((t) => ({
    threshold: t,
    far: rate(p.diff.filter((x) => x.d <= t).length, p.diff.length),
    frr: rate(p.same.filter((x) => x.d > t).length + lostSame, p.same.length + lostSame),
  }));
}

export interface OneToManyRow { threshold: number; margin: number; far: Rate; frr: Rate; wrong: number }

/**
 * 1:N at each threshold, as the gate decides (nearest enrolled face at or under the threshold,
 * the runner-up at least `margin` further). Everyone with an image is enrolled with their
 * first one; each other image of an enrolled person is a genuine search (a false reject when
 * it is not identified as that person; `wrong` counts those identified as someone else), and
 * every image, searched with its own person taken out of the gallery, is an impostor search
 * (a false accept when anyone is identified).
 */
export function oneToMany(items: Labelled[], thresholds: number[], margin: number): OneToManyRow[] {
  const enrolled = new Map<string, Labelled>();
  for (const it of items) if (!enrolled.has(it.person)) enrolled.set(it.person, it);
  const gallery = [...enrolled.values()];
  const searches = items.map((probe) => {
    const ranked = gallery.filter((g) => g.id !== probe.id).map((g) => ({ person: g.person, d: distance(probe.embedding, g.embedding) })).sort((a, b) => a.d - b.d);
    return { probe, genuine: enrolled.get(probe.person)!.id !== probe.id, ranked, foreign: ranked.filter((r) => r.person !== probe.person) };
  });
  const pick = (ranked: { person: string; d: number }[], t: number) => {
    const [best, second] = ranked;
    if (!best || best.d > t) return undefined;
    if (second && second.d - best.d < margin) return undefined;
    return best.person;
  };
  return thresholds.map((t) => {
    let fr = 0, wrong = 0, fa = 0, genuine = 0;
    for (const s of searches) {
      if (s.genuine) {
        genuine++;
        const who = pick(s.ranked, t);
        if (who !== s.probe.person) fr++;
        if (who !== undefined && who !== s.probe.person) wrong++;
      }
      if (pick(s.foreign, t) !== undefined) fa++;
    }
    return { threshold: t, margin, far: rate(fa, searches.length), frr: rate(fr, genuine), wrong };
  });
}

/** Mean and standard deviation. */
export function moments(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, sd };
}

/** P(X <= x) for a normal distribution (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number, mean: number, sd: number): number {
  const z = (x - mean) / (sd * Math.SQRT2);
  const t = 1 / (1 + 0.3275911 * Math.abs(z));
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * (1 + (z >= 0 ? y : -y));
}

/**
 * The false accept rate at `t` as a normal fit to the different-person distances predicts it:
 * the only way to speak of 1 in 10,000 with a few thousand pairs. Real tails are often
 * heavier than normal, so thresholds are chosen below it with the empirical count also zero.
 */
export function estimatedFar(diff: number[], t: number): number {
  const { mean, sd } = moments(diff);
  return normalCdf(t, mean, sd);
}

/** With no error in n trials, the rate is below this with 95 % confidence (the rule of three). */
export const upper95 = (n: number) => (n === 0 ? 1 : 3 / n);

export interface Choice { threshold: number; target: number; estimatedFar: number; empiricalFalseAccepts: number }

/**
 * The largest threshold (on a 0.005 grid) whose estimated false accept rate is at most
 * `target` and that accepts no different-person pair of the set.
 */
export function chooseThreshold(diff: number[], target: number): Choice {
  const min = Math.min(...diff);
  let best = 0;
  for (let t = 0.005; t < min; t += 0.005) {
    if (estimatedFar(diff, t) <= target) best = Math.round(t * 1000) / 1000;
  }
  return { threshold: best, target, estimatedFar: estimatedFar(diff, best), empiricalFalseAccepts: diff.filter((d) => d <= best).length };
}

/** Thresholds to tabulate: a grid over where same- and different-person distances meet. */
export function grid(same: number[], diff: number[], extra: number[] = []): number[] {
  const lo = Math.max(0, Math.floor(Math.min(...same, ...diff) * 50) / 50);
  // Up to where the last same-person pair is accepted, and past the chosen thresholds.
  const hi = Math.ceil(Math.max(Math.max(...same), ...extra.map((x) => x + 0.04)) * 50) / 50;
  const out = new Set<number>(extra.map((x) => Math.round(x * 1000) / 1000));
  for (let t = lo; t <= hi + 1e-9; t += 0.02) out.add(Math.round(t * 1000) / 1000);
  return [...out].sort((a, b) => a - b);
}

const pct = (r: Rate) => `${(r.rate * 100).toFixed(2).padStart(6)} % (${r.errors}/${r.of})`;

/** The table printed by eval:face and calibrate:face. */
export function formatTables(one: OneToOneRow[], many: OneToManyRow[], marks: Record<string, number> = {}): string {
  const mark = (t: number) => Object.entries(marks).filter(([, v]) => Math.abs(v - t) < 1e-9).map(([k]) => ` <- ${k}`).join('');
  const lines = ['1:1   threshold   false accepts            false rejects'];
  for (const r of one) lines.push(`      ${r.threshold.toFixed(3)}       ${pct(r.far).padEnd(24)} ${pct(r.frr)}${mark(r.threshold)}`);
  if (many.length) {
    lines.push('', `1:N   threshold   false accepts            false rejects            (margin ${many[0]!.margin}; wrong person)`);
    for (const r of many) lines.push(`      ${r.threshold.toFixed(3)}       ${pct(r.far).padEnd(24)} ${pct(r.frr).padEnd(24)} ${r.wrong}${mark(r.threshold)}`);
  }
  return lines.join('\n');
}
