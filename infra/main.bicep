// aoai-simulated-api on Azure Container Apps: a container registry, a Log Analytics workspace,
// a Container Apps environment, a Storage account whose file share is mounted at /mnt/simulator
// (recordings, the deployment config, extensions) and the simulator's container app.
//
// scripts/deploy-aca.sh (`make deploy-aca`) deploys this twice: first with deployApp=false (so the
// registry and the share exist), then builds the image into the registry, uploads the config
// files to the share, and deploys again with deployApp=true.

targetScope = 'resourceGroup'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Prefix of the resource names (letters and digits; storage and registry names add a unique suffix).')
@minLength(3)
@maxLength(12)
param baseName string = 'aoaisim'

@description('Deploy the container app too (false: only what the image build and the uploads need).')
param deployApp bool = true

@description('Image repository and tag in the registry.')
param imageName string = 'aoai-simulated-api'
param imageTag string = 'latest'

@description('Fewest replicas (0 lets the app scale to zero when idle).')
@minValue(0)
@maxValue(300)
param minReplicas int = 1

@description('Most replicas. Scale-out is how one load test goes past one machine; with redisMode none, rate limits are per replica.')
@minValue(1)
@maxValue(300)
param maxReplicas int = 1

@description('Concurrent HTTP requests per replica before Container Apps adds one (between minReplicas and maxReplicas).')
@minValue(1)
param concurrentRequestsPerReplica int = 1000

@description('CPU cores and memory of a replica (Container Apps pairs: 0.5/1Gi, 1/2Gi, 2/4Gi, 4/8Gi).')
param cpu string = '1'
param memory string = '2Gi'

@description('The key clients must send.')
@secure()
param simulatorApiKey string

@description('Record mode: the upstream Azure OpenAI key (empty: none).')
@secure()
param azureOpenAIKey string = ''

@description('Send the simulator\'s metrics (GET /metrics) to a new Application Insights resource, through an OpenTelemetry Collector sidecar (docs/metrics.md).')
param applicationInsights bool = false

@description('The OpenTelemetry Collector (contrib) image of the sidecar (it has the prometheus receiver and the azuremonitor exporter).')
param otelCollectorImage string = 'otel/opentelemetry-collector-contrib:0.120.0'

@description('Shared state for several replicas (one rate-limit budget, one configuration, one response store): none (each replica on its own; fine for one replica), container (a Redis container app in the environment, internal TCP ingress: cheapest, test-grade, state lost on restart) or managed (Azure Managed Redis, Balanced_B0, TLS on port 10000). README "Scaling out".')
@allowed(['none', 'container', 'managed'])
param redisMode string = 'none'

@description('redisMode=container: the Redis password (generated unless given).')
@secure()
param redisPassword string = newGuid()

@description('The simulator\'s other settings from .env, as [{ name, value }] (RECORDING_DIR defaults to the share).')
param environmentVariables array = []

var suffix = uniqueString(resourceGroup().id)
// Resource names are lower case; registry and storage names also letters and digits only.
var lowerName = toLower(baseName)
var compactName = replace(replace(lowerName, '-', ''), '_', '')
var shareName = 'simulator'
var mountPath = '/mnt/simulator'

resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: '${lowerName}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

// Workspace-based, on the same Log Analytics workspace: the metrics land in customMetrics /
// AppMetrics next to the apps' logs.
resource insights 'Microsoft.Insights/components@2020-02-02' = if (applicationInsights) {
  name: '${lowerName}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: take('${compactName}${suffix}', 50)
  location: location
  sku: { name: 'Basic' }
  properties: {
    // The app pulls with the admin credentials: no role assignment, so Contributor on the
    // resource group is enough to deploy.
    adminUserEnabled: true
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${compactName}${suffix}', 24)
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: fileService
  name: shareName
  properties: {
    shareQuota: 100
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${lowerName}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

resource environmentStorage 'Microsoft.App/managedEnvironments/storages@2024-03-01' = {
  parent: environment
  name: shareName
  properties: {
    azureFile: {
      accountName: storage.name
      accountKey: storage.listKeys().keys[0].value
      shareName: share.name
      accessMode: 'ReadWrite'
    }
  }
}

// ---- Redis for several replicas (redisMode) --------------------------------------------------

var redisAppName = '${lowerName}-redis'

resource redisApp 'Microsoft.App/containerApps@2024-03-01' = if (redisMode == 'container') {
  name: redisAppName
  location: location
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      // Internal TCP ingress: reachable by the simulator's replicas as <name>:6379, not from outside.
      ingress: {
        external: false
        transport: 'tcp'
        targetPort: 6379
        exposedPort: 6379
      }
      secrets: [{ name: 'redis-password', value: redisPassword }]
    }
    template: {
      containers: [
        {
          name: 'redis'
          image: 'docker.io/library/redis:7.4-alpine'
          command: ['sh', '-c', 'exec redis-server --save "" --appendonly no --requirepass "$REDIS_PASSWORD"']
          env: [{ name: 'REDIS_PASSWORD', secretRef: 'redis-password' }]
          resources: { cpu: json('0.5'), memory: '1Gi' }
        }
      ]
      // One Redis: the state it holds is one budget; it is never scaled out or to zero.
      scale: { minReplicas: 1, maxReplicas: 1 }
    }
  }
}

resource managedRedis 'Microsoft.Cache/redisEnterprise@2025-07-01' = if (redisMode == 'managed') {
  name: take('${compactName}${suffix}', 60)
  location: location
  sku: { name: 'Balanced_B0' }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: 'Disabled'
  }
}

resource managedRedisDb 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = if (redisMode == 'managed') {
  parent: managedRedis
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'NoCluster'
    evictionPolicy: 'NoEviction'
    accessKeysAuthentication: 'Enabled'
  }
}

// The connection string reaches the app only as a Container Apps secret (SIMULATOR_REDIS_URL).
var redisUrl = redisMode == 'container'
  ? 'redis://:${redisPassword}@${redisAppName}:6379'
  : redisMode == 'managed' ? 'rediss://:${managedRedisDb.listKeys().primaryKey}@${managedRedis.properties.hostName}:10000' : ''

module app 'modules/container-app.bicep' = if (deployApp) {
  name: 'simulator-app'
  params: {
    name: '${lowerName}-app'
    location: location
    environmentId: environment.id
    registryName: registry.name
    image: '${registry.properties.loginServer}/${imageName}:${imageTag}'
    storageName: environmentStorage.name
    mountPath: mountPath
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    concurrentRequestsPerReplica: concurrentRequestsPerReplica
    cpu: cpu
    memory: memory
    simulatorApiKey: simulatorApiKey
    azureOpenAIKey: azureOpenAIKey
    redisUrl: redisUrl
    environmentVariables: environmentVariables
    applicationInsightsConnectionString: applicationInsights ? insights.properties.ConnectionString : ''
    otelCollectorImage: otelCollectorImage
  }
  dependsOn: [redisApp, managedRedisDb]
}

output registryName string = registry.name
output registryLoginServer string = registry.properties.loginServer
output storageAccountName string = storage.name
output shareName string = share.name
output mountPath string = mountPath
output environmentName string = environment.name
output appName string = deployApp ? app.outputs.name : ''
output applicationInsightsName string = applicationInsights ? insights.name : ''
output appFqdn string = deployApp ? app.outputs.fqdn : ''
