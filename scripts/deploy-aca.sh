#!/usr/bin/env bash
# Deploys the simulator to Azure Container Apps (`make deploy-aca`; infra/main.bicep):
#   1. the resource group, registry, Log Analytics, Container Apps environment and file share;
#   2. the image, built in the registry (`az acr build`: no local Docker needed);
#   3. the deployment config and extension (when .env names local files) uploaded to the share;
#   4. the container app, with the settings from .env and the share mounted at /mnt/simulator.
# Settings come from the environment: `make deploy-aca` exports .env's (the shell wins). Needs the
# Azure CLI (`az login` first) and Node.js (to write the parameters file).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v az >/dev/null || { echo "deploy-aca: the Azure CLI (az) is needed (then: az login)" >&2; exit 1; }

RESOURCE_GROUP_NAME=${RESOURCE_GROUP_NAME:-aoai-simulated-api}
LOCATION=${LOCATION:-eastus}
BASENAME=${BASENAME:-aoaisim}
NETWORK_TYPE=${NETWORK_TYPE:-unrestricted}
SIMULATOR_IMAGE_TAG=${SIMULATOR_IMAGE_TAG:-$(date -u +%Y%m%d%H%M%S)}
MOUNT=/mnt/simulator

# Without a configured key, one is chosen here and printed at the end: a random key printed by
# the simulator would only be in the app's logs.
generated_key=""
if [ -z "${SIMULATOR_API_KEY:-}" ]; then
  SIMULATOR_API_KEY=$(node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('base64url'))")
  generated_key=$SIMULATOR_API_KEY
fi

# Local files named in .env go to the share; the app sees them under /mnt/simulator.
uploads=()
if [ -n "${OPENAI_DEPLOYMENT_CONFIG_PATH:-}" ] && [ -f "$OPENAI_DEPLOYMENT_CONFIG_PATH" ]; then
  uploads+=("$OPENAI_DEPLOYMENT_CONFIG_PATH" "config/$(basename "$OPENAI_DEPLOYMENT_CONFIG_PATH")")
  OPENAI_DEPLOYMENT_CONFIG_PATH="$MOUNT/config/$(basename "$OPENAI_DEPLOYMENT_CONFIG_PATH")"
fi
if [ -n "${EXTENSION_PATH:-}" ] && [ -f "$EXTENSION_PATH" ]; then
  uploads+=("$EXTENSION_PATH" "extensions/$(basename "$EXTENSION_PATH")")
  EXTENSION_PATH="$MOUNT/extensions/$(basename "$EXTENSION_PATH")"
fi
export SIMULATOR_API_KEY OPENAI_DEPLOYMENT_CONFIG_PATH EXTENSION_PATH

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077 # the parameters files hold the keys

# parameters.json for main.bicep. The app's environment: every setting of sample.env's simulator
# section that is set, except the keys (secrets) and what the image and Container Apps decide
# (port, address, tokenizer cache).
parameters() { # deployApp
  node - "$1" <<'JS'
const { readFileSync } = require('node:fs');
const env = process.env;
const section = readFileSync('sample.env', 'utf8').split(/^# =+$/m)[0];
const names = [...new Set([...section.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]))];
// The Redis URL is the Bicep's secret (ACA_REDIS); the replica name and count come from Container Apps.
const skip = new Set(['SIMULATOR_API_KEY', 'AZURE_OPENAI_KEY', 'PORT', 'SIMULATOR_HOST', 'TIKTOKEN_CACHE_DIR', 'SIMULATOR_REDIS_URL', 'SIMULATOR_REPLICA_NAME', 'SIMULATOR_REPLICAS', 'CONTAINER_APP_REPLICA_NAME']);
const environmentVariables = names.filter((n) => !skip.has(n) && env[n]).map((name) => ({ name, value: env[name] }));
const value = (v) => ({ value: v });
const int = (name, fallback) => value(Number.parseInt(env[name] || fallback, 10));
process.stdout.write(JSON.stringify({
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
  contentVersion: '1.0.0.0',
  parameters: {
    location: value(env.LOCATION),
    baseName: value(env.BASENAME),
    deployApp: value(process.argv[2] === 'true'),
    imageTag: value(env.SIMULATOR_IMAGE_TAG),
    minReplicas: int('ACA_MIN_REPLICAS', '1'),
    maxReplicas: int('ACA_MAX_REPLICAS', '1'),
    redisMode: value(env.ACA_REDIS || 'none'),
    cpu: value(env.ACA_CPU || '1'),
    memory: value(env.ACA_MEMORY || '2Gi'),
    applicationInsights: value(/^(true|1|yes|on)$/i.test(env.ACA_APPLICATION_INSIGHTS || '')),
    simulatorApiKey: value(env.SIMULATOR_API_KEY),
    azureOpenAIKey: value(env.AZURE_OPENAI_KEY || ''),
    environmentVariables: value(environmentVariables),
  },
}, null, 2));
JS
}
export LOCATION BASENAME SIMULATOR_IMAGE_TAG

deploy() { # deployApp -> the deployment's outputs (JSON)
  parameters "$1" > "$work/parameters-$1.json"
  az deployment group create --resource-group "$RESOURCE_GROUP_NAME" --name "aoai-simulated-api-$1" \
    --template-file infra/main.bicep --parameters "@$work/parameters-$1.json" \
    --query properties.outputs --output json
}
output() { node -e "process.stdout.write(String(JSON.parse(require('node:fs').readFileSync(0, 'utf8'))['$2'].value))" < "$1"; }

echo "== resource group $RESOURCE_GROUP_NAME ($LOCATION)"
az group create --name "$RESOURCE_GROUP_NAME" --location "$LOCATION" --output none

echo "== registry, logs, environment, file share"
deploy false > "$work/base.json"
registry=$(output "$work/base.json" registryName)
storage=$(output "$work/base.json" storageAccountName)
share=$(output "$work/base.json" shareName)

echo "== image aoai-simulated-api:$SIMULATOR_IMAGE_TAG (network_type=$NETWORK_TYPE) in $registry"
az acr build --registry "$registry" --image "aoai-simulated-api:$SIMULATOR_IMAGE_TAG" \
  --build-arg "network_type=$NETWORK_TYPE" --file Dockerfile .

echo "== uploads to the share $storage/$share"
key=$(az storage account keys list --resource-group "$RESOURCE_GROUP_NAME" --account-name "$storage" --query '[0].value' --output tsv)
az storage directory create --account-name "$storage" --account-key "$key" --share-name "$share" --name recording --output none
for ((i = 0; i < ${#uploads[@]}; i += 2)); do
  az storage directory create --account-name "$storage" --account-key "$key" --share-name "$share" --name "$(dirname "${uploads[i + 1]}")" --output none
  az storage file upload --account-name "$storage" --account-key "$key" --share-name "$share" \
    --source "${uploads[i]}" --path "${uploads[i + 1]}" --output none
  echo "${uploads[i]} -> $MOUNT/${uploads[i + 1]}"
done

echo "== container app"
deploy true > "$work/app.json"
fqdn=$(output "$work/app.json" appFqdn)

echo
echo "aoai-simulated-api: https://$fqdn  (health: curl https://$fqdn/)"
if [ -n "$generated_key" ]; then
  echo "API key (generated; set SIMULATOR_API_KEY in .env to choose one): $generated_key"
else
  echo "API key: the value of SIMULATOR_API_KEY"
fi
echo "Recordings, config and extensions: file share $share of storage account $storage (mounted at $MOUNT)"
