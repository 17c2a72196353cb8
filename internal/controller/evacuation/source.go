package evacuation

import (
	"context"
	"fmt"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

// Sample is one VM's steal as of At.
type Sample struct {
	// Steal is the share of the VM's CPU time lost to steal (0..1): what
	// top calls %st, summed over its vCPUs.
	Steal      float64
	Hypervisor string
	At         time.Time
}

// Source reads the steal of a region's VMs, by server ID. A VM it knows
// nothing of is missing from the map; the decision code treats missing
// and stale alike: no action.
type Source interface {
	Steal(ctx context.Context, region string) (map[string]Sample, error)
}

// SimSource reads steal from the sim cloud's CPU model directly.
type SimSource struct {
	Cloud *sim.Cloud
	Now   func() time.Time
}

// Steal implements Source.
func (s *SimSource) Steal(_ context.Context, region string) (map[string]Sample, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	out := map[string]Sample{}
	for _, v := range s.Cloud.VMCPUs(nil) {
		if v.Region != region || v.VCPUs <= 0 {
			continue
		}
		out[v.ID] = Sample{Steal: v.Steal / float64(v.VCPUs), Hypervisor: v.Hypervisor, At: now}
	}
	return out, nil
}

// StealSeries is the recording rule (deploy/prometheus/rules) of each
// node's steal ratio joined with kumo_machine_info: its vm label is the
// server ID, hypervisor where it runs.
const StealSeries = "kumo:node_cpu_steal:ratio_rate1m"

// PromSource reads steal from Prometheus' HTTP API.
type PromSource struct {
	API promv1.API
}

// NewPromSource is a PromSource for the Prometheus at url.
func NewPromSource(url string) (*PromSource, error) {
	c, err := promapi.NewClient(promapi.Config{Address: url})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", url, err)
	}
	return &PromSource{API: promv1.NewAPI(c)}, nil
}

// Steal implements Source with two instant queries: the ratio, and the
// time of the sample it comes from (an instant query looks back five
// minutes, so the value alone does not say how old it is).
func (p *PromSource) Steal(ctx context.Context, region string) (map[string]Sample, error) {
	sel := fmt.Sprintf("%s{region=%q}", StealSeries, region)
	values, err := p.query(ctx, sel)
	if err != nil {
		return nil, err
	}
	times, err := p.query(ctx, "timestamp("+sel+")")
	if err != nil {
		return nil, err
	}
	at := map[string]time.Time{}
	for _, s := range times {
		sec := float64(s.Value)
		at[string(s.Metric["vm"])] = time.Unix(0, int64(sec*float64(time.Second)))
	}
	out := map[string]Sample{}
	for _, s := range values {
		vm := string(s.Metric["vm"])
		t, ok := at[vm]
		if vm == "" || !ok {
			continue
		}
		out[vm] = Sample{Steal: float64(s.Value), Hypervisor: string(s.Metric["hypervisor"]), At: t}
	}
	return out, nil
}

func (p *PromSource) query(ctx context.Context, q string) (model.Vector, error) {
	v, _, err := p.API.Query(ctx, q, time.Now())
	if err != nil {
		return nil, fmt.Errorf("querying prometheus for %s: %w", q, err)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("querying prometheus for %s: got %s, want a vector", q, v.Type())
	}
	return vec, nil
}
