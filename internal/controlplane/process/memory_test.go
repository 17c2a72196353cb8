package process

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/controlplane"
)

const gib = 1 << 30

func TestParseMeminfo(t *testing.T) {
	g := NewWithT(t)
	m, err := parseMeminfo([]byte("MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   20480000 kB\nBuffers: 1 kB\n"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m).To(Equal(HostMemory{Total: 24576000 << 10, Available: 20480000 << 10}))

	_, err = parseMeminfo([]byte("MemTotal: 1 kB\n"))
	g.Expect(err).To(MatchError(ContainSubstring("MemAvailable missing")))

	// This machine's, whatever it is, reads.
	m, err = ReadHostMemory()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m.Available).To(BeNumerically("<=", m.Total))
}

func TestParseMemoryReserve(t *testing.T) {
	tests := map[string]struct {
		// want is the reserve in bytes of a host with 20 GiB.
		want uint64
		// err is part of the error, if it must fail.
		err string
	}{
		"10%":    {want: 2 * gib},
		"0%":     {want: 0},
		"2Gi":    {want: 2 * gib},
		"2GiB":   {want: 2 * gib},
		"512Mi":  {want: 512 << 20},
		"0":      {want: 0},
		" 1Gi ":  {want: gib},
		"150%":   {err: "between 0% and 100%"},
		"-1Gi":   {err: "invalid memory reserve"},
		"lots":   {err: "such as 2Gi"},
		"":       {err: "invalid memory reserve"},
		"ten%":   {err: "between 0% and 100%"},
		"NaN%":   {err: "between 0% and 100%"},
		"1.5GiB": {want: 3 * gib / 2},
	}
	for in, tc := range tests {
		t.Run(in, func(t *testing.T) {
			g := NewWithT(t)
			got, err := ParseMemoryReserve(in, 20*gib)
			if tc.err != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func FuzzParseMemoryReserve(f *testing.F) {
	for _, s := range []string{"10%", "2Gi", "2GiB", "512Mi", "0", "1e3", "99.9%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseMemoryReserve(s, 20*gib)
		if err == nil && len(s) > 0 && s[len(s)-1] == '%' && got > 20*gib {
			t.Errorf("%q: a share of the host is more than the host: %d", s, got)
		}
	})
}

// TestMemoryGuard: a control plane starts while the host keeps its reserve
// after it and after those still starting have taken their share; else
// the error says what is available, what is kept and what one needs.
func TestMemoryGuard(t *testing.T) {
	host := HostMemory{Total: 24 * gib, Available: 4 * gib}
	guard := MemoryGuard{Reserve: 2 * gib, PerControlPlane: 512 << 20, Read: func() (HostMemory, error) { return host, nil }}
	tests := map[string]struct {
		// starting counts the control planes starting or waiting to start.
		starting int
		// room is how many more fit.
		room int
	}{
		"none starting":              {starting: 0, room: 4},
		"three starting":             {starting: 3, room: 1},
		"four starting fill the gap": {starting: 4, room: 0},
		"more starting than fit":     {starting: 9, room: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(guard.Room(host, tc.starting)).To(Equal(tc.room))
			err := guard.Admit(tc.starting)
			if tc.room > 0 {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			var mem *controlplane.InsufficientMemoryError
			g.Expect(errors.As(err, &mem)).To(BeTrue())
			g.Expect(controlplane.IsInsufficientMemory(err)).To(BeTrue())
			g.Expect(err.Error()).To(And(ContainSubstring("4.0 GiB available"), ContainSubstring("2.0 GiB kept in reserve"),
				ContainSubstring("about 512 MiB per control plane"), ContainSubstring("delete a cluster")))
		})
	}

	t.Run("unreadable memory does not guard", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(MemoryGuard{Read: func() (HostMemory, error) { return HostMemory{}, errors.New("no /proc") }}.Admit(100)).To(Succeed())
	})
	t.Run("default size of a control plane", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(MemoryGuard{}.Room(HostMemory{Available: gib}, 0)).To(Equal(4))
	})
}
