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
}
