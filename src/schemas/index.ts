/** Every shared schema, added once to fastify (and so to OpenAPI components) in this order. */
import { AchievementDefinition, AchievementList, AchievementResource, AlignmentInput, ImageInput, ProfileInput, RubricCriterionInput, RubricLevelInput, StackInput, StackRequirementInput } from './achievement.js';
import { Problem, ProblemFieldError } from './common.js';
import {
  PresentationVerificationResult,
  VcApiIssueRequest,
  VcApiIssueResponse,
  VerifiableCredential,
  VerificationCheck,
  VerificationResult,
  VerifyPresentationRequest,
  VerifyRequest,
} from './credential.js';
import { AssessorInput, EvidenceInput, IssueRequest, RecipientInput, ResultInput } from './issue-request.js';
import { DidDocument, IssuerProfile, KeyRevocation, KeyRevocationRequest, SigningKey } from './issuer.js';
import { ApiKeyInfo, ApiKeyRequest, AuditEventList, CreatedApiKey, ErasureRequest, ErasureResult, RotateRequest } from './api-key.js';
import { EarnerLink, EarnerLinkRequest, FileVerificationResult } from './earner.js';
import { CompletionReport, EndorsementRequest, Recognition, RecognitionRequest, RecipientRequest, StackProgress } from './programmes.js';
import { BatchItems, BatchProgress, BatchRequest } from './batch.js';
import { StatusChange, StatusChangeRequest, StatusHistory, VcApiStatusRequest } from './status.js';

export const sharedSchemas = [
  ProblemFieldError, Problem,
  ProfileInput, ImageInput, AlignmentInput, RubricLevelInput, RubricCriterionInput, StackRequirementInput, StackInput, AchievementDefinition, AchievementResource, AchievementList,
  RecipientInput, EvidenceInput, ResultInput, AssessorInput, IssueRequest,
  VerifiableCredential, VerifyRequest, VerificationCheck, VerificationResult,
  VcApiIssueRequest, VcApiIssueResponse, VerifyPresentationRequest, PresentationVerificationResult,
  IssuerProfile, DidDocument, SigningKey, KeyRevocationRequest, KeyRevocation,
  StatusChangeRequest, StatusChange, StatusHistory, VcApiStatusRequest,
  ApiKeyRequest, ApiKeyInfo, CreatedApiKey, RotateRequest, AuditEventList, ErasureRequest, ErasureResult,
  EarnerLinkRequest, EarnerLink, FileVerificationResult,
  RecipientRequest, StackProgress, RecognitionRequest, Recognition, EndorsementRequest, CompletionReport,
  BatchRequest, BatchProgress, BatchItems,
] as const;
