package nodepool

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestCompletion(t *testing.T) {
	tests := map[string]struct {
		completion func(*cmdutil.Factory) cobra.CompletionFunc // the completion under test
		args       []string                                    // the arguments typed so far
		want       []string                                    // what is offered
	}{
		"CLUSTER":              {completion: completeClusterThenPool, want: []string{"demo", "batch"}},
		"POOL of a cluster":    {completion: completeClusterThenPool, args: []string{"demo"}, want: []string{"default", "gpu"}},
		"POOL of no cluster":   {completion: completeClusterThenPool, args: []string{"nope"}},
		"nothing after POOL":   {completion: completeClusterThenPool, args: []string{"demo", "gpu"}},
		"--flavor":             {completion: completeFlavors, args: []string{"demo"}, want: []string{"m1.small", "m1.medium", "m1.xlarge", "g1.large"}},
		"--flavor, no cluster": {completion: completeFlavors},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			cmd := &cobra.Command{}
			cmd.SetContext(context.Background())
			got, directive := tc.completion(env.F)(cmd, tc.args, "")
			g.Expect(got).To(ConsistOf(tc.want))
			g.Expect(directive).To(Equal(cobra.ShellCompDirectiveNoFileComp))
		})
	}
}
