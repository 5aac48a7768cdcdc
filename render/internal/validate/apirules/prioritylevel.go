package apirules

import (
	"fmt"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	flowcontrolv1beta1 "k8s.io/api/flowcontrol/v1beta1"
	flowcontrolv1beta2 "k8s.io/api/flowcontrol/v1beta2"
	flowcontrolv1beta3 "k8s.io/api/flowcontrol/v1beta3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/util/shufflesharding"
)

// PriorityLevelConfigurations, as ValidatePriorityLevelConfigurationSpec
// in k8s.io/kubernetes v1.37 pkg/apis/flowcontrol/validation checks them
// on create, after the API server's defaults (a limited level's
// nominalConcurrencyShares 30 and lendablePercent 0, a queue's 64 queues,
// hand size 8 and length limit 50). Charts of operators that send many
// requests ship one beside their FlowSchema; one the API server refuses
// leaves the schema pointing at no level. Every served version is read
// as v1: the fields are v1's, but for v1beta1 and v1beta2's
// assuredConcurrencyShares, reported under its own name as the API
// server does. Not checked: that the mandatory levels exempt and
// catch-all keep their fixed spec.

const (
	plcHint = "see https://kubernetes.io/docs/concepts/cluster-administration/flow-control/#prioritylevelconfiguration"
	// maxQueues is priorityLevelConfigurationQueuingMaxQueues.
	maxQueues = 10 * 1000 * 1000
	// defaultConcurrencyShares is the API server's default of a limited
	// level's shares (PriorityLevelConfigurationDefaultNominalConcurrencyShares).
	defaultConcurrencyShares = 30
)

// priorityLevel checks obj if it is a PriorityLevelConfiguration.
func (c *checker) priorityLevel(obj runtime.Object) {
	switch o := obj.(type) {
	case *flowcontrolv1.PriorityLevelConfiguration:
		c.priorityLevelSpec(o.Name, &o.Spec, "nominalConcurrencyShares")
	case *flowcontrolv1beta3.PriorityLevelConfiguration:
		// v1beta3's shares are no pointer: 0 is the default's mark, unless
		// the annotation kept a v1 object's 0 on its way through v1beta3.
		_, keepZero := o.Annotations[flowcontrolv1beta3.PriorityLevelPreserveZeroConcurrencySharesKey]
		viaV1(o.Spec, func(s *flowcontrolv1.PriorityLevelConfigurationSpec) {
			if l := s.Limited; l != nil && l.NominalConcurrencyShares != nil && *l.NominalConcurrencyShares == 0 && !keepZero {
				l.NominalConcurrencyShares = nil
			}
			c.priorityLevelSpec(o.Name, s, "nominalConcurrencyShares")
		})
	case *flowcontrolv1beta2.PriorityLevelConfiguration:
		var shares int32
		if l := o.Spec.Limited; l != nil {
			shares = l.AssuredConcurrencyShares
		}
		c.assuredPriorityLevel(o.Name, o.Spec, shares)
	case *flowcontrolv1beta1.PriorityLevelConfiguration:
		var shares int32
		if l := o.Spec.Limited; l != nil {
			shares = l.AssuredConcurrencyShares
		}
		c.assuredPriorityLevel(o.Name, o.Spec, shares)
	}
}

// assuredPriorityLevel checks a v1beta1 or v1beta2 level's spec, read as
// v1, whose limited level's assuredConcurrencyShares (0: the default's
// mark) are v1's nominal shares.
func (c *checker) assuredPriorityLevel(name string, spec any, assured int32) {
	viaV1(spec, func(s *flowcontrolv1.PriorityLevelConfigurationSpec) {
		if s.Limited != nil {
			s.Limited.NominalConcurrencyShares = nil
			if assured != 0 {
				s.Limited.NominalConcurrencyShares = &assured
			}
		}
		c.priorityLevelSpec(name, s, "assuredConcurrencyShares")
	})
}

