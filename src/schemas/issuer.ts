import { Type } from '@sinclair/typebox';

export const IssuerProfile = Type.Object(
  { id: Type.String(), type: Type.Array(Type.String()), name: Type.String() },
  { $id: 'IssuerProfile', additionalProperties: true, description: 'OB 3.0 Profile of an issuer; id is its DID' },
);

export const DidDocument = Type.Object(
  { '@context': Type.Array(Type.String()), id: Type.String() },
  { $id: 'DidDocument', additionalProperties: true },
);
