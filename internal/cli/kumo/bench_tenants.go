package kumo

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/bench/tenants"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

func newBenchTenantsCommand() *cobra.Command {
	o := tenants.Options{}
	var output string
	var asJSON bool
	var stormSeconds int
	cmd := &cobra.Command{
		Use:   "tenants",
		Short: "Measure how well teams are kept apart (full fidelity)",
		Long: `Start a fresh platform at the full fidelity level (kumo up: every tenant
cluster runs its own control-plane processes), admit three teams (alice,
bob, carol) as kumo tenant add does, and drive it as their members would,
each with their own identity. Every timed create is bob's 3-node cluster,
from the create request until it is Ready with 3 nodes Ready (what
kumoctl cluster create --wait waits for). Between phases every cluster is
deleted and its processes are gone. It reports:

  idleCreateSeconds         bob's create on an idle platform (the median of
                            --idle-samples; idleCreateSamplesSeconds: each)
  burstCreateSeconds        bob's create right after alice's --burst creates
                            were accepted; burstRatio: over the idle create;
                            burstAllReadySeconds: until alice's are all Ready
  stormCreateSeconds        bob's create while alice lists her clusters as fast
                            as the API answers, 4 requests at a time on each of
                            --storm-connections connections, for --storm-seconds
                            (longer if bob's create takes longer); stormRatio:
                            over the idle create
  stormRequestsPerSecond    the lists the API answered (stormRequests), of them
                            storm429s refused with 429; stormErrors: failed
                            otherwise
  otherTeam429s             429s bob's client got during the storm
  quotaRaceBeyondLimit      carol's clusters beyond her team's limit of 2 after
                            5 creates raced against it (quotaRaceAdmitted and
                            quotaRaceRefused of them); must be 0

Results go to stdout (--json, or -o json|table); progress to stderr.
Targets (issue #15): burstRatio within 1.5 for a burst of 8 and within 2 for
a burst of 20; during the storm bob notices nothing (otherTeam429s 0).`,
		Example: `  # the runs recorded in docs/benchmarks.md
  kumo bench tenants --burst 8 --json
  kumo bench tenants --burst 20 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				output = cmdutil.OutputJSON
			}
			if err := cmdutil.ValidateOutput(output, cmdutil.OutputJSON, "table"); err != nil {
				return err
			}
			o.Storm = time.Duration(stormSeconds) * time.Second
			var err error
			if o.Kumo, err = benchSetup(); err != nil {
				return err
			}
			o.Progress = cmd.ErrOrStderr()
			res, err := tenants.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if output == cmdutil.OutputJSON {
				return cmdutil.PrintStructured(cmd.OutOrStdout(), output, res)
			}
			return printTenantsTable(cmd.OutOrStdout(), res)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Burst, "burst", 8, "clusters alice creates at once")
	f.IntVar(&stormSeconds, "storm-seconds", 20, "how long alice floods the management API")
	f.IntVar(&o.StormConnections, "storm-connections", 64, "connections alice floods it over")
	f.IntVar(&o.IdleSamples, "idle-samples", 3, "creates timed on the idle platform (their median is the baseline)")
	f.StringVar(&o.DataDir, "data-dir", "", "the benchmark platform's data directory (default: a temporary one, removed afterwards)")
	f.BoolVar(&o.Keep, "keep", false, "keep the temporary data directory (its logs) afterwards")
	f.BoolVar(&asJSON, "json", false, "print the results as JSON (same as -o json)")
	f.StringVarP(&output, "output", "o", "table", "output format: json or table")
	return cmd
}

func printTenantsTable(w io.Writer, r *tenants.Result) error {
	samples := make([]string, len(r.IdleCreateSamplesSeconds))
	for i, s := range r.IdleCreateSamplesSeconds {
		samples[i] = secs(s)
	}
	ratio := func(x float64) string { return fmt.Sprintf("%.2fx", x) }
	t := cmdutil.NewTable(w, "PHASE", "BOB'S CREATE", "RATIO", "DETAIL")
	t.Row("idle", secs(r.IdleCreateSeconds), ratio(1), "median of "+strings.Join(samples, " "))
	t.Row(fmt.Sprintf("burst of %d", r.BurstSize), secs(r.BurstCreateSeconds), ratio(r.BurstRatio),
		fmt.Sprintf("alice's clusters all Ready in %s", secs(r.BurstAllReadySeconds)))
	t.Row("storm", secs(r.StormCreateSeconds), ratio(r.StormRatio),
		fmt.Sprintf("alice: %.0f requests/s over %d connections for %s, %d answered 429, %d failed; bob: %d 429s",
			r.StormRequestsPerSecond, r.StormConnections, secs(r.StormSeconds), r.Storm429s, r.StormErrors, r.OtherTeam429s))
	t.Row("quota race", "-", "-",
		fmt.Sprintf("%d creates against a limit of %d: %d admitted, %d refused, %d beyond the limit",
			r.QuotaRaceCreates, r.QuotaRaceLimit, r.QuotaRaceAdmitted, r.QuotaRaceRefused, r.QuotaRaceBeyondLimit))
	return t.Flush()
}
