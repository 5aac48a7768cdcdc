package apirules

import (
	"fmt"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// An indexed Job's limits and success policy, as ValidateJobSpec and
// validateSuccessPolicy (k8s.io/kubernetes v1.37 pkg/apis/batch/validation)
// check them. kiln checks the rest of a Job's counts in jobCounts.

const (
	maxIndexedParallelism        = 100_000
	maxIndexedFailedIndexes      = 100_000
	indexedCompletionsSoftLimit  = 100_000
	maxHighCompletionParallelism = 10_000
	maxHighCompletionFailed      = 10_000
	maxSuccessPolicyRules        = 20
	maxSucceededIndexesLength    = 64 * 1024
)

// indexedJob checks an indexed Job's parallelism and maxFailedIndexes
// against its completions, and its success policy (when kept: from
// JobSuccessPolicy, 1.31). js has backoffLimitPerIndex and
// maxFailedIndexes cleared when the API server drops them.
func (c *checker) indexedJob(js *batchv1.JobSpec, spec *field.Path) {
	if p := js.Parallelism; p != nil && *p > maxIndexedParallelism {
		c.add(field.Invalid(spec.Child("parallelism"), *p, fmt.Sprintf("must be less than or equal to %d when completion mode is Indexed", maxIndexedParallelism)),
			"an indexed Job runs at most 100000 pods at once")
	}
	if m := js.MaxFailedIndexes; m != nil {
		if js.Completions != nil && *m > *js.Completions {
			c.add(field.Invalid(spec.Child("maxFailedIndexes"), *m, "must be less than or equal to completions"), "a Job cannot fail more indexes than it has")
		}
		if *m > maxIndexedFailedIndexes {
			c.add(field.Invalid(spec.Child("maxFailedIndexes"), *m, fmt.Sprintf("must be less than or equal to %d", maxIndexedFailedIndexes)), "maxFailedIndexes is at most 100000")
		}
	}
	if js.Completions != nil && *js.Completions > indexedCompletionsSoftLimit && js.BackoffLimitPerIndex != nil {
		const hint = "with more than 100000 completions and backoffLimitPerIndex, the Job controller tracks at most 10000 failed indexes and runs at most 10000 pods at once"
		if js.MaxFailedIndexes == nil {
			c.add(field.Required(spec.Child("maxFailedIndexes"), fmt.Sprintf("must be specified when completions is above %d", indexedCompletionsSoftLimit)), hint)
		}
		if p := js.Parallelism; p != nil && *p > maxHighCompletionParallelism {
			c.add(field.Invalid(spec.Child("parallelism"), *p, fmt.Sprintf("must be less than or equal to %d when completions are above %d and used with backoff limit per index", maxHighCompletionParallelism, indexedCompletionsSoftLimit)), hint)
		}
		if m := js.MaxFailedIndexes; m != nil && *m > maxHighCompletionFailed {
			c.add(field.Invalid(spec.Child("maxFailedIndexes"), *m, fmt.Sprintf("must be less than or equal to %d when completions are above %d and used with backoff limit per index", maxHighCompletionFailed, indexedCompletionsSoftLimit)), hint)
		}
	}
	if js.SuccessPolicy != nil && c.on("JobSuccessPolicy") {
		c.successPolicy(js, spec.Child("successPolicy"))
	}
}

// successPolicy checks an indexed Job's success policy
// (validateSuccessPolicy): 1 to 20 rules, each with succeededIndexes (an
// increasing list of indexes and ranges below completions, "0,2-4") or a
// succeededCount (at most completions, and the indexes' count), or both.
func (c *checker) successPolicy(js *batchv1.JobSpec, p *field.Path) {
	rules := js.SuccessPolicy.Rules
	rp := p.Child("rules")
	if len(rules) == 0 {
		c.add(field.Required(rp, "at least one rules must be specified when the successPolicy is specified"), "add a rule (succeededIndexes, succeededCount), or remove successPolicy")
	}
	if len(rules) > maxSuccessPolicyRules {
		c.add(field.TooMany(rp, len(rules), maxSuccessPolicyRules), "a success policy has at most 20 rules")
	}
	for i, r := range rules {
		p := rp.Index(i)
		if r.SucceededCount == nil && r.SucceededIndexes == nil {
			c.add(field.Required(p, "at least one of succeededCount or succeededIndexes must be specified"), "say when the Job succeeds: succeededIndexes, succeededCount, or both")
		}
		// Without completions (already refused) there is nothing to
		// compare against.
		if js.Completions == nil {
			continue
		}
		completions := *js.Completions
		total, parsed := int32(0), true
		if x := r.SucceededIndexes; x != nil {
			ip := p.Child("succeededIndexes")
			if len(*x) > maxSucceededIndexesLength {
				c.add(field.TooLong(ip, "", maxSucceededIndexesLength), "list at most 64 KiB of indexes")
			}
			var err error
			if total, err = indexesTotal(*x, completions); err != nil {
				parsed = false
				c.add(field.Invalid(ip, *x, "error parsing succeededIndexes: "+err.Error()),
					fmt.Sprintf("list indexes below completions (%d) in increasing order, single or as ranges, such as 0,2-4", completions))
			}
		}
		if n := r.SucceededCount; n != nil {
			np := p.Child("succeededCount")
			if *n < 0 {
				c.add(field.Invalid(np, *n, "must be greater than or equal to 0"), "succeededCount is 0 or more")
			}
			if *n > completions {
				c.add(field.Invalid(np, *n, fmt.Sprintf("must be less than or equal to %d (the number of specified completions)", completions)), "succeededCount is at most completions")
			}
			// After an unreadable succeededIndexes the API server
			// compares with 0; that error would only repeat it.
			if r.SucceededIndexes != nil && parsed && *n > total {
				c.add(field.Invalid(np, *n, fmt.Sprintf("must be less than or equal to %d (the number of indexes in the specified succeededIndexes field)", total)), "succeededCount is at most the number of succeededIndexes")
			}
		}
	}
}

// indexesTotal is validateIndexesFormat: the number of indexes s lists
// (comma-separated indexes and ranges a-b, increasing, below completions),
// or what is wrong with it.
func indexesTotal(s string, completions int32) (int32, error) {
	if s == "" {
		return 0, nil
	}
	var last *int32
	var total int32
	for _, interval := range strings.Split(s, ",") {
		limits := strings.Split(interval, "-")
		if len(limits) > 2 {
			return 0, fmt.Errorf("the fragment %q violates the requirement that an index interval can have at most two parts separated by '-'", interval)
		}
		x, err := strconv.Atoi(limits[0])
		if err != nil {
			return 0, fmt.Errorf("cannot convert string to integer for index: %q", limits[0])
		}
		if x >= int(completions) {
			return 0, fmt.Errorf("too large index: %q", limits[0])
		}
		y := x
		if len(limits) > 1 {
			if y, err = strconv.Atoi(limits[1]); err != nil {
				return 0, fmt.Errorf("cannot convert string to integer for index: %q", limits[1])
			}
			if y >= int(completions) {
				return 0, fmt.Errorf("too large index: %q", limits[1])
			}
			if x >= y {
				return 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", x, y)
			}
		}
		if last != nil && *last >= int32(x) {
			return 0, fmt.Errorf("non-increasing order, previous: %d, current: %d", *last, x)
		}
		total += int32(y - x + 1)
		l := int32(y)
		last = &l
	}
	return total, nil
}
