package cmdtest

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestDiff(t *testing.T) {
	tests := map[string]struct {
		a, b string // golden and got
		want string // the diff
	}{
		"equal":     {a: "x\ny", b: "x\ny", want: "  x\n  y\n"},
		"changed":   {a: "x\ny\nz", b: "x\nY\nz", want: "  x\n- y\n+ Y\n  z\n"},
		"added":     {a: "x", b: "x\ny", want: "  x\n+ y\n"},
		"removed":   {a: "x\ny", b: "y", want: "- x\n  y\n"},
		"from none": {a: "", b: "x", want: "- \n+ x\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			NewWithT(t).Expect(Diff(tc.a, tc.b)).To(Equal(tc.want))
		})
	}
}