// priorityLevelSpec checks a level's spec; shares is the name of the
// limited level's shares in the object's version.
func (c *checker) priorityLevelSpec(name string, s *flowcontrolv1.PriorityLevelConfigurationSpec, shares string) {
	spec := field.NewPath("spec")
	isExempt := s.Type == flowcontrolv1.PriorityLevelEnablementExempt
	if (name == flowcontrolv1.PriorityLevelConfigurationNameExempt) != isExempt {
		hint := "only the mandatory level named exempt is of type Exempt, which the API server creates itself: use type Limited, with limited: {...}"
		if !isExempt {
			hint = "the level named exempt is the API server's own, of type Exempt: name yours otherwise"
		}
		c.add(field.Invalid(spec.Child("type"), s.Type, "type must be 'Exempt' if and only if name is 'exempt'"), hint)
	}
	switch s.Type {
	case flowcontrolv1.PriorityLevelEnablementExempt:
		if s.Limited != nil {
			c.add(field.Forbidden(spec.Child("limited"), "must be nil if the type is not Limited"), "an Exempt level has no limits: remove limited, or use type Limited")
		}
		if e := s.Exempt; e != nil {
			ep := spec.Child("exempt")
			if n := e.NominalConcurrencyShares; n != nil && *n < 0 {
				c.add(field.Invalid(ep.Child("nominalConcurrencyShares"), *n, "must be a non-negative integer"), "nominalConcurrencyShares is 0 or more")
			}
			c.lendablePercent(e.LendablePercent, ep.Child("lendablePercent"))
		}
	case flowcontrolv1.PriorityLevelEnablementLimited:
		if s.Exempt != nil {
			c.add(field.Forbidden(spec.Child("exempt"), "must be nil if the type is Limited"), "a Limited level's settings go under limited: remove exempt")
		}
		if s.Limited == nil {
			c.add(field.Required(spec.Child("limited"), "must not be empty when type is Limited"),
				"give a Limited level its limits: limited: {nominalConcurrencyShares: 30, limitResponse: {type: Queue, queuing: {}}}; "+plcHint)
		} else {
			c.limitedLevel(s.Limited, spec.Child("limited"), shares)
		}
	default:
		c.add(field.NotSupported(spec.Child("type"), s.Type, []string{string(flowcontrolv1.PriorityLevelEnablementExempt), string(flowcontrolv1.PriorityLevelEnablementLimited)}),
			"a priority level's type is Limited (Exempt is the mandatory exempt level's)")
	}
}

// limitedLevel checks a Limited level (ValidateLimitedPriorityLevelConfiguration):
// its shares 0 or more (from 1.30, ZeroLimitedNominalConcurrencyShares;
// before, above 0), a lendablePercent of 0–100, a borrowingLimitPercent
// of 0 or more, and its limit response.
func (c *checker) limitedLevel(l *flowcontrolv1.LimitedPriorityLevelConfiguration, p *field.Path, shares string) {
	n := int32(defaultConcurrencyShares)
	if l.NominalConcurrencyShares != nil {
		n = *l.NominalConcurrencyShares
	}
	switch {
	case c.since(1, 30) && n < 0:
		c.add(field.Invalid(p.Child(shares), n, "must be a non-negative integer"),
			shares+" weighs the level's share of the server's concurrency against the other levels': 0 or more (left out, 30)")
	case !c.since(1, 30) && n <= 0:
		c.add(field.Invalid(p.Child(shares), n, "must be positive"),
			shares+" weighs the level's share of the server's concurrency: 1 or more before Kubernetes 1.30 (left out, 30); raise kubeVersion if the cluster is newer")
	}
	c.limitResponse(&l.LimitResponse, p.Child("limitResponse"))
	c.lendablePercent(l.LendablePercent, p.Child("lendablePercent"))
	if b := l.BorrowingLimitPercent; b != nil && *b < 0 {
		c.add(field.Invalid(p.Child("borrowingLimitPercent"), *b, "if specified, must be a non-negative integer"),
			"borrowingLimitPercent caps what the level borrows, as a percentage of its own limit: 0 or more, or left out for no cap")
	}
}

