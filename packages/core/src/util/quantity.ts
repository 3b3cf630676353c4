/**
 * Kubernetes resource quantities ("10M", "1Gi", "500k", "100m") as numbers: the decimal and binary
 * suffixes of apimachinery's resource.Quantity, without its exponent form.
 */
const multipliers: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The quantity's exact value ("1.5k" is 1500, "100m" is 0.1), undefined when the text is not a
 * non-negative quantity. Callers round as they need: Kubernetes' Quantity.Value() rounds up.
 */
export function parseQuantity(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) * (multipliers[m[2] ?? ''] ?? 1);
  return Number.isFinite(value) ? value : undefined;
}
