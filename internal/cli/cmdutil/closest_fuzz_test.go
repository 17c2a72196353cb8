package cmdutil

import (
	"testing"
)

// FuzzClosest: suggestions for a mistyped name come from the candidates,
// at most n of them, and an exact match is always suggested first.
func FuzzClosest(f *testing.F) {
	f.Add("demo", "demo2,dmeo,prod")
	f.Add("", "a,b")
	f.Add("ünïcode", "unicode,ünïcode")
	f.Fuzz(func(t *testing.T, name, list string) {
		var candidates []string
		start := 0
		for i := 0; i <= len(list); i++ {
			if i == len(list) || list[i] == ',' {
				candidates = append(candidates, list[start:i])
				start = i + 1
			}
		}
		got := Closest(name, candidates, 3)
		if len(got) > 3 {
			t.Fatalf("%d suggestions, want at most 3", len(got))
		}
		in := map[string]bool{}
		for _, c := range candidates {
			in[c] = true
		}
		for _, g := range got {
			if !in[g] {
				t.Fatalf("suggested %q, not a candidate", g)
			}
		}
		if in[name] && (len(got) == 0 || got[0] != name) {
			t.Fatalf("exact match %q not suggested first: %v", name, got)
		}
	})
}