func (c *checker) lendablePercent(v *int32, p *field.Path) {
	if v != nil && (*v < 0 || *v > 100) {
		c.add(field.Invalid(p, *v, "must be between 0 and 100, inclusive"), "lendablePercent is the percentage of the level's seats others may borrow: 0 to 100")
	}
}

// limitResponse checks what a level does with requests over its limit
// (ValidateLimitResponse): queue them, with a queuing configuration, or
// reject them, without one.
func (c *checker) limitResponse(lr *flowcontrolv1.LimitResponse, p *field.Path) {
	switch lr.Type {
	case flowcontrolv1.LimitResponseTypeReject:
		if lr.Queuing != nil {
			c.add(field.Forbidden(p.Child("queuing"), "must be nil if limited.limitResponse.type is not Limited"),
				"a level that rejects has no queues: remove queuing, or use type Queue")
		}
	case flowcontrolv1.LimitResponseTypeQueue:
		if lr.Queuing == nil {
			c.add(field.Required(p.Child("queuing"), "must not be empty if limited.limitResponse.type is Limited"),
				"give a Queue response its queuing, such as queuing: {} for the defaults (64 queues, hand size 8, 50 requests each)")
		} else {
			c.queuing(lr.Queuing, p.Child("queuing"))
		}
	default:
		c.add(field.NotSupported(p.Child("type"), lr.Type, []string{string(flowcontrolv1.LimitResponseTypeQueue), string(flowcontrolv1.LimitResponseTypeReject)}),
			"requests over the limit are queued (Queue, with queuing) or rejected (Reject)")
	}
}

// queuing checks a queuing configuration (ValidatePriorityLevelQueuingConfiguration)
// after the defaults (0 or left out: 64 queues, hand size 8, length
// limit 50): queues 1 to 10^7, a hand size of 1 to queues whose shuffle
// sharding needs at most 60 bits of hash (log2(queues) × hand size).
func (c *checker) queuing(q *flowcontrolv1.QueuingConfiguration, p *field.Path) {
	queues, hand, length := q.Queues, q.HandSize, q.QueueLengthLimit
	if queues == 0 {
		queues = 64
	}
	if hand == 0 {
		hand = 8
	}
	if length == 0 {
		length = 50
	}
	if length < 0 {
		c.add(field.Invalid(p.Child("queueLengthLimit"), length, "must be positive"), "queueLengthLimit is how many requests each queue holds: 1 or more (left out, 50)")
	}
	const queuesHint = "queues is the number of queues the level's flows are shuffled into: 1 to 10000000 (left out, 64)"
	switch {
	case queues < 0:
		c.add(field.Invalid(p.Child("queues"), queues, "must be positive"), queuesHint)
	case queues > maxQueues:
		c.add(field.Invalid(p.Child("queues"), queues, fmt.Sprintf("must not be greater than %d", maxQueues)), queuesHint)
	}
	hp := p.Child("handSize")
	switch {
	case hand < 0:
		c.add(field.Invalid(hp, hand, "must be positive"), "handSize is how many queues each flow may use: 1 or more (left out, 8)")
	case hand > queues:
		c.add(field.Invalid(hp, hand, fmt.Sprintf("should not be greater than queues (%d)", queues)),
			"a flow's hand is drawn from the level's queues: lower handSize, or raise queues")
	case queues > 0:
		if bits := shufflesharding.RequiredEntropyBits(int(queues), int(hand)); bits > shufflesharding.MaxHashBits {
			c.add(field.Invalid(hp, hand, fmt.Sprintf("required entropy bits of deckSize %d and handSize %d should not be greater than %d", queues, hand, shufflesharding.MaxHashBits)),
				"shuffle sharding needs log2(queues) × handSize bits of a 60-bit hash: lower handSize or queues")
		}
	}
}
