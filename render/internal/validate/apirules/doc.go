// Package apirules holds the API server's hand-written validation rules
// for built-in kinds that their OpenAPI schema cannot express: a workload
// whose selector does not match its template's labels, a volume mount
// naming no volume, two Service ports on the same port, a Job whose pods
// restart Always, a request above its limit. kube-apiserver's own rules
// live in k8s.io/kubernetes, which is not a library a program can depend
// on, so this package re-states the rules users trip over most, with the
// API server's field paths and messages; every rule is listed in
// docs/validation.md. It works on the typed objects of k8s.io/api, which
// the validate package has already decoded strictly.
package apirules
