package v1alpha1

import (
	"encoding/json"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EvacuationRecord is one evacuation of a node off a noisy hypervisor, as
// the old Machine and its Cluster record it (EvacuationAnnotation).
type EvacuationRecord struct {
	// Machine is the Machine that left; Replacement the one that took its place.
	Machine     string `json:"machine"`
	Replacement string `json:"replacement,omitempty"`
	Region      string `json:"region"`
	Hypervisor  string `json:"hypervisor"`
	// StealPercent is the node's steal when the evacuation was decided.
	StealPercent float64     `json:"stealPercent"`
	Started      metav1.Time `json:"started"`
}

// MaxEvacuationRecords is how many recent evacuations a Cluster keeps.
const MaxEvacuationRecords = 10

// EvacuationRecords reads the recent evacuations an object records; a
// missing or unreadable annotation is none.
func EvacuationRecords(annotations map[string]string) []EvacuationRecord {
	var out []EvacuationRecord
	if v, ok := annotations[EvacuationAnnotation]; ok {
		if json.Unmarshal([]byte(v), &out) != nil {
			return nil
		}
	}
	return out
}

// EvacuationSince counts the records that started at or after t.
func EvacuationSince(recs []EvacuationRecord, t time.Time) int {
	n := 0
	for _, r := range recs {
		if !r.Started.Time.Before(t) {
			n++
		}
	}
	return n
}
