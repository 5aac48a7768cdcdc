package apirules

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/version"
)

// gateDefaults is the release from which each feature gate kiln follows is
// on by default, as pkg/features says (v1.37's, and for the gates it no
// longer lists, those of 1.24 to 1.30), and what the gate changes
// (an API server of an older release drops what it keeps, unchecked). One
// table for the rules here (checker.on) and for package validate's
// warnings about dropped fields.
var gateDefaults = map[string][2]uint{
	"CronJobTimeZone":                        {1, 25}, // a CronJob's timeZone kept
	"ManifestBasedAdmissionControlConfig":    {1, 37}, // admission configurations named *.static.k8s.io refused
	"MutableCSINodeAllocatableCount":         {1, 35}, // a CSIDriver's nodeAllocatableUpdatePeriodSeconds kept
	"CSIServiceAccountTokenSecrets":          {1, 35}, // a CSIDriver's serviceAccountTokenInSecrets kept
	"CSINodeExpandSecret":                    {1, 27}, // a PersistentVolume's csi.nodeExpandSecretRef kept
	"ProbeTerminationGracePeriod":            {1, 25}, // a probe's terminationGracePeriodSeconds kept
	"JobPodFailurePolicy":                    {1, 26}, // a Job's podFailurePolicy kept
	"ExpandedDNSConfig":                      {1, 26}, // 32 DNS search domains, 2048 characters (before: 6, 256)
	"NodeInclusionPolicyInPodTopologySpread": {1, 26}, // a spread's nodeAffinityPolicy, nodeTaintsPolicy kept
	"MatchLabelKeysInPodTopologySpread":      {1, 27}, // a spread's matchLabelKeys kept
	"MinDomainsInPodTopologySpread":          {1, 27}, // a spread's minDomains kept
	"PodSchedulingReadiness":                 {1, 27}, // a pod's schedulingGates kept
	"HPAContainerMetrics":                    {1, 27}, // an autoscaler's containerResource metrics kept
	"PDBUnhealthyPodEvictionPolicy":          {1, 27}, // a budget's unhealthyPodEvictionPolicy kept
	"StatefulSetAutoDeletePVC":               {1, 27}, // a StatefulSet's persistentVolumeClaimRetentionPolicy kept
	"StatefulSetStartOrdinal":                {1, 27}, // a StatefulSet's ordinals kept
	"ReadWriteOncePod":                       {1, 27}, // the ReadWriteOncePod access mode taken
	"AdmissionWebhookMatchConditions":        {1, 28}, // webhooks' matchConditions compiled
	"SidecarContainers":                      {1, 29}, // init containers' restartPolicy Always kept
	"PodLifecycleSleepAction":                {1, 30}, // a lifecycle handler's sleep kept
	"CRDValidationRatcheting":                {1, 30}, // a CRD rule's optionalOldSelf kept
	"CustomResourceValidationExpressions":    {1, 25}, // a CRD's x-kubernetes-validations kept (and enforced)
	"CustomResourceFieldSelectors":           {1, 31}, // a CRD version's selectableFields kept
	"JobBackoffLimitPerIndex":                {1, 29}, // a Job's backoffLimitPerIndex, maxFailedIndexes kept
	"JobPodReplacementPolicy":                {1, 29}, // a Job's podReplacementPolicy kept
	"MatchLabelKeysInPodAffinity":            {1, 31}, // pod affinity's matchLabelKeys, mismatchLabelKeys kept
	"RecursiveReadOnlyMounts":                {1, 31}, // a mount's recursiveReadOnly kept
	"ServiceTrafficDistribution":             {1, 31}, // a Service's trafficDistribution kept (PreferClose)
	"JobSuccessPolicy":                       {1, 31}, // a Job's successPolicy kept
	"RelaxedEnvironmentVariableValidation":   {1, 32}, // env names any printable ASCII but '='
	"JobManagedBy":                           {1, 32}, // a Job's managedBy kept
	"RelaxedDNSSearchValidation":             {1, 33}, // DNS searches may hold '_' or be '.'
	"PodLifecycleSleepActionAllowZero":       {1, 33}, // a lifecycle sleep of 0 s
	"UserNamespacesSupport":                  {1, 33}, // a pod's hostUsers kept
	"ProcMountType":                          {1, 33}, // procMount kept (before: set to Default)
	"SELinuxChangePolicy":                    {1, 33}, // a pod's seLinuxChangePolicy kept (Recursive)
	"SupplementalGroupsPolicy":               {1, 33}, // a pod's supplementalGroupsPolicy kept
	"InPlacePodVerticalScaling":              {1, 33}, // containers' resizePolicy kept
	"DynamicResourceAllocation":              {1, 34}, // resourceClaims, resources.claims kept
	"DRAConsumableCapacity":                  {1, 36}, // device.allowMultipleAllocations in selectors; distinctAttribute
	"DRADeviceTaints":                        {1, 36}, // a device request's tolerations kept
	"DRAExtendedResource":                    {1, 36}, // a DeviceClass's extendedResourceName kept
	"PodLevelResources":                      {1, 34}, // a pod's own resources kept
	"PreferSameTrafficDistribution":          {1, 34}, // trafficDistribution PreferSameZone, PreferSameNode
	"VolumeAttributesClass":                  {1, 34}, // a claim's volumeAttributesClassName kept
	"HostnameOverride":                       {1, 35}, // a pod's hostnameOverride kept
	"EnvFiles":                               {1, 35}, // an env var's fileKeyRef kept
	"ImageVolume":                            {1, 35}, // image volumes kept (before: dropped with their mounts)
	"ContainerRestartRules":                  {1, 35}, // containers' restartPolicy, restartPolicyRules kept
	"HPAConfigurableTolerance":               {1, 35}, // an autoscaler's tolerance kept
	"RestartAllContainersOnContainerExits":   {1, 36}, // the RestartAllContainers action; sidecars' rules
	"StrictIPCIDRValidation":                 {1, 36}, // older address fields parsed strictly (ips.go)
	"RelaxedServiceNameValidation":           {1, 36}, // Service names DNS-1123 labels
	"HPAScaleToZero":                         {1, 37}, // minReplicas 0 with an Object or External metric
	"MaxUnavailableStatefulSet":              {1, 37}, // a StatefulSet's maxUnavailable kept (beta, off, from 1.35)
	"SELinuxMount":                           {1, 37}, // seLinuxChangePolicy MountOption
	"ClusterTrustBundleProjection":           {1, 37}, // the clusterTrustBundle projection kept
	"PodCertificateRequest":                  {1, 37}, // the podCertificate projection kept

	// From 1.34 the API server merges a spread's matchLabelKeys into its
	// labelSelector when it creates a Pod, and refuses a key in both only
	// where the merge puts it twice; before, it refused any key in both.
	"MatchLabelKeysInPodTopologySpreadSelectorMerge": {1, 34},
}

