package apirules

import (
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	flowcontrolv1beta2 "k8s.io/api/flowcontrol/v1beta2"
	flowcontrolv1beta3 "k8s.io/api/flowcontrol/v1beta3"
	"k8s.io/apimachinery/pkg/runtime"
)

// limitedLevel is a PriorityLevelConfiguration document of type Limited
// whose limited holds entries (flow mapping entries).
func limitedLevel(entries string) string {
	return "metadata: {name: workload-low}\nspec:\n  type: Limited\n  limited: {" + entries + "}"
}

// TestPriorityLevels: PriorityLevelConfigurations as the API server
// checks them on create, in every version it served.
func TestPriorityLevels(t *testing.T) {
	t.Parallel()
	v1 := func() runtime.Object { return &flowcontrolv1.PriorityLevelConfiguration{} }
	queue := "limitResponse: {type: Queue, queuing: {queues: 64, handSize: 6, queueLengthLimit: 50}}"
	checkRows(t, []row{
		// The Kubernetes documentation's example level.
		{"limited", v1, limitedLevel("nominalConcurrencyShares: 30, lendablePercent: 50, borrowingLimitPercent: 100, " + queue), "", ""},
		{"limited with defaults", v1, limitedLevel("limitResponse: {type: Queue, queuing: {}}"), "", ""},
		{"rejecting", v1, limitedLevel("limitResponse: {type: Reject}"), "", ""},
		{"limited without limited", v1, "metadata: {name: workload-low}\nspec: {type: Limited}", "",
			"spec.limited: Required value: must not be empty when type is Limited"},
		{"exempt with limited", v1, "metadata: {name: exempt}\nspec: {type: Exempt, limited: {limitResponse: {type: Reject}}}", "",
			"spec.limited: Forbidden: must be nil if the type is not Limited"},
		{"exempt of another name", v1, "metadata: {name: my-exempt}\nspec: {type: Exempt}", "",
			`spec.type: Invalid value: "Exempt": type must be 'Exempt' if and only if name is 'exempt'`},
		{"exempt", v1, "metadata: {name: exempt}\nspec: {type: Exempt, exempt: {nominalConcurrencyShares: 0, lendablePercent: 0}}", "", ""},
		{"limited with exempt", v1, "metadata: {name: workload-low}\nspec:\n  type: Limited\n  exempt: {}\n  limited: {limitResponse: {type: Reject}}", "",
			"spec.exempt: Forbidden: must be nil if the type is Limited"},
		{"type misspelt", v1, "metadata: {name: workload-low}\nspec: {type: limited}", "",
			`spec.type: Unsupported value: "limited": supported values: "Exempt", "Limited"`},
		{"exempt lending too much", v1, "metadata: {name: exempt}\nspec: {type: Exempt, exempt: {lendablePercent: 101}}", "",
			"spec.exempt.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive"},
		{"no shares 1.30", v1, limitedLevel("nominalConcurrencyShares: 0, limitResponse: {type: Reject}"), "1.30.0", ""},
		{"no shares 1.29", v1, limitedLevel("nominalConcurrencyShares: 0, limitResponse: {type: Reject}"), "1.29.0",
			"spec.limited.nominalConcurrencyShares: Invalid value: 0: must be positive"},
		{"negative shares", v1, limitedLevel("nominalConcurrencyShares: -1, limitResponse: {type: Reject}"), "",
			"spec.limited.nominalConcurrencyShares: Invalid value: -1: must be a non-negative integer"},
		{"lending too much", v1, limitedLevel("lendablePercent: 150, limitResponse: {type: Reject}"), "",
			"spec.limited.lendablePercent: Invalid value: 150: must be between 0 and 100, inclusive"},
		{"negative borrowing", v1, limitedLevel("borrowingLimitPercent: -5, limitResponse: {type: Reject}"), "",
			"spec.limited.borrowingLimitPercent: Invalid value: -5: if specified, must be a non-negative integer"},
		{"rejecting with queues", v1, limitedLevel("limitResponse: {type: Reject, queuing: {}}"), "",
			"spec.limited.limitResponse.queuing: Forbidden: must be nil if limited.limitResponse.type is not Limited"},
		{"queueing without queues", v1, limitedLevel("limitResponse: {type: Queue}"), "",
			"spec.limited.limitResponse.queuing: Required value: must not be empty if limited.limitResponse.type is Limited"},
		{"response misspelt", v1, limitedLevel("limitResponse: {type: Queuing}"), "",
			`spec.limited.limitResponse.type: Unsupported value: "Queuing": supported values: "Queue", "Reject"`},
		{"hand above queues", v1, limitedLevel("limitResponse: {type: Queue, queuing: {queues: 4, handSize: 6}}"), "",
			"spec.limited.limitResponse.queuing.handSize: Invalid value: 6: should not be greater than queues (4)"},
		{"hand above the default queues", v1, limitedLevel("limitResponse: {type: Queue, queuing: {handSize: 65}}"), "",
			"spec.limited.limitResponse.queuing.handSize: Invalid value: 65: should not be greater than queues (64)"},
		{"too much entropy", v1, limitedLevel("limitResponse: {type: Queue, queuing: {queues: 1024, handSize: 7}}"), "",
			"spec.limited.limitResponse.queuing.handSize: Invalid value: 7: required entropy bits of deckSize 1024 and handSize 7 should not be greater than 60"},
		{"entropy at the limit", v1, limitedLevel("limitResponse: {type: Queue, queuing: {queues: 1024, handSize: 6}}"), "", ""},
		{"too many queues", v1, limitedLevel("limitResponse: {type: Queue, queuing: {queues: 10000001, handSize: 1}}"), "",
			"spec.limited.limitResponse.queuing.queues: Invalid value: 10000001: must not be greater than 10000000"},
		{"negative queue length", v1, limitedLevel("limitResponse: {type: Queue, queuing: {queueLengthLimit: -1}}"), "",
			"spec.limited.limitResponse.queuing.queueLengthLimit: Invalid value: -1: must be positive"},
		// v1beta3's shares are no pointer: 0 is the default of 30.
		{"v1beta3 no shares", func() runtime.Object { return &flowcontrolv1beta3.PriorityLevelConfiguration{} },
			limitedLevel("nominalConcurrencyShares: 0, limitResponse: {type: Reject}"), "1.29.0", ""},
		{"v1beta3 no shares kept", func() runtime.Object { return &flowcontrolv1beta3.PriorityLevelConfiguration{} },
			"metadata: {name: a, annotations: {flowcontrol.k8s.io/v1beta3-preserve-zero-concurrency-shares: ''}}\nspec: {type: Limited, limited: {nominalConcurrencyShares: 0, limitResponse: {type: Reject}}}", "1.29.0",
			"spec.limited.nominalConcurrencyShares: Invalid value: 0: must be positive"},
		{"v1beta3 hand above queues", func() runtime.Object { return &flowcontrolv1beta3.PriorityLevelConfiguration{} },
			limitedLevel("limitResponse: {type: Queue, queuing: {queues: 4, handSize: 6}}"), "1.28.0",
			"spec.limited.limitResponse.queuing.handSize: Invalid value: 6: should not be greater than queues (4)"},
		{"v1beta2 negative shares", func() runtime.Object { return &flowcontrolv1beta2.PriorityLevelConfiguration{} },
			limitedLevel("assuredConcurrencyShares: -3, limitResponse: {type: Reject}"), "1.27.0",
			"spec.limited.assuredConcurrencyShares: Invalid value: -3: must be positive"},
		{"v1beta2 without limited", func() runtime.Object { return &flowcontrolv1beta2.PriorityLevelConfiguration{} },
			"metadata: {name: workload-low}\nspec: {type: Limited}", "1.27.0", "spec.limited: Required value"},
	})
}
