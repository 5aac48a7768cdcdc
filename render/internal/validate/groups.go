package validate

import (
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	admissionregistrationv1alpha1 "k8s.io/api/admissionregistration/v1alpha1"
	admissionregistrationv1beta1 "k8s.io/api/admissionregistration/v1beta1"
	internalv1alpha1 "k8s.io/api/apiserverinternal/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	authenticationv1 "k8s.io/api/authentication/v1"
	authenticationv1alpha1 "k8s.io/api/authentication/v1alpha1"
	authenticationv1beta1 "k8s.io/api/authentication/v1beta1"
	authorizationv1 "k8s.io/api/authorization/v1"
	authorizationv1beta1 "k8s.io/api/authorization/v1beta1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1alpha1 "k8s.io/api/certificates/v1alpha1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	coordinationv1 "k8s.io/api/coordination/v1"
	coordinationv1alpha2 "k8s.io/api/coordination/v1alpha2"
	coordinationv1beta1 "k8s.io/api/coordination/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryv1beta1 "k8s.io/api/discovery/v1beta1"
	eventsv1 "k8s.io/api/events/v1"
	eventsv1beta1 "k8s.io/api/events/v1beta1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	flowcontrolv1beta1 "k8s.io/api/flowcontrol/v1beta1"
	flowcontrolv1beta2 "k8s.io/api/flowcontrol/v1beta2"
	flowcontrolv1beta3 "k8s.io/api/flowcontrol/v1beta3"
	lifecyclev1alpha1 "k8s.io/api/lifecycle/v1alpha1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	nodev1 "k8s.io/api/node/v1"
	nodev1alpha1 "k8s.io/api/node/v1alpha1"
	nodev1beta1 "k8s.io/api/node/v1beta1"
	policyv1 "k8s.io/api/policy/v1"
	policyv1beta1 "k8s.io/api/policy/v1beta1"
	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1alpha1 "k8s.io/api/rbac/v1alpha1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
	resourcev1 "k8s.io/api/resource/v1"
	resourcev1alpha3 "k8s.io/api/resource/v1alpha3"
	resourcev1beta1 "k8s.io/api/resource/v1beta1"
	resourcev1beta2 "k8s.io/api/resource/v1beta2"
	schedulingv1 "k8s.io/api/scheduling/v1"
	schedulingv1alpha3 "k8s.io/api/scheduling/v1alpha3"
	schedulingv1beta1 "k8s.io/api/scheduling/v1beta1"
	storagev1 "k8s.io/api/storage/v1"
	storagev1alpha1 "k8s.io/api/storage/v1alpha1"
	storagev1beta1 "k8s.io/api/storage/v1beta1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	storagemigrationv1beta1 "k8s.io/api/storagemigration/v1beta1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// groupVersions are the group versions of client-go's scheme
// (k8s.io/client-go/kubernetes/scheme), each with the function that adds
// its kinds to a scheme, CustomResourceDefinitions' and APIServices' (the
// aggregation layer's kind, which every kube-apiserver serves but
// k8s.io/api does not define: metrics-server, KEDA and prometheus-adapter
// install one). A check of a
// built-in object builds a scheme of its group version only (gvScheme): a
// small app's Deployment and Service need two of the 56, and registering
// them all was 2% of its cold render. TestGroupVersionsAreClientGos
// fails when client-go's scheme and this list differ.
var groupVersions = map[schema.GroupVersion]func(*runtime.Scheme) error{
	apiextensionsv1.SchemeGroupVersion:               apiextensionsv1.AddToScheme,
	apiregistrationv1.SchemeGroupVersion:             apiregistrationv1.AddToScheme,
	admissionregistrationv1.SchemeGroupVersion:       admissionregistrationv1.AddToScheme,
	admissionregistrationv1alpha1.SchemeGroupVersion: admissionregistrationv1alpha1.AddToScheme,
	admissionregistrationv1beta1.SchemeGroupVersion:  admissionregistrationv1beta1.AddToScheme,
	internalv1alpha1.SchemeGroupVersion:              internalv1alpha1.AddToScheme,
	appsv1.SchemeGroupVersion:                        appsv1.AddToScheme,
	appsv1beta1.SchemeGroupVersion:                   appsv1beta1.AddToScheme,
	appsv1beta2.SchemeGroupVersion:                   appsv1beta2.AddToScheme,
	authenticationv1.SchemeGroupVersion:              authenticationv1.AddToScheme,
	authenticationv1alpha1.SchemeGroupVersion:        authenticationv1alpha1.AddToScheme,
	authenticationv1beta1.SchemeGroupVersion:         authenticationv1beta1.AddToScheme,
	authorizationv1.SchemeGroupVersion:               authorizationv1.AddToScheme,
	authorizationv1beta1.SchemeGroupVersion:          authorizationv1beta1.AddToScheme,
	autoscalingv1.SchemeGroupVersion:                 autoscalingv1.AddToScheme,
	autoscalingv2.SchemeGroupVersion:                 autoscalingv2.AddToScheme,
	batchv1.SchemeGroupVersion:                       batchv1.AddToScheme,
	batchv1beta1.SchemeGroupVersion:                  batchv1beta1.AddToScheme,
	certificatesv1.SchemeGroupVersion:                certificatesv1.AddToScheme,
	certificatesv1alpha1.SchemeGroupVersion:          certificatesv1alpha1.AddToScheme,
	certificatesv1beta1.SchemeGroupVersion:           certificatesv1beta1.AddToScheme,
	coordinationv1.SchemeGroupVersion:                coordinationv1.AddToScheme,
	coordinationv1alpha2.SchemeGroupVersion:          coordinationv1alpha2.AddToScheme,
	coordinationv1beta1.SchemeGroupVersion:           coordinationv1beta1.AddToScheme,
	corev1.SchemeGroupVersion:                        corev1.AddToScheme,
	discoveryv1.SchemeGroupVersion:                   discoveryv1.AddToScheme,
	discoveryv1beta1.SchemeGroupVersion:              discoveryv1beta1.AddToScheme,
	eventsv1.SchemeGroupVersion:                      eventsv1.AddToScheme,
	eventsv1beta1.SchemeGroupVersion:                 eventsv1beta1.AddToScheme,
	extensionsv1beta1.SchemeGroupVersion:             extensionsv1beta1.AddToScheme,
	flowcontrolv1.SchemeGroupVersion:                 flowcontrolv1.AddToScheme,
	flowcontrolv1beta1.SchemeGroupVersion:            flowcontrolv1beta1.AddToScheme,
	flowcontrolv1beta2.SchemeGroupVersion:            flowcontrolv1beta2.AddToScheme,
	flowcontrolv1beta3.SchemeGroupVersion:            flowcontrolv1beta3.AddToScheme,
	lifecyclev1alpha1.SchemeGroupVersion:             lifecyclev1alpha1.AddToScheme,
	networkingv1.SchemeGroupVersion:                  networkingv1.AddToScheme,
	networkingv1beta1.SchemeGroupVersion:             networkingv1beta1.AddToScheme,
	nodev1.SchemeGroupVersion:                        nodev1.AddToScheme,
	nodev1alpha1.SchemeGroupVersion:                  nodev1alpha1.AddToScheme,
	nodev1beta1.SchemeGroupVersion:                   nodev1beta1.AddToScheme,
	policyv1.SchemeGroupVersion:                      policyv1.AddToScheme,
	policyv1beta1.SchemeGroupVersion:                 policyv1beta1.AddToScheme,
	rbacv1.SchemeGroupVersion:                        rbacv1.AddToScheme,
	rbacv1alpha1.SchemeGroupVersion:                  rbacv1alpha1.AddToScheme,
	rbacv1beta1.SchemeGroupVersion:                   rbacv1beta1.AddToScheme,
	resourcev1.SchemeGroupVersion:                    resourcev1.AddToScheme,
	resourcev1alpha3.SchemeGroupVersion:              resourcev1alpha3.AddToScheme,
	resourcev1beta1.SchemeGroupVersion:               resourcev1beta1.AddToScheme,
	resourcev1beta2.SchemeGroupVersion:               resourcev1beta2.AddToScheme,
	schedulingv1.SchemeGroupVersion:                  schedulingv1.AddToScheme,
	schedulingv1alpha3.SchemeGroupVersion:            schedulingv1alpha3.AddToScheme,
	schedulingv1beta1.SchemeGroupVersion:             schedulingv1beta1.AddToScheme,
	storagev1.SchemeGroupVersion:                     storagev1.AddToScheme,
	storagev1alpha1.SchemeGroupVersion:               storagev1alpha1.AddToScheme,
	storagev1beta1.SchemeGroupVersion:                storagev1beta1.AddToScheme,
	storagemigrationv1.SchemeGroupVersion:            storagemigrationv1.AddToScheme,
	storagemigrationv1beta1.SchemeGroupVersion:       storagemigrationv1beta1.AddToScheme,
}

// gvSchemes builds, on first use, a scheme of each group version alone.
var gvSchemes = sync.OnceValue(func() map[schema.GroupVersion]func() *runtime.Scheme {
	m := make(map[schema.GroupVersion]func() *runtime.Scheme, len(groupVersions))
	for gv, add := range groupVersions {
		m[gv] = sync.OnceValue(func() *runtime.Scheme {
			s := runtime.NewScheme()
			// Registering fixed, known types cannot fail; a failure is a
			// bug in the dependencies, caught by every test of this package.
			if err := add(s); err != nil {
				panic(err)
			}
			return s
		})
	}
	return m
})

// gvScheme returns the scheme of gv's kinds, nil when gv is none of
// groupVersions. It knows of gv's kinds what scheme() knows (and both are
// only read once built).
func gvScheme(gv schema.GroupVersion) *runtime.Scheme {
	if get, ok := gvSchemes()[gv]; ok {
		return get()
	}
	return nil
}

// newTyped returns a new object of gvk's Go type, nil when gvk is no kind
// of scheme().
func newTyped(gvk schema.GroupVersionKind) runtime.Object {
	s := gvScheme(gvk.GroupVersion())
	if s == nil || !s.Recognizes(gvk) {
		return nil
	}
	typed, _ := s.New(gvk)
	return typed
}
