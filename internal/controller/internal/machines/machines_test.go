package machines

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

func machine(name, replaces string) *kumov1.Machine {
	m := &kumov1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if replaces != "" {
		m.Labels = map[string]string{kumov1.ReplacesLabel: replaces}
	}
	return m
}

func names(ms []*kumov1.Machine) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// Of an evacuation's pair one counts: the old Machine while it lives, the
// replacement once it is gone (or being deleted, which callers drop first).
func TestCounted(t *testing.T) {
	tests := map[string]struct {
		live []*kumov1.Machine
		want []string
	}{
		"no evacuation":  {[]*kumov1.Machine{machine("w-0", ""), machine("w-1", "")}, []string{"w-0", "w-1"}},
		"old lives":      {[]*kumov1.Machine{machine("w-0", ""), machine("w-1", ""), machine("w-2", "w-0")}, []string{"w-0", "w-1"}},
		"old gone":       {[]*kumov1.Machine{machine("w-1", ""), machine("w-2", "w-0")}, []string{"w-1", "w-2"}},
		"empty":          {nil, nil},
		"chain of moves": {[]*kumov1.Machine{machine("w-2", "w-0"), machine("w-3", "w-2")}, []string{"w-2"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := names(Counted(tc.live))
			if len(got) != len(tc.want) {
				t.Fatalf("Counted = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("Counted = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestServerID(t *testing.T) {
	if got := ServerID("sim://tokyo-1/abc-123"); got != "abc-123" {
		t.Fatalf("ServerID = %q", got)
	}
}
