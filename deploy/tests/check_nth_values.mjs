// Checks a values file of the AWS Node Termination Handler chart (deploy/examples/) against what
// dsinfer's spot pods need. The NTH chart publishes no values schema, so this checks what matters:
// every top-level key is one the chart (0.27.6) declares (a typo would be ignored silently by
// helm), exactly one mode (queue processor with an SQS URL, or IMDS), cordon *and* drain, emptyDir
// pods evictable, and the grace periods inside the notice that the dsinfer chart was rendered for.
// usage: node check_nth_values.mjs NTH-VALUES.yaml DSINFER-RENDERED.yaml NOTICE-SECONDS
import fs from "node:fs";
import { parse, parseAllDocuments } from "yaml";

// Top-level keys of values.yaml in aws/aws-node-termination-handler v1.25.6,
// config/helm/aws-node-termination-handler (chart 0.27.6).
const nthKeys = new Set(`image nameOverride fullnameOverride serviceAccount rbac customLabels podLabels podAnnotations
  podSecurityContext securityContext terminationGracePeriodSeconds resources nodeSelector affinity tolerations
  topologySpreadConstraints extraEnv probes logLevel logFormatVersion jsonLogging enablePrometheusServer
  prometheusServerPort dryRun cordonOnly taintNode enableOutOfServiceTaint excludeFromLoadBalancers deleteLocalData
  ignoreDaemonSets podTerminationGracePeriod nodeTerminationGracePeriod emitKubernetesEvents
  completeLifecycleActionDelaySeconds kubernetesEventsExtraAnnotations webhookURL webhookURLSecretName webhookHeaders
  webhookProxy webhookTemplate webhookTemplateConfigMapName webhookTemplateConfigMapKey enableSqsTerminationDraining
  replicas strategy podDisruptionBudget serviceMonitor priorityClassName awsRegion queueURL workers
  checkASGTagBeforeDraining checkTagBeforeDraining managedAsgTag managedTag useProviderId targetNodeOs linuxPodLabels
  windowsPodLabels linuxPodAnnotations windowsPodAnnotations updateStrategy daemonsetPriorityClassName podMonitor
  useHostNetwork dnsPolicy dnsConfig linuxDnsPolicy windowsDnsPolicy daemonsetNodeSelector linuxNodeSelector
  windowsNodeSelector daemonsetAffinity linuxAffinity windowsAffinity daemonsetTolerations linuxTolerations
  windowsTolerations enableProbesServer metadataTries enableSpotInterruptionDraining enableASGLifecycleDraining
  enableScheduledEventDraining enableRebalanceMonitoring enableRebalanceDraining deleteSqsMsgIfNodeNotFound
  heartbeatInterval heartbeatUntil sqsMsgVisibilityTimeoutSec awsEndpoint awsAccessKeyID awsSecretAccessKey
  instanceMetadataURL procUptimeFile`.split(/\s+/));

const [valuesPath, renderedPath, noticeArg] = process.argv.slice(2);
if (!valuesPath || !renderedPath || !noticeArg) {
  console.error("usage: node check_nth_values.mjs NTH-VALUES.yaml DSINFER-RENDERED.yaml NOTICE-SECONDS");
  process.exit(2);
}
const problems = [];
let v;
try {
  v = parse(fs.readFileSync(valuesPath, "utf8"));
} catch (e) {
  console.error(`FAIL ${valuesPath}: YAML: ${e.message}`);
  process.exit(1);
}
if (!v || typeof v !== "object" || Array.isArray(v)) problems.push("not a map of values");
else {
  for (const k of Object.keys(v)) if (!nthKeys.has(k)) problems.push(`unknown key ${k} (not a value of the NTH chart 0.27.6)`);
  const queue = v.enableSqsTerminationDraining === true;
  if (queue) {
    if (!/^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[0-9]{12}\/[A-Za-z0-9_-]{1,80}$/.test(v.queueURL ?? ""))
      problems.push(`queue mode needs queueURL = https://sqs.<region>.amazonaws.com/<account>/<queue> (got ${v.queueURL})`);
  } else {
    if (v.queueURL) problems.push("queueURL set but enableSqsTerminationDraining is not true (IMDS mode ignores it)");
    if (v.enableSpotInterruptionDraining === false) problems.push("IMDS mode with enableSpotInterruptionDraining false: spot notices are ignored");
  }
  if (v.cordonOnly !== false) problems.push("cordonOnly must be false: the node must be drained, not only cordoned");
  if (v.dryRun === true) problems.push("dryRun: nothing would be drained");
  if (v.ignoreDaemonSets !== true) problems.push("ignoreDaemonSets must be true (a DaemonSet pod blocks the drain)");
  const notice = Number(noticeArg);
  const node = v.nodeTerminationGracePeriod ?? 120;
  if (!(Number.isInteger(node) && node > 0 && node <= notice)) problems.push(`nodeTerminationGracePeriod ${node} must be within the ${notice} s notice`);
  const podGrace = v.podTerminationGracePeriod ?? -1;
  if (!Number.isInteger(podGrace)) problems.push(`podTerminationGracePeriod ${podGrace} is not an integer`);

  // Against dsinfer's spot pods as the chart rendered them for this notice.
  const spotPools = new Set();
  const pods = [];
  for (const doc of parseAllDocuments(fs.readFileSync(renderedPath, "utf8"))) {
    const o = doc.toJS();
    if (o?.kind === "Deployment" || o?.kind === "Rollout") pods.push(o.spec.template);
  }
  for (const t of pods) {
    const spot = (t.spec.tolerations ?? []).some((x) => x.key === "dsinfer.io/spot");
    if (!spot) continue;
    spotPools.add(t.metadata.labels["dsinfer.io/pool"]);
    const grace = podGrace >= 0 ? podGrace : t.spec.terminationGracePeriodSeconds;
    if (!(grace <= node)) problems.push(`a ${t.metadata.labels["dsinfer.io/pool"]} pod gets ${grace} s to stop, more than the node's ${node} s`);
    if ((t.spec.volumes ?? []).some((vol) => vol.emptyDir) && v.deleteLocalData !== true)
      problems.push("dsinfer pods use emptyDir volumes: deleteLocalData must be true or the drain cannot evict them");
  }
  if (spotPools.size === 0) problems.push(`no spot pod in ${renderedPath} to check against`);
}
if (problems.length) {
  console.error(`FAIL ${valuesPath}:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`ok ${valuesPath.split("/").pop()}: NTH ${v.enableSqsTerminationDraining ? "queue-processor" : "IMDS"} mode, cordon + drain, grace within ${noticeArg} s for the dsinfer spot pods`);
