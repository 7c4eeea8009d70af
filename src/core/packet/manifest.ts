/** The integrity manifest of an audit packet, `manifest.json` (schema `provenant.packet/1`). */
export const PACKET_SCHEMA = 'provenant.packet/1';
export const MANIFEST_FILE = 'manifest.json';
/** Base64 Ed25519 signature of the exact bytes of manifest.json. */
export const SIGNATURE_FILE = 'manifest.sig';
/** The signer's public key (SPKI PEM); a verifier should compare its fingerprint with the published one. */
export const PUBLIC_KEY_FILE = 'signer.pub.pem';

export interface PacketManifest {
  schema: typeof PACKET_SCHEMA;
  run: string;
  createdAt: string;
  generator: string;
  algorithm: 'sha256';
  /** Every file of the packet except the manifest, its signature and the public key. */
  files: Record<string, { sha256: string; size: number }>;
  /**
   * Present when the packet was signed: the algorithm and the signer's key fingerprint. It lies
   * inside the signed bytes, so a packet whose manifest says "signed" but holds no valid signature
   * is reported, even without the signer's public key. Whoever strips the signature and also
   * removes this field has made an unsigned packet, which verify calls unsigned.
   */
  signature?: { algorithm: 'ed25519'; key: string };
}

/** The fields a manifest may hold; any other is reported (a manifest is only ever written by export). */
export const MANIFEST_FIELDS = ['schema', 'run', 'createdAt', 'generator', 'algorithm', 'files', 'signature'] as const;
