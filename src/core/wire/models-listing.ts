/**
 * The listing routes (reference §5): the model catalogue in the Azure shape
 * (`GET /openai/models?api-version=…`), the deployments and models this simulator answers in the
 * OpenAI shape (`GET /openai/v1/models`, `/v1/models`, `…/models/{id}`), and the legacy
 * deployments list (`GET /openai/deployments?api-version=2022-12-01|2023-03-15-preview`, 404 for
 * later versions, as the service).
 */
import type { Deployment } from '../config/deployments.js';
import { findModel, knownModelNames, type ModelSpec } from '../models.js';

/** One fixed timestamp: the catalogue does not change while the simulator runs. */
const CREATED = 1_704_067_200; // 2024-01-01
/** Model retirement dates are per model on the service; one date a year ahead is enough here. */
const DEPRECATION = { fine_tune: CREATED + 2 * 365 * 86_400, inference: CREATED + 3 * 365 * 86_400 };

/** The api-versions that still had `GET /openai/deployments` (later ones answer 404). */
export const LEGACY_DEPLOYMENTS_VERSIONS: ReadonlySet<string> = new Set(['2022-12-01', '2023-03-15-preview']);

function capabilities(model: ModelSpec) {
  const ops = model.operations;
  return {
    fine_tune: false,
    inference: true,
    completion: ops.includes('completions'),
    chat_completion: ops.includes('chat'),
    embeddings: ops.includes('embeddings'),
    ...(ops.includes('images') ? { image_generation: true } : {}),
    ...(ops.includes('transcriptions') ? { audio_transcription: true, audio_translation: true } : {}),
  };
}

function azureModel(model: ModelSpec) {
  return { status: 'succeeded', capabilities: capabilities(model), lifecycle_status: 'generally-available', deprecation: DEPRECATION, id: model.name, created_at: CREATED, object: 'model' };
}

const catalogue = (): ModelSpec[] => knownModelNames().map((n) => findModel(n)!);

/** `GET /openai/models`: the catalogue, Azure shape. */
export function azureModelsJson(): string {
  return JSON.stringify({ data: catalogue().map(azureModel), object: 'list' });
}

export function azureModelJson(id: string): string | undefined {
  const model = findModel(id);
  return model && model.name === id.replace(/-\d{4}-\d{2}-\d{2}$/, '') ? JSON.stringify(azureModel(model)) : undefined;
}

function openaiEntry(id: string, ownedBy: string, model: ModelSpec) {
  // The OpenAI fields, plus Azure's extras (whether live v1 sends them is unconfirmed).
  return { id, object: 'model', created: CREATED, owned_by: ownedBy, capabilities: capabilities(model), lifecycle_status: 'generally-available' };
}

/** `GET /openai/v1/models`: the configured deployments (owned by the organisation), then the catalogue. */
export function openaiModelsJson(deployments: ReadonlyMap<string, Deployment>): string {
  const data = [...deployments.values()].map((d) => openaiEntry(d.name, 'organization-owner', d.model));
  const taken = new Set(data.map((d) => d.id));
  for (const model of catalogue()) if (!taken.has(model.name)) data.push(openaiEntry(model.name, 'system', model));
  return JSON.stringify({ object: 'list', data });
}

export function openaiModelJson(id: string, deployments: ReadonlyMap<string, Deployment>): string | undefined {
  const deployment = deployments.get(id);
  if (deployment) return JSON.stringify(openaiEntry(id, 'organization-owner', deployment.model));
  const model = findModel(id);
  return model ? JSON.stringify(openaiEntry(id, 'system', model)) : undefined;
}

function legacyDeployment(d: Deployment) {
  return { scale_settings: { scale_type: 'standard' }, model: d.model.name, owner: 'organization-owner', id: d.name, status: 'succeeded', created_at: CREATED, updated_at: CREATED, object: 'deployment' };
}

/** `GET /openai/deployments` (legacy versions only). */
export function deploymentsJson(deployments: ReadonlyMap<string, Deployment>): string {
  return JSON.stringify({ data: [...deployments.values()].map(legacyDeployment), object: 'list' });
}

export function deploymentJson(name: string, deployments: ReadonlyMap<string, Deployment>): string | undefined {
  const d = deployments.get(name);
  return d ? JSON.stringify(legacyDeployment(d)) : undefined;
}
