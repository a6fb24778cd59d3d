// CRC-64-AVRO and Parsing Canonical Form against the Avro project's own vectors and Apache Avro Java.

import avsc from 'avsc'
import { describe, expect, it } from 'vitest'
import { schemaVersions } from '../../../schemas/codec.ts'
import { CRC64_AVRO_EMPTY, crc64Avro, parsingCanonicalForm, schemaFingerprint } from '../../../schemas/fingerprint.ts'

// From apache/avro share/test/data/schema-tests.txt: input schema, its canonical form, and the
// CRC-64-AVRO fingerprint as Java's signed long. Java's unit tests cross-check these values.
const SPEC_VECTORS: { input: string; canonical: string; fingerprint: bigint }[] = [
  { input: '"null"', canonical: '"null"', fingerprint: 7195948357588979594n },
  { input: '{"type":"boolean"}', canonical: '"boolean"', fingerprint: -6970731678124411036n },
  { input: '"int"', canonical: '"int"', fingerprint: 8247732601305521295n },
  { input: '{"type":"long"}', canonical: '"long"', fingerprint: -3434872931120570953n },
  { input: '"float"', canonical: '"float"', fingerprint: 5583340709985441680n },
  { input: '"double"', canonical: '"double"', fingerprint: -8181574048448539266n },
  { input: '"bytes"', canonical: '"bytes"', fingerprint: 5746618253357095269n },
  { input: '"string"', canonical: '"string"', fingerprint: -8142146995180207161n },
  { input: '[ "int"  ]', canonical: '["int"]', fingerprint: -5232228896498058493n },
  { input: '[ "int" , {"type":"boolean"} ]', canonical: '["int","boolean"]', fingerprint: 5392556393470105090n },
  { input: '{"fields":[], "type":"record", "name":"foo"}', canonical: '{"name":"foo","type":"record","fields":[]}', fingerprint: -4824392279771201922n },
  { input: '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}', canonical: '{"name":"x.y.foo","type":"record","fields":[]}', fingerprint: 5916914534497305771n },
  { input: '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}', canonical: '{"name":"a.b.foo","type":"record","fields":[]}', fingerprint: -4616218487480524110n },
  { input: '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}', canonical: '{"name":"foo","type":"record","fields":[]}', fingerprint: -4824392279771201922n },
  { input: '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}', canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}', fingerprint: 7843277075252814651n },
  { input: '{"type":"enum", "name":"foo", "symbols":["A1"]}', canonical: '{"name":"foo","type":"enum","symbols":["A1"]}', fingerprint: -6342190197741309591n },
  { input: '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}', canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}', fingerprint: -4448647247586288245n },
  { input: '{"name":"foo","type":"fixed","size":15}', canonical: '{"name":"foo","type":"fixed","size":15}', fingerprint: 1756455273707447556n },
  { input: '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}', canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}', fingerprint: -3064184465700546786n },
  { input: '{ "items":{"type":"null"}, "type":"array"}', canonical: '{"type":"array","items":"null"}', fingerprint: -589620603366471059n },
  { input: '{ "values":"string", "type":"map"}', canonical: '{"type":"map","values":"string"}', fingerprint: -8732877298790414990n },
  {
    input: '{"name":"PigValue","type":"record","fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    canonical: '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: -1759257747318642341n,
  },
]

// Apache Avro Java 1.11.4 SchemaNormalization.parsingFingerprint64 of our own schema files: an independent
// implementation agreeing on the exact bytes other Avro tools put in the single-object header.
const JAVA_FINGERPRINTS: Record<string, bigint> = {
  'client_event.v1.avsc': 0xe292ada731f0ce7bn,
  'client_event.v2.avsc': 0x7d215601b55d4a27n,
  'network_flow.v1.avsc': 0x48e231ea7d601703n,
  'ip_assignment.v1.avsc': 0xa31896b0a1a97b9dn,
}

// The same library's SchemaNormalization.toParsingForm of ip_assignment.v1.avsc.
const JAVA_IP_ASSIGNMENT_PCF =
  '{"name":"pulse.IpAssignment","type":"record","fields":[{"name":"change_id","type":"string"},{"name":"cidr","type":"string"},' +
  '{"name":"action","type":{"name":"pulse.AssignmentAction","type":"enum","symbols":["assign","release"]}},{"name":"app","type":"string"},' +
  '{"name":"cluster","type":"string"},{"name":"region","type":"string"},{"name":"effective_time","type":"long"}]}'

describe('crc64Avro', () => {
  it('is EMPTY for no bytes', () => {
    expect(crc64Avro(new Uint8Array())).toBe(CRC64_AVRO_EMPTY)
  })

  it.each(SPEC_VECTORS)('matches the Avro spec vector for $canonical', ({ canonical, fingerprint }) => {
    expect(BigInt.asIntN(64, crc64Avro(Buffer.from(canonical, 'utf8')))).toBe(fingerprint)
  })

  it('puts the fingerprint little-endian in the header, as the Ruby and Java single-object encoders do', () => {
    // "int": 0x7275d51a3f395c8f; Ruby's test_single_object_encoding_header expects these 8 bytes.
    expect([...schemaFingerprint('"int"').bytes]).toEqual([0x8f, 0x5c, 0x39, 0x3f, 0x1a, 0xd5, 0x75, 0x72])
  })
})

describe('parsingCanonicalForm', () => {
  it.each(SPEC_VECTORS)('turns $input into the spec canonical form', ({ input, canonical }) => {
    expect(parsingCanonicalForm(avsc.Type.forSchema(JSON.parse(input) as avsc.schema.AvroSchema, { wrapUnions: true }))).toBe(canonical)
  })

  it('drops doc, default and logicalType from our schemas exactly as Apache Avro Java does', () => {
    const info = schemaVersions('ip_assignment').find((v) => v.version === 1)
    expect(info?.canonicalForm).toBe(JAVA_IP_ASSIGNMENT_PCF)
  })
})

describe('schema file fingerprints', () => {
  const all = (['client_event', 'network_flow', 'ip_assignment'] as const).flatMap((kind) => schemaVersions(kind))

  it.each(Object.entries(JAVA_FINGERPRINTS))('%s matches Apache Avro Java', (file, fingerprint) => {
    expect(all.find((v) => v.file === file)?.fingerprint).toBe(fingerprint)
  })

  it('tells every schema version apart', () => {
    expect(new Set(all.map((v) => v.fingerprint)).size).toBe(all.length)
  })
})
