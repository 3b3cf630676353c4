/**
 * Manifest documents: OCI index and manifest, Docker schema 2 list and manifest, and the image
 * config. Parsed with zod so a malformed document is a clear error, not an undefined later.
 */
import { FailedPreconditionError } from '@criod/core';
import { z } from 'zod';
import { parseDigest } from './digest.js';
import { indexMediaTypes, layerMediaTypes, manifestMediaTypes } from './media-types.js';

const digestSchema = z.string().refine(
  (d) => {
    try {
      parseDigest(d);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a sha256 or sha512 digest' },
);

export const platformSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
});

export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: digestSchema,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: platformSchema.optional(),
});

export type Descriptor = z.infer<typeof descriptorSchema>;
export type PlatformSpec = z.infer<typeof platformSchema>;

export const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
});

export const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});

export type ImageIndex = z.infer<typeof indexSchema>;
export type ImageManifest = z.infer<typeof manifestSchema>;

const stringList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);
const stringMap = z
  .record(z.string(), z.string())
  .nullish()
  .transform((v) => v ?? {});

/** The image config blob; Docker writes null for absent lists, so nulls read as empty. */
export const imageConfigSchema = z.object({
  architecture: z.string().optional(),
  os: z.string().optional(),
  variant: z.string().optional(),
  config: z
    .object({
      User: z
        .string()
        .nullish()
        .transform((v) => v ?? ''),
      Env: stringList,
      Entrypoint: stringList,
      Cmd: stringList,
      WorkingDir: z
        .string()
        .nullish()
        .transform((v) => v ?? ''),
      Labels: stringMap,
      StopSignal: z
        .string()
        .nullish()
        .transform((v) => v ?? ''),
      Volumes: z
        .record(z.string(), z.unknown())
        .nullish()
        .transform((v) => Object.keys(v ?? {})),
    })
    .nullish()
    .transform((v) => v ?? { User: '', Env: [], Entrypoint: [], Cmd: [], WorkingDir: '', Labels: {}, StopSignal: '', Volumes: [] }),
  rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(digestSchema) }),
});

export type ImageConfigDocument = z.infer<typeof imageConfigSchema>;

export type ManifestDocument = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new FailedPreconditionError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new FailedPreconditionError(`${what} is malformed: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : r.error.message}`);
  }
  return r.data;
}

/**
 * Read a manifest GET body as an index or a manifest. The media type comes from the document, or
 * else from the Content-Type the registry sent; schema 1 and unknown types are refused.
 */
export function parseManifestDocument(bytes: Uint8Array, contentType: string, what: string): ManifestDocument {
  const doc = parseJson(bytes, what) as { mediaType?: unknown; manifests?: unknown; config?: unknown; schemaVersion?: unknown };
  if (typeof doc !== 'object' || doc === null) throw new FailedPreconditionError(`${what} is not a JSON object`);
  if (doc.schemaVersion === 1) throw new FailedPreconditionError(`${what} is a Docker schema 1 manifest, which criod does not pull`);
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : contentType.split(';')[0]!.trim();
  const isIndex = indexMediaTypes.includes(declared) || (!manifestMediaTypes.includes(declared) && Array.isArray(doc.manifests));
  const isManifest = manifestMediaTypes.includes(declared) || (!isIndex && typeof doc.config === 'object');
  if (isIndex) return { kind: 'index', index: check(indexSchema, doc, what) };
  if (isManifest) {
    const manifest = check(manifestSchema, doc, what);
    for (const layer of manifest.layers) {
      if (!layerMediaTypes.includes(layer.mediaType))
        throw new FailedPreconditionError(`${what}: layer ${layer.digest} has unsupported media type ${layer.mediaType}`);
    }
    return { kind: 'manifest', manifest };
  }
  throw new FailedPreconditionError(`${what} has unsupported media type ${JSON.stringify(declared)}`);
}

export function parseImageConfig(bytes: Uint8Array, what: string): ImageConfigDocument {
  return check(imageConfigSchema, parseJson(bytes, what), what);
}
