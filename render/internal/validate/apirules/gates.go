package apirules

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/version"
)

// gateDefaults is the release from which each feature gate kiln follows is
// on by default, as v1.37's pkg/features says (an API server of an older
// release drops or refuses what the gate governs). One table for the
// rules here and for package validate's warnings about dropped fields.
var gateDefaults = map[string][2]uint{
	"AdmissionWebhookMatchConditions":      {1, 28},
	"JobBackoffLimitPerIndex":              {1, 29},
	"JobPodReplacementPolicy":              {1, 29},
	"MatchLabelKeysInPodAffinity":          {1, 31},
	"RecursiveReadOnlyMounts":              {1, 31},
	"ServiceTrafficDistribution":           {1, 31},
	"JobSuccessPolicy":                     {1, 31},
	"RelaxedEnvironmentVariableValidation": {1, 32},
	"JobManagedBy":                         {1, 32},
	"RelaxedDNSSearchValidation":           {1, 33},
	"PodLifecycleSleepActionAllowZero":     {1, 33},
	"UserNamespacesSupport":                {1, 33},
	"ProcMountType":                        {1, 33},
	"SELinuxChangePolicy":                  {1, 33},
	"SupplementalGroupsPolicy":             {1, 33},
	"InPlacePodVerticalScaling":            {1, 33},
	"DynamicResourceAllocation":            {1, 34},
	"PodLevelResources":                    {1, 34},
	"PreferSameTrafficDistribution":        {1, 34},
	"VolumeAttributesClass":                {1, 34},
	"HostnameOverride":                     {1, 35},
	"EnvFiles":                             {1, 35},
	"ImageVolume":                          {1, 35},
	"ContainerRestartRules":                {1, 35},
	"HPAConfigurableTolerance":             {1, 35},
	"RestartAllContainersOnContainerExits": {1, 36},
	"StrictIPCIDRValidation":               {1, 36},
	"RelaxedServiceNameValidation":         {1, 36},
	"HPAScaleToZero":                       {1, 37},
	"MaxUnavailableStatefulSet":            {1, 37},
	"SELinuxMount":                         {1, 37},
	"ClusterTrustBundleProjection":         {1, 37},
	"PodCertificateRequest":                {1, 37},
}

// GateOn reports whether gate is on by default in the API server of
// release kube (nil: the newest). It panics on a gate the table lacks: a
// misspelt name in kiln's own code.
func GateOn(gate string, kube *version.Version) bool {
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
