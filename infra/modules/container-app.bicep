// The simulator's container app: ingress on port 8000, the file share at mountPath, the keys as
// secrets, the other settings as environment variables, and HTTP-driven scale-out.

param name string
param location string
param environmentId string
param registryName string
param image string
@description('The environment storage (Azure Files share) to mount.')
param storageName string
param mountPath string
param minReplicas int
param maxReplicas int
param concurrentRequestsPerReplica int
param cpu string
param memory string
@secure()
param simulatorApiKey string
@secure()
param azureOpenAIKey string
@description('Shared state for several replicas (empty: none): a redis:// or rediss:// URL, kept as a secret.')
@secure()
param redisUrl string
@description('[{ name, value }] from .env.')
param environmentVariables array
@description('Application Insights: when set, an OpenTelemetry Collector sidecar scrapes /metrics and sends it there (empty: no sidecar).')
@secure()
param applicationInsightsConnectionString string
param otelCollectorImage string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

var hasUpstreamKey = !empty(azureOpenAIKey)
var hasRedis = !empty(redisUrl)
var secretEnv = concat(
  [{ name: 'SIMULATOR_API_KEY', secretRef: 'simulator-api-key' }],
  hasUpstreamKey ? [{ name: 'AZURE_OPENAI_KEY', secretRef: 'azure-openai-key' }] : [],
  hasRedis ? [{ name: 'SIMULATOR_REDIS_URL', secretRef: 'redis-url' }] : []
)
// The metrics sidecar (docs/metrics.md, "Into Azure Monitor"): the Collector scrapes /metrics on
// localhost every 15 s with the simulator's key, names the replica (service.instance.id), and
// exports to Application Insights. In-process OpenTelemetry was not chosen: the Azure Monitor
// exporter needs Node ≥ 22, and recording through an SDK costs the hot path ~2.5 µs a request.
var hasInsights = !empty(applicationInsightsConnectionString)
var collectorConfig = '''
receivers:
  prometheus:
    config:
      scrape_configs:
        - job_name: aoai-simulated-api
          scrape_interval: 15s
          metrics_path: /metrics
          authorization:
            credentials: ${env:SIMULATOR_API_KEY}
          static_configs:
            - targets: ['localhost:8000']
processors:
  resource:
    attributes:
      - key: service.instance.id
        value: ${env:CONTAINER_APP_REPLICA_NAME}
        action: upsert
      - key: service.name
        value: aoai-simulated-api
        action: upsert
  batch: {}
exporters:
  azuremonitor:
    connection_string: ${env:APPLICATIONINSIGHTS_CONNECTION_STRING}
service:
  pipelines:
    metrics:
      receivers: [prometheus]
      processors: [resource, batch]
      exporters: [azuremonitor]
'''
var collector = hasInsights
  ? [
      {
        name: 'otel-collector'
        image: otelCollectorImage
        args: ['--config=env:OTEL_COLLECTOR_CONFIG']
        resources: { cpu: json('0.25'), memory: '0.5Gi' }
        env: [
          { name: 'OTEL_COLLECTOR_CONFIG', value: collectorConfig }
          { name: 'SIMULATOR_API_KEY', secretRef: 'simulator-api-key' }
          { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }
        ]
      }
    ]
  : []

// Recordings live on the share unless .env says otherwise.
var recordingDirSet = length(filter(environmentVariables, e => e.name == 'RECORDING_DIR')) > 0
var defaultEnv = concat(
  recordingDirSet ? [] : [{ name: 'RECORDING_DIR', value: '${mountPath}/recording' }],
  // How many replicas may run: the simulator warns at start when limits without Redis would multiply.
  [{ name: 'SIMULATOR_REPLICAS', value: string(maxReplicas) }]
)

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  properties: {
    managedEnvironmentId: environmentId
    configuration: {
      ingress: {
        external: true
        targetPort: 8000
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        {
          server: registry.properties.loginServer
          username: registry.listCredentials().username
          passwordSecretRef: 'registry-password'
        }
      ]
      secrets: concat(
        [
          { name: 'registry-password', value: registry.listCredentials().passwords[0].value }
          { name: 'simulator-api-key', value: simulatorApiKey }
        ],
        hasUpstreamKey ? [{ name: 'azure-openai-key', value: azureOpenAIKey }] : [],
        hasInsights ? [{ name: 'appinsights-connection-string', value: applicationInsightsConnectionString }] : [],
        hasRedis ? [{ name: 'redis-url', value: redisUrl }] : []
      )
    }
    template: {
      containers: concat([
        {
          name: 'simulator'
          image: image
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: concat(environmentVariables, defaultEnv, secretEnv)
          volumeMounts: [
            {
              volumeName: 'simulator'
              mountPath: mountPath
            }
          ]
          probes: [
            {
              type: 'Liveness'
              httpGet: { path: '/', port: 8000 }
              periodSeconds: 30
            }
            {
              type: 'Startup'
              httpGet: { path: '/', port: 8000 }
              periodSeconds: 2
              failureThreshold: 30
            }
          ]
        }
      ], collector)
      volumes: [
        {
          name: 'simulator'
          storageType: 'AzureFile'
          storageName: storageName
          // The image runs as the unprivileged user 1000, which must be able to write recordings.
          mountOptions: 'uid=1000,gid=1000,dir_mode=0775,file_mode=0664'
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http-requests'
            http: {
              metadata: {
                concurrentRequests: string(concurrentRequestsPerReplica)
              }
            }
          }
        ]
      }
    }
  }
}

output name string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
