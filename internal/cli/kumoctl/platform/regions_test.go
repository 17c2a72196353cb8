package platform

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdRegions(t *testing.T) {
	tests := map[string]struct {
		args []string        // after `kumoctl regions`
		want *RegionsOptions // what the run gets, without f; nil when refused
		code int             // exit code when refused
		err  string          // part of the error when refused
	}{
		"table":        {want: &RegionsOptions{Output: "table"}},
		"wide":         {args: []string{"-o", "wide"}, want: &RegionsOptions{Output: "wide"}},
		"json":         {args: []string{"-ojson"}, want: &RegionsOptions{Output: "json"}},
		"yaml":         {args: []string{"--output", "yaml"}, want: &RegionsOptions{Output: "yaml"}},
		"no name list": {args: []string{"-o", "name"}, code: cmdutil.ExitUsage, err: `unknown output format "name"; use one of table, wide, json, yaml`},
		"no arguments": {args: []string{"tokyo-1"}, code: cmdutil.ExitUsage, err: `kumoctl regions takes no arguments, got ["tokyo-1"]`},
		"-o needs a value": {
			args: []string{"-o"}, code: cmdutil.ExitUsage, err: "flag needs an argument",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *RegionsOptions
			cmd := NewCmdRegions(env.F, func(_ context.Context, o *RegionsOptions) error { got = o; return nil })
			err := cmdtest.Execute(env, cmd, tc.args...)
			if tc.want == nil {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code))
				g.Expect(got).To(BeNil(), "the run must not start")
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tc.want.f = env.F
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestRegionsRun(t *testing.T) {
	t.Run("no regions says so on stderr", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t)
		g.Expect(regionsRun(context.Background(), &RegionsOptions{f: env.F, Output: cmdutil.OutputTable})).To(Succeed())
		g.Expect(env.Out.String()).To(BeEmpty())
		g.Expect(env.ErrOut.String()).To(Equal("No regions yet: the platform team has not published any.\n"))
	})
	marked := map[string]struct {
		free     int64  // osaka-1's free vCPUs
		defaults string // the region marked as the default
	}{
		"the region the operator marked is the default, with less room": {free: 6, defaults: "osaka-1"},
		"unless it has no room for the default nodes":                   {free: 4, defaults: "tokyo-1"},
	}
	for name, tc := range marked {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			env.SetFreeVCPUs("osaka-1", tc.free)
			c := env.Client()
			var r kumov1.Region
			g.Expect(c.Get(context.Background(), client.ObjectKey{Name: "osaka-1"}, &r)).To(Succeed())
			r.Spec.Default = true
			g.Expect(c.Update(context.Background(), &r)).To(Succeed())
			g.Expect(regionsRun(context.Background(), &RegionsOptions{f: env.F, Output: cmdutil.OutputTable})).To(Succeed())
			g.Expect(env.Out.String()).To(MatchRegexp(`(?m)^%s .* yes$`, tc.defaults))
			g.Expect(strings.Count(env.Out.String(), " yes\n")).To(Equal(1))
		})
	}
	t.Run("yaml is a list of Regions", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		g.Expect(regionsRun(context.Background(), &RegionsOptions{f: env.F, Output: cmdutil.OutputYAML})).To(Succeed())
		g.Expect(env.Out.String()).To(HavePrefix("apiVersion: v1\nitems:\n- apiVersion: kumo.dev/v1alpha1\n  kind: Region\n  metadata:\n"))
		g.Expect(env.Out.String()).To(ContainSubstring("name: nagoya-1"))
	})
}

func TestFlavors(t *testing.T) {
	tests := map[string]struct {
		flavors []kumov1.FlavorInfo // as the region reports them
		want    string              // the FLAVORS cell
	}{
		"none":           {want: ""},
		"smallest first": {flavors: []kumov1.FlavorInfo{{Name: "m1.large", VCPUs: 4, MemoryMiB: 8192}, {Name: "m1.small", VCPUs: 1, MemoryMiB: 2048}}, want: "m1.small(1/2Gi),m1.large(4/8Gi)"},
		"odd memory":     {flavors: []kumov1.FlavorInfo{{Name: "t1.nano", VCPUs: 1, MemoryMiB: 512}}, want: "t1.nano(1/512Mi)"},
		"ties by memory": {flavors: []kumov1.FlavorInfo{{Name: "r1.small", VCPUs: 1, MemoryMiB: 8192}, {Name: "m1.small", VCPUs: 1, MemoryMiB: 2048}}, want: "m1.small(1/2Gi),r1.small(1/8Gi)"},
		"then by name":   {flavors: []kumov1.FlavorInfo{{Name: "b.x", VCPUs: 1, MemoryMiB: 1024}, {Name: "a.x", VCPUs: 1, MemoryMiB: 1024}}, want: "a.x(1/1Gi),b.x(1/1Gi)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			in := append([]kumov1.FlavorInfo(nil), tc.flavors...)
			g.Expect(flavors(tc.flavors)).To(Equal(tc.want))
			g.Expect(tc.flavors).To(Equal(in), "flavors must not reorder the region's list")
		})
	}
}
