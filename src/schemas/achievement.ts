import { Type, type Static } from '@sinclair/typebox';
import { extensibleEnum, HttpUrl, Slug, Text } from './common.js';

// OB 3.0 §B.2 enumerations.
export const ACHIEVEMENT_TYPES = [
  'Achievement', 'ApprenticeshipCertificate', 'Assessment', 'Assignment', 'AssociateDegree', 'Award', 'Badge',
  'BachelorDegree', 'Certificate', 'CertificateOfCompletion', 'Certification', 'CommunityService', 'Competency',
  'Course', 'CoCurricular', 'Degree', 'Diploma', 'DoctoralDegree', 'Fieldwork', 'GeneralEducationDevelopment',
  'JourneymanCertificate', 'LearningProgram', 'License', 'Membership', 'ProfessionalDoctorate',
  'QualityAssuranceCredential', 'MasterCertificate', 'MasterDegree', 'MicroCredential', 'ResearchDoctorate',
  'SecondarySchoolDiploma',
] as const;
export const ALIGNMENT_TARGET_TYPES = [
  'ceasn:Competency', 'ceterms:Credential', 'CFItem', 'CFRubric', 'CFRubricCriterion', 'CFRubricCriterionLevel', 'CTDL',
] as const;

export const ProfileInput = Type.Object(
  {
    id: Type.Optional(Type.String({ format: 'uri', maxLength: 2048, description: 'URI (URL or DID); defaults to url' })),
    name: Text(300),
    url: Type.Optional(HttpUrl),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
    description: Type.Optional(Text(2000)),
  },
  { $id: 'ProfileInput', additionalProperties: false, description: 'An organisation or person (OB 3.0 Profile); id or url is required' },
);
export type ProfileInput = Static<typeof ProfileInput>;

export const ImageInput = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 2048, pattern: '^(https?://|data:image/(png|svg\\+xml);base64,)' }),
    caption: Type.Optional(Text(500)),
  },
  { $id: 'ImageInput', additionalProperties: false },
);

export const AlignmentInput = Type.Object(
  {
    targetName: Text(500),
    targetUrl: HttpUrl,
    targetDescription: Type.Optional(Text(2000)),
    targetFramework: Type.Optional(Text(500)),
    targetCode: Type.Optional(Text(200)),
    targetType: Type.Optional(extensibleEnum(ALIGNMENT_TARGET_TYPES, 'OB 3.0 AlignmentTargetType or ext:…')),
  },
  { $id: 'AlignmentInput', additionalProperties: false, description: 'A competency or standard this achievement aligns to' },
);

export const RubricLevelInput = Type.Object(
  {
    key: Slug,
    name: Text(200),
    description: Type.Optional(Text(2000)),
    points: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { $id: 'RubricLevelInput', additionalProperties: false },
);

export const RubricCriterionInput = Type.Object(
  {
    key: Slug,
    name: Text(300),
    description: Type.Optional(Text(4000)),
    requiredLevel: Type.Optional(Slug),
    levels: Type.Array(Type.Ref(RubricLevelInput), { minItems: 1, maxItems: 10, description: 'From lowest to highest' }),
  },
  { $id: 'RubricCriterionInput', additionalProperties: false, description: 'One rubric criterion (OB ResultDescription)' },
);
export type RubricCriterionInput = Static<typeof RubricCriterionInput>;

export const StackRequirementInput = Type.Object(
  {
    name: Type.Optional(Text(300, 'e.g. "Foundations" or "Electives"')),
    minimum: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'N of these M; default: all of them' })),
    components: Type.Array(
      Type.Object(
        {
          achievementId: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'Any issuer\'s achievement (or another stack)' }),
          versions: Type.Optional(
            Type.Array(Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), { minItems: 1, maxItems: 50, uniqueItems: true, description: 'Which versions count; default: every version' }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { $id: 'StackRequirementInput', additionalProperties: false, description: 'One requirement of a stack: all of its components, or a minimum number of them' },
);

export const StackInput = Type.Object(
  {
    requirements: Type.Array(Type.Ref(StackRequirementInput), { minItems: 1, maxItems: 10 }),
    ordered: Type.Optional(
      Type.Boolean({ description: 'Requirements are stages: what counts for one must be earned after the one before is complete (default false)' }),
    ),
    award: Type.Optional(
      Type.Union([Type.Literal('automatic'), Type.Literal('on-request')], {
        description: 'automatic (default): issued when the last component arrives; on-request: POST /stacks/{id}/awards',
      }),
    ),
  },
  { $id: 'StackInput', additionalProperties: false, description: 'Makes this achievement a stack (pathway) of other achievements' },
);
export type StackInput = Static<typeof StackInput>;

export const AchievementDefinition = Type.Object(
  {
    name: Text(300),
    description: Text(10_000),
    achievementType: Type.Optional(extensibleEnum(ACHIEVEMENT_TYPES, 'OB 3.0 AchievementType or ext:…; default MicroCredential')),
    criteria: Type.Object(
      {
        narrative: Text(20_000, 'Markdown: what the educator must show'),
        url: Type.Optional(HttpUrl),
        requiredTasks: Type.Optional(Type.Array(Text(2000), { maxItems: 50 })),
      },
      { additionalProperties: false },
    ),
    image: Type.Optional(Type.Ref(ImageInput)),
    alignments: Type.Optional(Type.Array(Type.Ref(AlignmentInput), { maxItems: 50 })),
    rubric: Type.Optional(Type.Array(Type.Ref(RubricCriterionInput), { maxItems: 30 })),
    evidenceRequirements: Type.Optional(
      Type.Array(
        Type.Object({ name: Text(300), description: Type.Optional(Text(4000)) }, { additionalProperties: false }),
        { maxItems: 30 },
      ),
    ),
    creator: Type.Optional(Type.Ref(ProfileInput)),
    tags: Type.Optional(Type.Array(Text(100), { maxItems: 50 })),
    fieldOfStudy: Type.Optional(Text(300)),
    specialization: Type.Optional(Text(300)),
    humanCode: Type.Optional(Text(100)),
    inLanguage: Type.Optional(Type.String({ pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$' })),
    creditsAvailable: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })),
    stack: Type.Optional(Type.Ref(StackInput)),
  },
  { $id: 'AchievementDefinition', additionalProperties: false, description: 'A micro-credential definition; publishing it freezes this version' },
);
export type AchievementDefinition = Static<typeof AchievementDefinition>;

export const AchievementResource = Type.Object(
  {
    id: Type.String(),
    issuerId: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    latestVersion: Type.Integer({ minimum: 1 }),
    url: Type.String({ description: 'Public URL of this achievement (serves the latest OB 3.0 Achievement JSON)' }),
    versionUrl: Type.String({ description: 'Public URL of this exact version' }),
    createdAt: Type.String({ format: 'date-time' }),
    achievement: Type.Object({}, { additionalProperties: true, description: 'The OB 3.0 Achievement as published' }),
  },
  { $id: 'AchievementResource', additionalProperties: false },
);
export type AchievementResource = Static<typeof AchievementResource>;

export const AchievementList = Type.Object(
  {
    items: Type.Array(Type.Ref(AchievementResource)),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'AchievementList', additionalProperties: false },
);
