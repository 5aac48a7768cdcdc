package apirules

import (
	"context"
	"strings"

	"k8s.io/kube-aggregator/pkg/apis/apiregistration"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorvalidation "k8s.io/kube-aggregator/pkg/apis/apiregistration/validation"
)

// apiServiceHints say what to do about each of kube-aggregator's
// refusals, by field.
var apiServiceHints = map[string]string{
	"metadata.name":             "name the APIService <spec.version>.<spec.group>: the aggregator finds it by that name",
	"spec.group":                "give the API group the service serves (metrics.k8s.io); only version v1 of the core group may leave it empty",
	"spec.version":              "give the API version the service serves (v1beta1), a lowercase DNS-1035 label",
	"spec.groupPriorityMinimum": "set a number from 1 to 20000 (metrics-server uses 100)",
	"spec.versionPriority":      "set a number from 1 to 1000 (metrics-server uses 100)",
	"spec.caBundle":             "an APIService without a service is served by kube-apiserver itself: remove caBundle, or name the service",
	"spec.service.namespace":    "give the namespace of the service that serves the API",
	"spec.service.name":         "give the name of the service that serves the API",
	"spec.service.port":         "use a port from 1 to 65535, or leave it out for 443",
}

// apiService applies kube-aggregator's own validation of an APIService
// (a kind of kube-aggregator, not of k8s.io/api), after the defaults the
// API server applies first (a service's port is 443), as on create. Of
// its metadata errors only the name's <version>.<group> rule is kept: the
// rest are checkMeta's, told once.
func (c *checker) apiService(o *apiregistrationv1.APIService) {
	in := o.DeepCopy()
	apiregistrationv1.SetObjectDefaults_APIService(in)
	var internal apiregistration.APIService
	if err := apiregistrationv1.Convert_v1_APIService_To_apiregistration_APIService(in, &internal, nil); err != nil {
		return // the generated conversion of a decoded object does not fail
	}
	for _, e := range aggregatorvalidation.ValidateAPIService(context.Background(), &internal) {
		if strings.HasPrefix(e.Field, "metadata") && !(e.Field == "metadata.name" && strings.Contains(e.Detail, "spec.version")) {
			continue
		}
		hint := apiServiceHints[e.Field]
		if e.Field == "spec.insecureSkipTLSVerify" {
			hint = "remove insecureSkipTLSVerify (or set it false) when you give a caBundle: the aggregator then checks the service's certificate against it"
			if internal.Spec.Service == nil {
				hint = "an APIService without a service is served by kube-apiserver itself: remove insecureSkipTLSVerify, or name the service"
			}
		}
		c.add(e, hint)
	}
}