// offGates are the feature gates off by default in every release kiln
// knows (v1.37's pkg/features), each with its stage: the API server of a
// cluster that has not turned one on drops the fields it guards, or
// refuses the values it allows, whatever kubeVersion says.
var offGates = map[string]string{
	"AtomicWriteVolumeUserFields":    "alpha",
	"ContainerStopSignals":           "alpha",
	"CrossNamespaceVolumeDataSource": "alpha",
	"DRADerivedAttributes":           "alpha",
	"EmptyDirVolumeMode":             "alpha",
	"EvictionRequestAPI":             "alpha",
	"GRPCContainerProbeTLS":          "alpha",
	"GenericWorkload":                "beta, off by default,",
	"H2CContainerProbe":              "alpha",
	"VolumeBindMountOptions":         "alpha",
	"WorkloadWithJob":                "alpha",
}

// GateOff is the stage of a gate off by default in every release kiln
// knows ("alpha"), "" for a gate on by default from some release.
func GateOff(gate string) string { return offGates[gate] }

// GateOn reports whether gate is on by default in the API server of
// release kube (nil: the newest). It panics on a gate neither table has:
// a misspelt name in kiln's own code.
func GateOn(gate string, kube *version.Version) bool {
	if _, off := offGates[gate]; off {
		return false
	}
	r, ok := gateDefaults[gate]
	if !ok {
		panic(fmt.Sprintf("apirules: unknown feature gate %q", gate))
	}
	return atLeast(kube, r[0], r[1])
}

// GateSince is the release from which gate is on by default, as "1.33".
func GateSince(gate string) string {
	r, ok := gateDefaults[gate]
	if !ok {
		panic(fmt.Sprintf("apirules: unknown feature gate %q", gate))
	}
	return fmt.Sprintf("%d.%d", r[0], r[1])
}
